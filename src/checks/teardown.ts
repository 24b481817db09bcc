import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import { noListenerCause } from './listen-cause.js';
import { captureOf, isVerdict, nodeAddresses, nodeOf, who } from './observed.js';
import { connections, dedupe, plus, tcpPackets, type TcpPacket } from './tcp.js';
import type { Verdict } from './types.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/**
 * How the first connection (on `port`, involving `initiator` when given) ended: who sent the first FIN, whether
 * the other side still sent data after it (half-close), whether both FINs were acknowledged, or a RST.
 */
export function checkTeardown(spec: TeardownCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const mine = spec.initiator !== undefined ? nodeAddresses(obs, spec.initiator) : undefined;
  const all = dedupe(tcpPackets(cap.packets)).filter(
    (p) => spec.port === undefined || p.tcp.srcPort === spec.port || p.tcp.dstPort === spec.port,
  );
  const involving = mine ? all.filter((p) => mine.includes(p.ip.src) || mine.includes(p.ip.dst)) : all;
  const conn = connections(involving)[0];
  const on = spec.port !== undefined ? ` on port ${spec.port}` : '';
  if (!conn)
    return {
      passed: false,
      message: `no TCP connection${mine ? ` to or from ${spec.initiator}` : ''}${on} in the capture: there was nothing to close.`,
    };
  const reset = spec.reset ?? 'forbidden';
  const fins = conn.filter((p) => p.tcp.flags.fin);
  const rst = conn.find((p) => p.tcp.flags.rst);
  const firstFin = fins[0];
  const rstBy = (p: TcpPacket): string => who(obs, p.ip.src);
  // Without a SYN-ACK there was no connection: a RST then refuses a SYN (nothing listening), it closes nothing.
  const syn = conn.find((p) => p.tcp.flags.syn && !p.tcp.flags.ack);
  if (syn && !conn.some((p) => p.tcp.flags.syn && p.tcp.flags.ack)) {
    const to = `${who(obs, syn.ip.dst)} port ${syn.tcp.dstPort}`;
    const server = nodeOf(obs, syn.ip.dst);
    const cause = rst && server !== undefined ? noListenerCause(obs, server, syn.tcp.dstPort, { dst: syn.ip.dst }) : undefined;
    if (rst)
      return {
        passed: false,
        message: `there was no connection to close: the SYN to ${to} was refused with a RST from ${rstBy(rst)} (${cause?.kind === 'bound-elsewhere' ? 'no socket was listening on that address' : 'nothing was listening there'}), so the connection was never opened.${cause ? ` ${cause.kind === 'bound-elsewhere' ? '' : `Nothing listens on port ${syn.tcp.dstPort} in ${server}; `}${cause.text}` : ''}`,
        evidence: [formatPacket(syn), formatPacket(rst)],
      };
    return {
      passed: false,
      message: `there was no connection to close: the SYN to ${to} got no SYN-ACK, so the connection was never opened.`,
      evidence: conn.slice(0, 2).map(formatPacket),
    };
  }
  if (reset === 'required') {
    return rst
      ? { passed: true, message: `the connection was reset by ${rstBy(rst)}.`, evidence: [formatPacket(rst)] }
      : {
          passed: false,
          message: `the connection should end with a RST, but ${fins.length > 0 ? 'it was closed with FIN' : 'it did not end'}.`,
          evidence: fins.slice(0, 2).map(formatPacket),
        };
  }
  if (!firstFin || (rst && rst.index < firstFin.index)) {
    if (rst)
      return {
        passed: false,
        message: `the connection was reset by ${rstBy(rst)} (RST) instead of being closed with FIN: a socket was closed with unread data, or the program crashed.`,
        evidence: [formatPacket(rst)],
      };
    return {
      passed: false,
      message: `no FIN at all: ${spec.initiator !== undefined ? `${spec.initiator} did not close` : 'neither side closed'} the connection before the capture ended.`,
      evidence: conn.slice(-2).map(formatPacket),
    };
  }
  if (mine && !mine.includes(firstFin.ip.src)) {
    return {
      passed: false,
      message: `the other side closed first: the first FIN came from ${who(obs, firstFin.ip.src)}, not from ${spec.initiator}.`,
      evidence: [formatPacket(firstFin)],
    };
  }
  const closer = who(obs, firstFin.ip.src);
  const peerFin = fins.find((p) => p.ip.src !== firstFin.ip.src);
  const dataAfter = conn.filter(
    (p) => p.index > firstFin.index && p.ip.src === firstFin.ip.dst && p.tcp.dataLength > 0 && (!peerFin || p.index <= peerFin.index),
  );
  if (spec.halfClose === true && dataAfter.length === 0) {
    return {
      passed: false,
      message: `${closer} sent FIN, but the other side sent no data after it before closing: no half-close. The side that half-closes must still read the reply.`,
      evidence: [formatPacket(firstFin), ...(peerFin ? [formatPacket(peerFin)] : [])],
    };
  }
  if (spec.halfClose === false && dataAfter.length > 0) {
    return {
      passed: false,
      message: `after ${closer}'s FIN the other side still sent ${dataAfter.length} data segment(s): a half-close, which should not happen here.`,
      evidence: [formatPacket(firstFin), formatPacket(dataAfter[0] as TcpPacket)],
    };
  }
  if (rst && rst.index > firstFin.index) {
    if (reset === 'allowed')
      return {
        passed: true,
        message: `${closer} sent the first FIN; the connection then ended with a RST from ${rstBy(rst)}.`,
        evidence: [formatPacket(firstFin), formatPacket(rst)],
      };
    return {
      passed: false,
      message: `${closer} sent FIN, but ${rstBy(rst)} then reset the connection (RST): data arrived at a socket that was already closed — read everything before closing.`,
      evidence: [formatPacket(firstFin), formatPacket(rst)],
    };
  }
  if (!peerFin)
    return {
      passed: false,
      message: `${closer} sent a FIN but the other side never closed its half (no FIN came back).`,
      evidence: [formatPacket(firstFin)],
    };
  const acked = (fin: TcpPacket): TcpPacket | undefined =>
    conn.find(
      (p) => p.index > fin.index && p.ip.src === fin.ip.dst && p.tcp.flags.ack && p.tcp.ack === plus(fin.tcp.seq, fin.tcp.dataLength + 1),
    );
  const ack1 = acked(firstFin);
  const ack2 = acked(peerFin);
  if (!ack1 || !ack2)
    return {
      passed: false,
      message: `the ${!ack1 ? 'first' : 'second'} FIN was never acknowledged: the connection did not close cleanly.`,
      evidence: [formatPacket(firstFin), formatPacket(peerFin)],
    };
  const half =
    dataAfter.length > 0 ? ` after sending ${dataAfter.reduce((n, p) => n + p.tcp.dataLength, 0)} more bytes (a half-close)` : '';
  return {
    passed: true,
    message: `${closer} closed first (FIN); the other side answered with its own FIN${half}, and both were acknowledged.`,
    evidence: [formatPacket(firstFin), ...new Set([ack1, peerFin, ack2].map(formatPacket))],
  };
}

