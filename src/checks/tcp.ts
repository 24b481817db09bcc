import { splitTcpConnections } from '../observe/tcp-connections.js';
import type { Packet } from '../observe/types.js';

/** A TCP packet with its headers known to be present. */
export type TcpPacket = Packet & { ip: NonNullable<Packet['ip']>; tcp: NonNullable<Packet['tcp']> };

export function tcpPackets(packets: Packet[]): TcpPacket[] {
  return packets.filter((p): p is TcpPacket => p.ip !== undefined && p.tcp !== undefined);
}

export function plus(n: number, k: number): number {
  return (n + k) >>> 0;
}

/** The flags of a TCP packet as tcpdump writes them: S, S., ., P., F., R ... */
export function flagString(p: TcpPacket): string {
  const f = p.tcp.flags;
  const s = (f.syn ? 'S' : '') + (f.fin ? 'F' : '') + (f.psh ? 'P' : '') + (f.rst ? 'R' : '') + (f.urg ? 'U' : '');
  return f.ack ? (s === '' ? '.' : s + '.') : s || 'none';
}

/** Packets seen twice in one capture (`-i any` may record a frame on more than one interface) are kept once. */
export function dedupe(packets: TcpPacket[]): TcpPacket[] {
  const seen = new Set<string>();
  return packets.filter((p) => {
    const key = `${p.ip.src}:${p.tcp.srcPort}>${p.ip.dst}:${p.tcp.dstPort}/${p.tcp.seq}/${p.tcp.ack}/${flagString(p)}/${p.tcp.payload.length}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Splits packets into connections (a 4-tuple and its SYN: see splitTcpConnections), in order of first packet. */
export function connections(packets: TcpPacket[]): TcpPacket[][] {
  return splitTcpConnections(packets);
}

/** The connection (see connections) a packet belongs to, among `packets`. */
export function connectionOf(packets: TcpPacket[], p: TcpPacket): TcpPacket[] {
  return connections(packets).find((c) => c.includes(p)) ?? [p];
}

/** The bytes one side sent on a connection, reassembled by sequence number; retransmissions count once. */
export function streamBytes(conn: TcpPacket[], fromIp: string, fromPort: number): Buffer {
  const segs = conn.filter((p) => p.ip.src === fromIp && p.tcp.srcPort === fromPort);
  const syn = segs.find((p) => p.tcp.flags.syn);
  const data = segs.filter((p) => p.tcp.payload.length > 0);
  if (data.length === 0) return Buffer.alloc(0);
  const isn = syn ? plus(syn.tcp.seq, 1) : Math.min(...data.map((p) => p.tcp.seq));
  const parts: { off: number; bytes: Buffer }[] = data
    .map((p) => ({ off: (p.tcp.seq - isn + 2 ** 32) % 2 ** 32, bytes: p.tcp.payload }))
    .filter((s) => s.off < 2 ** 31);
  parts.sort((x, y) => x.off - y.off);
  const chunks: Buffer[] = [];
  let next = 0;
  for (const s of parts) {
    const end = s.off + s.bytes.length;
    if (end <= next) continue;
    if (s.off > next) break; // a gap: the capture missed bytes
    chunks.push(s.bytes.subarray(next - s.off));
    next = end;
  }
  return Buffer.concat(chunks);
}
