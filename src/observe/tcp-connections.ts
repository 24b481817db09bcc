import type { Packet } from './types.js';

/**
 * Splits TCP packets into connections, in order of each connection's first packet. A connection is a 4-tuple
 * and its SYN (RFC 9293 3.4): a SYN with a new ISN on a 4-tuple already seen begins a new connection (a
 * client that reuses its port, a server's TIME_WAIT taking a new SYN); a retransmitted SYN (same ISN) does
 * not, nor does the other side's SYN while the connection opens (a simultaneous open). Packets of a
 * connection whose SYN the capture missed form one connection until the next SYN. Packets without IP and
 * TCP headers are left out.
 */
export function splitTcpConnections<P extends Packet>(packets: P[]): P[][] {
  const current = new Map<string, { isn: number | undefined; opener: string | undefined; ended: boolean; list: P[] }>();
  const out: P[][] = [];
  for (const p of packets) {
    if (!p.ip || !p.tcp) continue;
    const from = `${p.ip.src}:${p.tcp.srcPort}`;
    const to = `${p.ip.dst}:${p.tcp.dstPort}`;
    const key = from < to ? `${from}|${to}` : `${to}|${from}`;
    let conn = current.get(key);
    const opening = p.tcp.flags.syn && !p.tcp.flags.ack;
    if (opening && conn && (conn.opener === undefined || (conn.opener === from ? conn.isn !== p.tcp.seq : conn.ended))) conn = undefined;
    if (!conn) {
      conn = { isn: opening ? p.tcp.seq : undefined, opener: opening ? from : undefined, ended: false, list: [] };
      current.set(key, conn);
      out.push(conn.list);
    }
    conn.list.push(p);
    if (p.tcp.flags.fin || p.tcp.flags.rst) conn.ended = true;
  }
  return out;
}
