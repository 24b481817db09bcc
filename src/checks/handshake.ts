import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import { failedConnects, noListenerCause, notRun } from './listen-cause.js';
import { captureOf, isVerdict, nodeAddresses, show } from './observed.js';
import { connectionOf, dedupe, plus, tcpPackets, type TcpPacket } from './tcp.js';
import type { Verdict } from './types.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/** SYN from the client, SYN-ACK from the server acknowledging ISN+1, ACK from the client acknowledging the server's ISN+1. */
export function checkHandshake(spec: HandshakeCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const clientIps = nodeAddresses(obs, spec.client);
  const serverIps = nodeAddresses(obs, spec.server);
  const packets = dedupe(tcpPackets(cap.packets)).filter((p) => spec.family === undefined || p.ip.version === spec.family);
  const v = spec.family === 6 ? ' over IPv6' : spec.family === 4 ? ' over IPv4' : '';
  const syns = packets.filter(
    (p) =>
      p.tcp.flags.syn && !p.tcp.flags.ack && clientIps.includes(p.ip.src) && serverIps.includes(p.ip.dst) && p.tcp.dstPort === spec.port,
  );
  if (syns.length === 0) {
    const elsewhere = packets.find((p) => p.tcp.flags.syn && !p.tcp.flags.ack && clientIps.includes(p.ip.src));
    // A capture filtered on the port cannot show a connection to another one; the client's own error can.
    const reported = elsewhere
      ? undefined
      : failedConnects(obs, spec.client).find((c) => c.port !== spec.port || !serverIps.includes(c.address));
    const absent = elsewhere || reported ? undefined : notRun(obs, spec.client);
    return {
      passed: false,
      message: elsewhere
        ? `the client's SYN went to ${elsewhere.ip.dst} port ${elsewhere.tcp.dstPort}, not to ${spec.server} port ${spec.port}${v}. Check the host and port it connects to.`
        : reported
          ? `no SYN from ${spec.client} to ${spec.server} port ${spec.port}${v} in the capture: ${reported.program} connected to ${reported.address.includes(':') ? `[${reported.address}]` : reported.address} port ${reported.port} instead (it printed ${show(reported.line, 160)}). Check the host and port it connects to.`
          : absent
            ? `no SYN from ${spec.client} to ${spec.server} port ${spec.port}${v} in the capture: ${absent.program} did not run (${absent.why}).`
            : `no SYN from ${spec.client} to ${spec.server} port ${spec.port}${v} in the capture: the client never tried to connect there. Check the host and port it connects to.`,
      evidence: reported ? [`${reported.program} printed: ${show(reported.line, 200)}`] : packets.slice(0, 3).map(formatPacket),
    };
  }
  let firstFailure: Verdict | undefined;
  // Retransmitted SYNs and several connections: a complete handshake on any of them passes.
  const tried = new Set<string>();
  for (const syn of syns) {
    const key = `${syn.tcp.srcPort}/${syn.tcp.seq}`;
    if (tried.has(key)) continue;
    tried.add(key);
    const verdict = oneHandshake(syn, packets, spec, obs);
    if (verdict.passed) return verdict;
    firstFailure ??= verdict;
  }
  return firstFailure ?? { passed: false, message: 'no handshake found' };
}

function oneHandshake(syn: TcpPacket, packets: TcpPacket[], spec: HandshakeCheck, obs: Observations): Verdict {
  // Only this SYN's connection: a later connection on the same port pair is another one.
  const after = connectionOf(packets, syn).filter((p) => p.index > syn.index);
  const replies = after.filter((p) => p.ip.src === syn.ip.dst);
  const first = replies[0];
  if (!first)
    return {
      passed: false,
      message: `the SYN to ${spec.server} port ${spec.port} got no answer: no SYN-ACK and no RST came back.`,
      evidence: [formatPacket(syn)],
    };
  if (first.tcp.flags.rst) {
    const cause = noListenerCause(obs, spec.server, spec.port, { dst: syn.ip.dst });
    return {
      passed: false,
      message: !cause
        ? `no SYN-ACK: the server answered the SYN with RST — is it listening on port ${spec.port}?`
        : cause.kind === 'bound-elsewhere'
          ? `no SYN-ACK: the server answered the SYN with RST. ${cause.text}`
          : `no SYN-ACK: the server answered the SYN with RST: nothing listens on port ${spec.port} in ${spec.server}; ${cause.text}`,
      evidence: [formatPacket(syn), formatPacket(first)],
    };
  }
  const synAck = replies.find((p) => p.tcp.flags.syn && p.tcp.flags.ack);
  if (!synAck)
    return {
      passed: false,
      message: `the server never sent a SYN-ACK for the client's SYN.`,
      evidence: [formatPacket(syn), formatPacket(first)],
    };
  if (synAck.tcp.ack !== plus(syn.tcp.seq, 1)) {
    return {
      passed: false,
      message: `the SYN-ACK acknowledges ${synAck.tcp.ack}, not the client's ISN+1 (${plus(syn.tcp.seq, 1)}).`,
      evidence: [formatPacket(syn), formatPacket(synAck)],
    };
  }
  const ack = after.find(
    (p) =>
      p.index > synAck.index &&
      p.ip.src === syn.ip.src &&
      p.tcp.flags.ack &&
      !p.tcp.flags.syn &&
      !p.tcp.flags.rst &&
      p.tcp.ack === plus(synAck.tcp.seq, 1),
  );
  if (!ack) {
    return {
      passed: false,
      message: `the client never acknowledged the SYN-ACK: no ACK of the server's ISN+1 (${plus(synAck.tcp.seq, 1)}) followed.`,
      evidence: [formatPacket(syn), formatPacket(synAck)],
    };
  }
  return {
    passed: true,
    message: `SYN, SYN-ACK, ACK in order: client ISN ${syn.tcp.seq}, server ISN ${synAck.tcp.seq}.`,
    evidence: [formatPacket(syn), formatPacket(synAck), formatPacket(ack)],
  };
}

/** The fields of a `handshake` check (its schema fragment, in schema/lab.schema.json under checks[].handshake). */
export const HandshakeCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    client: Type.String({ description: 'Client node.' }),
    server: Type.String({ description: 'Server node.' }),
    port: ref(PortSchema, { description: "The server's port." }),
    family: Type.Optional(Enum([4, 6], { description: 'IP version: 4 (default) or 6.' })),
  },
  { additionalProperties: false, description: 'SYN, SYN-ACK, ACK between client and server, in order, with correct seq/ack numbers.' },
);
export type HandshakeCheck = Static<typeof HandshakeCheckSchema>;
export const handshakeKind = defineCheckKind({
  name: 'handshake',
  schema: HandshakeCheckSchema,
  reads: ['captures'],
  evaluate: checkHandshake,
  lint(spec, ctx) {
    ctx.ref(['capture'], spec.capture, ctx.captures, 'capture');
    ctx.node(['client'], spec.client);
    ctx.node(['server'], spec.server);
  },
});
