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

/** Same connection: the two endpoints match in either direction. */
export function sameConnection(a: TcpPacket, b: TcpPacket): boolean {
  return (
    (a.ip.src === b.ip.src && a.tcp.srcPort === b.tcp.srcPort && a.ip.dst === b.ip.dst && a.tcp.dstPort === b.tcp.dstPort) ||
    (a.ip.src === b.ip.dst && a.tcp.srcPort === b.tcp.dstPort && a.ip.dst === b.ip.src && a.tcp.dstPort === b.tcp.srcPort)
  );
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
