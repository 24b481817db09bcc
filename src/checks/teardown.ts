import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import { captureOf, nodeAddresses } from './observed.js';
import { dedupe, plus, tcpPackets, type TcpPacket } from './tcp.js';
import type { Verdict } from './types.js';

export interface TeardownSpec {
  capture: string;
  initiator: string;
  port?: number;
}

/** The initiator sent the first FIN of the connection, and the connection closed: both FINs acknowledged, or a reset. */
export function checkTeardown(spec: TeardownSpec, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if ('message' in cap) return cap;
  const mine = nodeAddresses(obs, spec.initiator);
  const all = dedupe(tcpPackets(cap.packets)).filter((p) => spec.port === undefined || p.tcp.srcPort === spec.port || p.tcp.dstPort === spec.port);
  const involving = all.filter((p) => mine.includes(p.ip.src) || mine.includes(p.ip.dst));
  if (involving.length === 0) {
    return { passed: false, message: `no TCP packets to or from ${spec.initiator}${spec.port ? ` on port ${spec.port}` : ''} in the capture: there was no connection to close.` };
  }
  // The connection: the endpoints of the first packet involving the initiator.
  const p0 = involving[0] as TcpPacket;
  const conn = involving.filter(
    (p) =>
      (p.ip.src === p0.ip.src && p.tcp.srcPort === p0.tcp.srcPort && p.ip.dst === p0.ip.dst && p.tcp.dstPort === p0.tcp.dstPort) ||
      (p.ip.src === p0.ip.dst && p.tcp.srcPort === p0.tcp.dstPort && p.ip.dst === p0.ip.src && p.tcp.dstPort === p0.tcp.srcPort),
  );
  const fins = conn.filter((p) => p.tcp.flags.fin);
  const rst = conn.find((p) => p.tcp.flags.rst);
  const firstFin = fins[0];
  if (!firstFin) {
    if (rst) {
      const who = mine.includes(rst.ip.src) ? spec.initiator : 'the peer';
      return { passed: false, message: `the connection was reset by ${who} (RST) instead of being closed with FIN.`, evidence: [formatPacket(rst)] };
    }
    return { passed: false, message: `no FIN at all: ${spec.initiator} never closed the connection.`, evidence: conn.slice(-2).map(formatPacket) };
  }
  if (!mine.includes(firstFin.ip.src)) {
    return {
      passed: false,
      message: `the peer closed first: the first FIN came from ${firstFin.ip.src}, not from ${spec.initiator}.`,
      evidence: [formatPacket(firstFin)],
    };
  }
  const peerFin = fins.find((p) => p.ip.src !== firstFin.ip.src);
  const acked = (fin: TcpPacket): TcpPacket | undefined =>
    conn.find((p) => p.index > fin.index && p.ip.src === fin.ip.dst && p.tcp.flags.ack && p.tcp.ack === plus(fin.tcp.seq, fin.tcp.payload.length + 1));
  if (!peerFin) {
    if (rst) return { passed: true, message: `${spec.initiator} sent the first FIN; the peer then reset the connection.`, evidence: [formatPacket(firstFin), formatPacket(rst)] };
    return {
      passed: false,
      message: `${spec.initiator} sent a FIN but the other side never closed its half (no FIN came back).`,
      evidence: [formatPacket(firstFin)],
    };
  }
  const ack1 = acked(firstFin);
  const ack2 = acked(peerFin);
  if (!ack1 || !ack2) {
    return {
      passed: false,
      message: `the ${!ack1 ? 'first' : 'second'} FIN was never acknowledged: the connection did not close cleanly.`,
      evidence: [formatPacket(firstFin), formatPacket(peerFin)],
    };
  }
  return {
    passed: true,
    message: `${spec.initiator} closed first (FIN), the peer answered with its own FIN, and both were acknowledged.`,
    evidence: [formatPacket(firstFin), ...new Set([ack1, peerFin, ack2].map(formatPacket))],
  };
}