/** The fields of a `teardown` check (its schema fragment, in schema/lab.schema.json under checks[].teardown). */
export const TeardownCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    initiator: Type.Optional(Type.String({ description: 'Node expected to send the first FIN.' })),
    port: Type.Optional(ref(PortSchema)),
    halfClose: Type.Optional(
      Type.Boolean({
        description: "true: after the initiator's FIN the other side still sent data, then its own FIN (a half-close). false: it must not.",
      }),
    ),
    reset: Type.Optional(
      Enum(['forbidden', 'allowed', 'required'], {
        description:
          'A RST on the connection: forbidden (default: both FINs must be acknowledged), allowed (after the first FIN), or required (the connection must be reset).',
      }),
    ),
  },
  { additionalProperties: false, description: 'How the (first) connection closed: who sent the first FIN, a half-close, a reset.' },
);
export type TeardownCheck = Static<typeof TeardownCheckSchema>;
export const teardownKind = defineCheckKind({
  name: 'teardown',
  schema: TeardownCheckSchema,
  reads: ['captures'],
  evaluate: checkTeardown,
  lint(spec, ctx) {
    ctx.ref(['capture'], spec.capture, ctx.captures, 'capture');
    ctx.node(['initiator'], spec.initiator);
    if (spec.halfClose !== undefined && spec.initiator === undefined)
      ctx.problem([], '`halfClose` needs `initiator`: the side that half-closes');
    if (spec.reset === 'required' && spec.halfClose === true)
      ctx.problem([], 'a reset connection cannot also be required to half-close cleanly');
  },
});
