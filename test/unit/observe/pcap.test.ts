import { beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCapture, decodePcap, formatPacket, PcapError } from '../../../src/observe/pcap.js';
import { formatIpv6 } from '../../../src/util/address.js';
import type { Packet } from '../../../src/observe/types.js';
import { ToplabError } from '../../../src/errors.js';

// Fixtures made by scripts/capture-fixtures.sh (see test/fixtures/README.md). The exact numbers below were
// read off the captures (and agree with tshark, see the last block of tests).
const DIR = fileURLToPath(new URL('../../fixtures/pcap/', import.meta.url));
const read = (name: string): Buffer => readFileSync(DIR + name);
const decode = (name: string): Packet[] => decodePcap(read(name));

const SRV4 = '10.77.251.10';
const CLI4 = '10.77.251.20';
const SRV6 = 'fd00:7e57:77::10';
const CLI6 = 'fd00:7e57:77::20';
const SRV_MAC = '02:42:0a:4d:fb:0a';
const CLI_MAC = '02:42:0a:4d:fb:14';

const NO_FLAGS = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false };

function at(packets: Packet[], i: number): Packet {
  const p = packets[i];
  if (!p) throw new Error(`no packet ${i} (capture has ${packets.length})`);
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers that rewrite a real capture into forms tcpdump on this machine cannot produce.

interface Frame {
  sec: number;
  frac: number;
  data: Buffer;
  origlen: number;
}

function framesOf(buf: Buffer): { linkType: number; frames: Frame[] } {
  const frames: Frame[] = [];
  for (let o = 24; o + 16 <= buf.length;) {
    const caplen = buf.readUInt32LE(o + 8);
    frames.push({
      sec: buf.readUInt32LE(o),
      frac: buf.readUInt32LE(o + 4),
      data: buf.subarray(o + 16, o + 16 + caplen),
      origlen: buf.readUInt32LE(o + 12),
    });
    o += 16 + caplen;
  }
  return { linkType: buf.readUInt32LE(20), frames };
}

/** A little-endian microsecond pcap, or big-endian with `bigEndian`. */
function pcapOf(linkType: number, frames: Frame[], opts: { bigEndian?: boolean; snaplen?: number } = {}): Buffer {
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    if (opts.bigEndian) b.writeUInt32BE(v);
    else b.writeUInt32LE(v);
    return b;
  };
  const u16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    if (opts.bigEndian) b.writeUInt16BE(v);
    else b.writeUInt16LE(v);
    return b;
  };
  const parts = [u32(0xa1b2c3d4), u16(2), u16(4), u32(0), u32(0), u32(opts.snaplen ?? 262144), u32(linkType)];
  for (const f of frames) parts.push(u32(f.sec), u32(f.frac), u32(f.data.length), u32(f.origlen), f.data);
  return Buffer.concat(parts);
}

function mapFrames(name: string, linkType: number, fn: (data: Buffer) => Buffer): Buffer {
  const { frames } = framesOf(read(name));
  return pcapOf(
    linkType,
    frames.map((f) => {
      const data = fn(f.data);
      return { ...f, data, origlen: f.origlen + data.length - f.data.length };
    }),
  );
}

/** The fields that do not depend on the link layer. */
function above(p: Packet): unknown {
  return {
    ip: p.ip,
    tcp: p.tcp && { ...p.tcp, payload: p.tcp.payload.toString('hex') },
    udp: p.udp && { ...p.udp, payload: p.udp.payload.toString('hex') },
    icmp: p.icmp,
  };
}

function recordOffsets(buf: Buffer): number[] {
  const out: number[] = [];
  for (let o = 24; o + 16 <= buf.length; o += 16 + buf.readUInt32LE(o + 8)) out.push(o);
  return out;
}

// ---------------------------------------------------------------------------------------------------------

describe('decodePcap: IPv4 TCP echo on Ethernet (tcp-echo-eth.pcap)', () => {
  const packets = decode('tcp-echo-eth.pcap');

  it('has the ten packets of a handshake, data both ways and a client-first close', () => {
    expect(packets).toHaveLength(10);
    expect(packets.map((p) => formatPacket(p))).toEqual([
      `${CLI4}:20101 > ${SRV4}:9000 [S] seq=458592105 win=64240`,
      `${SRV4}:9000 > ${CLI4}:20101 [S.] seq=1580848366 ack=458592106 win=65160`,
      `${CLI4}:20101 > ${SRV4}:9000 [.] seq=458592106 ack=1580848367 win=63`,
      `${CLI4}:20101 > ${SRV4}:9000 [P.] seq=458592106 ack=1580848367 win=63 len=13`,
      `${SRV4}:9000 > ${CLI4}:20101 [.] seq=1580848367 ack=458592119 win=64`,
      `${SRV4}:9000 > ${CLI4}:20101 [P.] seq=1580848367 ack=458592119 win=64 len=13`,
      `${CLI4}:20101 > ${SRV4}:9000 [.] seq=458592119 ack=1580848380 win=63`,
      `${CLI4}:20101 > ${SRV4}:9000 [F.] seq=458592119 ack=1580848380 win=63`,
      `${SRV4}:9000 > ${CLI4}:20101 [F.] seq=1580848380 ack=458592120 win=64`,
      `${CLI4}:20101 > ${SRV4}:9000 [.] seq=458592120 ack=1580848381 win=63`,
    ]);
  });

  it('decodes the SYN completely', () => {
    const syn = at(packets, 0);
    expect(syn.index).toBe(0);
    expect(syn.time).toBeCloseTo(1795625686.0287, 6);
    expect(syn.length).toBe(74);
    expect(syn.capturedLength).toBeUndefined();
    expect(syn.malformed).toBeUndefined();
    expect(syn.link).toEqual({ type: 'ethernet', src: CLI_MAC, dst: SRV_MAC, etherType: 0x0800 });
    expect(syn.ip).toEqual({
      version: 4,
      src: CLI4,
      dst: SRV4,
      ttl: 64,
      protocol: 6,
      totalLength: 60,
      id: 15239,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
    });
    expect(syn.tcp).toEqual({
      srcPort: 20101,
      dstPort: 9000,
      seq: 458592105,
      ack: 0,
      flags: { ...NO_FLAGS, syn: true },
      window: 64240,
      options: { mss: 1460, windowScale: 10, sackPermitted: true, timestamp: { value: 2652839485, echo: 0 } },
      payload: Buffer.alloc(0),
      dataLength: 0,
    });
  });

  it('acknowledges the ISNs plus one and carries the payload both ways', () => {
    const [syn, synAck, ack, data, , echo] = packets;
    expect(synAck?.tcp?.flags).toEqual({ ...NO_FLAGS, syn: true, ack: true });
    expect(synAck?.tcp?.ack).toBe((syn?.tcp?.seq ?? 0) + 1);
    expect(synAck?.tcp?.options).toEqual({
      mss: 1460,
      windowScale: 10,
      sackPermitted: true,
      timestamp: { value: 2666650691, echo: 2652839485 },
    });
    expect(ack?.tcp?.ack).toBe((synAck?.tcp?.seq ?? 0) + 1);
    expect(ack?.tcp?.options).toEqual({ timestamp: { value: 2652839486, echo: 2666650691 } });
    expect(data?.tcp?.payload.toString()).toBe('hello toplab\n');
    expect(data?.ip?.totalLength).toBe(65);
    expect(echo?.tcp?.payload.toString()).toBe('hello toplab\n');
    expect(echo?.tcp?.flags).toEqual({ ...NO_FLAGS, psh: true, ack: true });
    expect(echo?.link.src).toBe(SRV_MAC);
  });

  it('sees the FIN of each side acknowledged with seq + 1', () => {
    const finC = at(packets, 7).tcp;
    const finS = at(packets, 8).tcp;
    const last = at(packets, 9).tcp;
    expect(finC?.flags).toEqual({ ...NO_FLAGS, fin: true, ack: true });
    expect(finS?.flags).toEqual({ ...NO_FLAGS, fin: true, ack: true });
    expect(finS?.ack).toBe((finC?.seq ?? 0) + 1);
    expect(last?.ack).toBe((finS?.seq ?? 0) + 1);
  });
});

describe('decodePcap: Linux cooked captures of the same exchange', () => {
  const eth = decode('tcp-echo-eth.pcap');

  it('reads SLL2 (what tcpdump -i any writes here): interface index and direction', () => {
    const c = decodeCapture(read('tcp-echo-any-sll2.pcap'));
    expect(c.linkTypes).toEqual([276]);
    expect(c.packets).toHaveLength(10);
    expect(c.packets.map((p) => p.link.direction)).toEqual(['in', 'out', 'in', 'in', 'out', 'out', 'in', 'in', 'out', 'in']);
    expect(at(c.packets, 0).link).toEqual({ type: 'linux-sll2', etherType: 0x0800, ifindex: 86, direction: 'in', src: CLI_MAC });
    expect(at(c.packets, 1).link).toEqual({ type: 'linux-sll2', etherType: 0x0800, ifindex: 86, direction: 'out', src: SRV_MAC });
    expect(at(c.packets, 0).length).toBe(80);
    c.packets.forEach((p, i) => expect(above(p)).toEqual(above(at(eth, i))));
  });

  it('reads SLL v1 (-y LINUX_SLL): direction, sender address, no interface index', () => {
    const c = decodeCapture(read('tcp-echo-any-sll.pcap'));
    expect(c.linkTypes).toEqual([113]);
    expect(c.packets.map((p) => p.link.direction)).toEqual(['in', 'out', 'in', 'in', 'out', 'out', 'in', 'in', 'out', 'in']);
    expect(at(c.packets, 3).link).toEqual({ type: 'linux-sll', direction: 'in', src: CLI_MAC, etherType: 0x0800 });
    expect(at(c.packets, 3).length).toBe(81);
    c.packets.forEach((p, i) => expect(above(p)).toEqual(above(at(eth, i))));
  });

  it('reads the pcapng copy (editcap) to the same packets and times', () => {
    const c = decodeCapture(read('tcp-echo-eth.pcapng'));
    expect(c.format).toBe('pcapng');
    expect(c.linkTypes).toEqual([1]);
    expect(c.packets).toHaveLength(10);
    c.packets.forEach((p, i) => {
      expect(above(p)).toEqual(above(at(eth, i)));
      expect(p.link).toEqual(at(eth, i).link);
      expect(p.length).toBe(at(eth, i).length);
      expect(p.time).toBeCloseTo(at(eth, i).time, 6);
    });
  });
});

describe('decodePcap: TCP failures on the wire', () => {
  it('a SYN to a closed port is answered by RST+ACK (tcp-closed-port.pcap)', () => {
    const [syn, rst, ...rest] = decode('tcp-closed-port.pcap');
    expect(rest).toEqual([]);
    expect(syn?.tcp).toMatchObject({ srcPort: 20102, dstPort: 9001, seq: 492123317, flags: { ...NO_FLAGS, syn: true } });
    expect(rst?.ip).toMatchObject({ src: SRV4, dst: CLI4, totalLength: 40, id: 0 });
    expect(rst?.tcp).toEqual({
      srcPort: 9001,
      dstPort: 20102,
      seq: 0,
      ack: 492123318,
      flags: { ...NO_FLAGS, rst: true, ack: true },
      window: 0,
      options: {},
      payload: Buffer.alloc(0),
      dataLength: 0,
    });
    expect(rst?.length).toBe(54);
  });

  it('a handshake whose final ACK never arrives: only SYN-ACK retransmissions (tcp-missing-ack.pcap)', () => {
    const packets = decode('tcp-missing-ack.pcap');
    expect(packets).toHaveLength(4);
    const [syn, ...synAcks] = packets;
    expect(syn?.tcp).toMatchObject({ srcPort: 20109, dstPort: 9000, seq: 1526042075, flags: { ...NO_FLAGS, syn: true } });
    for (const p of synAcks) {
      expect(p.ip?.src).toBe(SRV4);
      expect(p.tcp).toMatchObject({ seq: 2398844666, ack: 1526042076, flags: { ...NO_FLAGS, syn: true, ack: true } });
    }
    // The kernel's SYN-ACK timer: about 1 s, then 2 s more.
    expect(at(packets, 2).time - at(packets, 1).time).toBeCloseTo(1.001214, 5);
    expect(at(packets, 3).time - at(packets, 2).time).toBeCloseTo(2.019988, 5);
    expect(packets.filter((p) => p.ip?.src === CLI4 && p.tcp?.flags.ack)).toEqual([]);
  });

  it('a server that resets after echoing (tcp-reset-after-data.pcap)', () => {
    const packets = decode('tcp-reset-after-data.pcap');
    expect(packets).toHaveLength(8);
    expect(at(packets, 3).tcp?.payload.toString()).toBe('reset me\n');
    expect(at(packets, 5).tcp?.payload.toString()).toBe('reset me\n');
    const rst = at(packets, 7);
    expect(rst.tcp).toMatchObject({
      srcPort: 9600,
      dstPort: 20103,
      seq: 2577117729,
      ack: 823822774,
      flags: { ...NO_FLAGS, rst: true, ack: true },
      window: 64,
    });
    expect(formatPacket(rst)).toBe(`${SRV4}:9600 > ${CLI4}:20103 [R.] seq=2577117729 ack=823822774 win=64`);
    expect(packets.some((p) => p.tcp?.flags.fin)).toBe(false);
  });
});

describe('decodePcap: UDP and ICMP', () => {
  it('UDP datagrams both ways (udp-echo.pcap)', () => {
    const packets = decode('udp-echo.pcap');
    expect(packets.map((p) => [p.ip?.src, p.udp?.srcPort, p.udp?.dstPort, p.udp?.length, p.udp?.payload.toString()])).toEqual([
      [CLI4, 20104, 9002, 19, 'datagram 1\n'],
      [CLI4, 20104, 9002, 19, 'datagram 2\n'],
      [SRV4, 9002, 20104, 19, 'datagram 1\n'],
      [SRV4, 9002, 20104, 19, 'datagram 2\n'],
    ]);
    expect(at(packets, 0).ip).toEqual({
      version: 4,
      src: CLI4,
      dst: SRV4,
      ttl: 64,
      protocol: 17,
      totalLength: 39,
      id: 54591,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
    });
    expect(formatPacket(at(packets, 0))).toBe(`${CLI4}:20104 > ${SRV4}:9002 UDP len=11`);
  });

  it('ICMP port unreachable quotes the datagram it answers (udp-closed-port.pcap)', () => {
    const [dgram, icmp] = decode('udp-closed-port.pcap');
    expect(dgram?.udp).toMatchObject({ srcPort: 20105, dstPort: 9005, length: 19 });
    expect(icmp?.ip).toMatchObject({ src: SRV4, dst: CLI4, protocol: 1, totalLength: 67 });
    expect(icmp?.udp).toBeUndefined();
    expect(icmp?.icmp).toEqual({
      version: 4,
      type: 3,
      code: 3,
      payloadLength: 39,
      original: { src: CLI4, dst: SRV4, protocol: 17, srcPort: 20105, dstPort: 9005 },
    });
    expect(formatPacket(icmp as Packet)).toBe(`${SRV4} > ${CLI4} ICMP port unreachable for UDP ${CLI4}:20105 > ${SRV4}:9005`);
  });

  it('ping -c 3 -s 100 with nanosecond timestamps (icmp-echo-nano.pcap)', () => {
    const packets = decode('icmp-echo-nano.pcap');
    expect(packets.map((p) => [p.icmp?.type, p.icmp?.id, p.icmp?.seq, p.icmp?.payloadLength])).toEqual([
      [8, 26876, 1, 100],
      [0, 26876, 1, 100],
      [8, 26876, 2, 100],
      [0, 26876, 2, 100],
      [8, 26876, 3, 100],
      [0, 26876, 3, 100],
    ]);
    expect(at(packets, 0).time).toBeCloseTo(1795625702.9239, 6);
    // 29.797 µs between request and reply, which only a nanosecond reading gets right.
    expect(at(packets, 1).time - at(packets, 0).time).toBeCloseTo(0.000029797, 6);
    expect(at(packets, 0).length).toBe(142);
    expect(formatPacket(at(packets, 0))).toBe(`${CLI4} > ${SRV4} ICMP echo request id=26876 seq=1 len=100`);
    expect(formatPacket(at(packets, 1))).toBe(`${SRV4} > ${CLI4} ICMP echo reply id=26876 seq=1 len=100`);
  });

  it('IPv4 fragments: offsets, MF, one id; the UDP header only in the first (ipv4-fragmented-udp.pcap)', () => {
    const packets = decode('ipv4-fragmented-udp.pcap');
    expect(
      packets.map((p) => [
        p.ip?.src,
        p.ip?.id,
        p.ip?.fragmentOffset,
        p.ip?.moreFragments,
        p.ip?.totalLength,
        p.ip?.protocol,
        p.udp !== undefined,
      ]),
    ).toEqual([
      [CLI4, 55611, 0, true, 1500, 17, true],
      [CLI4, 55611, 1480, true, 1500, 17, false],
      [CLI4, 55611, 2960, false, 68, 17, false],
      [SRV4, 28449, 0, true, 1500, 17, true],
      [SRV4, 28449, 1480, true, 1500, 17, false],
      [SRV4, 28449, 2960, false, 68, 17, false],
    ]);
    const first = at(packets, 0);
    expect(first.udp).toMatchObject({ srcPort: 20106, dstPort: 9002, length: 3008 });
    expect(first.udp?.payload.length).toBe(1472);
    expect(first.udp?.payload.subarray(0, 11).toString()).toBe('datagram 1\n');
    expect(first.ip?.dontFragment).toBe(false);
    expect(formatPacket(first)).toBe(`${CLI4}:20106 > ${SRV4}:9002 UDP len=3000 (fragment id=55611 offset=0, more)`);
    expect(formatPacket(at(packets, 1))).toBe(`${CLI4} > ${SRV4} UDP (fragment id=55611 offset=1480, more) iplen=1500`);
    expect(formatPacket(at(packets, 2))).toBe(`${CLI4} > ${SRV4} UDP (fragment id=55611 offset=2960) iplen=68`);
  });
});

describe('decodePcap: IPv6', () => {
  it('a TCP echo over IPv6 (ipv6-tcp-echo-eth.pcap)', () => {
    const packets = decode('ipv6-tcp-echo-eth.pcap');
    expect(packets).toHaveLength(10);
    const syn = at(packets, 0);
    expect(syn.link).toEqual({ type: 'ethernet', src: CLI_MAC, dst: SRV_MAC, etherType: 0x86dd });
    expect(syn.ip).toEqual({ version: 6, src: CLI6, dst: SRV6, ttl: 64, protocol: 6, totalLength: 80 });
    expect(syn.tcp).toMatchObject({
      srcPort: 20107,
      dstPort: 9000,
      seq: 344770308,
      window: 64800,
      options: { mss: 1440, windowScale: 10, sackPermitted: true, timestamp: { value: 2935666708, echo: 0 } },
    });
    expect(formatPacket(syn)).toBe(`[${CLI6}]:20107 > [${SRV6}]:9000 [S] seq=344770308 win=64800`);
    expect(formatPacket(at(packets, 1))).toBe(`[${SRV6}]:9000 > [${CLI6}]:20107 [S.] seq=2736592111 ack=344770309 win=64260`);
    expect(at(packets, 3).tcp?.payload.toString()).toBe('hello over ipv6\n');
    expect(at(packets, 5).tcp?.payload.toString()).toBe('hello over ipv6\n');
    expect(packets.map((p) => (p.tcp ? `${p.ip?.src === CLI6 ? 'c' : 's'}${formatPacket(p).split(' ')[3]}` : '?'))).toEqual([
      'c[S]',
      's[S.]',
      'c[.]',
      'c[P.]',
      's[.]',
      's[P.]',
      'c[.]',
      'c[F.]',
      's[F.]',
      'c[.]',
    ]);
  });

  it('the same over -i any (ipv6-tcp-echo-any-sll2.pcap)', () => {
    const eth = decode('ipv6-tcp-echo-eth.pcap');
    const any = decode('ipv6-tcp-echo-any-sll2.pcap');
    expect(at(any, 0).link).toEqual({ type: 'linux-sll2', etherType: 0x86dd, ifindex: 86, direction: 'in', src: CLI_MAC });
    any.forEach((p, i) => expect(above(p)).toEqual(above(at(eth, i))));
  });

  it('ICMPv6 echo request and reply (icmpv6-echo.pcap)', () => {
    const packets = decode('icmpv6-echo.pcap');
    expect(
      packets.map((p) => [
        p.ip?.src,
        p.ip?.protocol,
        p.icmp?.version,
        p.icmp?.type,
        p.icmp?.code,
        p.icmp?.id,
        p.icmp?.seq,
        p.icmp?.payloadLength,
      ]),
    ).toEqual([
      [CLI6, 58, 6, 128, 0, 26877, 1, 56],
      [SRV6, 58, 6, 129, 0, 26877, 1, 56],
      [CLI6, 58, 6, 128, 0, 26877, 2, 56],
      [SRV6, 58, 6, 129, 0, 26877, 2, 56],
    ]);
    expect(formatPacket(at(packets, 0))).toBe(`${CLI6} > ${SRV6} ICMP6 echo request id=26877 seq=1 len=56`);
  });

  it('IPv6 fragment headers: offsets, more-fragments, upper protocol; UDP only in the first (ipv6-fragmented-udp.pcap)', () => {
    const packets = decode('ipv6-fragmented-udp.pcap');
    expect(
      packets.map((p) => [p.ip?.src, p.ip?.fragmentOffset, p.ip?.moreFragments, p.ip?.totalLength, p.ip?.protocol, p.udp !== undefined]),
    ).toEqual([
      [CLI6, 0, true, 1496, 17, true],
      [CLI6, 1448, true, 1496, 17, false],
      [CLI6, 2896, false, 160, 17, false],
      [SRV6, 0, true, 1496, 17, true],
      [SRV6, 1448, true, 1496, 17, false],
      [SRV6, 2896, false, 160, 17, false],
    ]);
    expect(at(packets, 0).udp).toMatchObject({ srcPort: 20108, dstPort: 9003, length: 3008 });
    expect(at(packets, 0).udp?.payload.length).toBe(1440);
    expect(formatPacket(at(packets, 1))).toBe(`${CLI6} > ${SRV6} UDP (fragment offset=1448, more) iplen=1496`);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('decodePcap: forms derived from the real frames', () => {
  const eth = decode('tcp-echo-eth.pcap');

  it('reads a big-endian pcap', () => {
    const { linkType, frames } = framesOf(read('tcp-echo-eth.pcap'));
    const big = decodePcap(pcapOf(linkType, frames, { bigEndian: true }));
    expect(big.map(above)).toEqual(eth.map(above));
    expect(big.map((p) => p.time)).toEqual(eth.map((p) => p.time));
  });

  it('reads a nanosecond big-endian pcap', () => {
    const { linkType, frames } = framesOf(read('icmp-echo-nano.pcap'));
    const buf = pcapOf(linkType, frames, { bigEndian: true });
    buf.writeUInt32BE(0xa1b23c4d, 0);
    expect(decodePcap(buf).map((p) => p.time)).toEqual(decode('icmp-echo-nano.pcap').map((p) => p.time));
  });

  it('reads raw IP link types 101, 12 and 228/229 (Ethernet header stripped)', () => {
    for (const linkType of [101, 12, 228]) {
      const raw = decodePcap(mapFrames('tcp-echo-eth.pcap', linkType, (d) => d.subarray(14)));
      expect(raw.map((p) => p.link)).toEqual(eth.map(() => ({ type: 'raw', etherType: 0x0800 })));
      expect(raw.map(above)).toEqual(eth.map(above));
      expect(at(raw, 0).length).toBe(60);
    }
    const v6 = decode('ipv6-tcp-echo-eth.pcap');
    for (const linkType of [101, 229]) {
      const raw = decodePcap(mapFrames('ipv6-tcp-echo-eth.pcap', linkType, (d) => d.subarray(14)));
      expect(raw.map(above)).toEqual(v6.map(above));
      expect(at(raw, 0).link).toEqual({ type: 'raw', etherType: 0x86dd });
    }
  });

  it('reads 802.1Q VLAN tags, QinQ too, and reports the outer VLAN id', () => {
    const tag = (tpid: number, vid: number): Buffer => Buffer.from([tpid >> 8, tpid & 0xff, (vid >> 8) & 0x0f, vid & 0xff]);
    const tagged = decodePcap(
      mapFrames('tcp-echo-eth.pcap', 1, (d) => Buffer.concat([d.subarray(0, 12), tag(0x8100, 42), d.subarray(12)])),
    );
    expect(at(tagged, 0).link).toEqual({ type: 'ethernet', src: CLI_MAC, dst: SRV_MAC, etherType: 0x0800, vlan: 42 });
    expect(tagged.map(above)).toEqual(eth.map(above));
    const qinq = decodePcap(
      mapFrames('tcp-echo-eth.pcap', 1, (d) => Buffer.concat([d.subarray(0, 12), tag(0x88a8, 100), tag(0x8100, 42), d.subarray(12)])),
    );
    expect(at(qinq, 3).link.vlan).toBe(100);
    expect(at(qinq, 3).tcp?.payload.toString()).toBe('hello toplab\n');
  });

  it('steps over IPv4 options', () => {
    const withOptions = decodePcap(
      mapFrames('tcp-echo-eth.pcap', 1, (d) => {
        const out = Buffer.concat([d.subarray(0, 34), Buffer.from([1, 1, 1, 0]), d.subarray(34)]);
        out.writeUInt8(0x46, 14); // IHL 6
        out.writeUInt16BE(d.readUInt16BE(16) + 4, 16);
        return out;
      }),
    );
    expect(withOptions.map((p) => p.tcp)).toEqual(eth.map((p) => p.tcp));
    expect(at(withOptions, 0).ip?.totalLength).toBe(64);
  });

  it('steps over IPv6 hop-by-hop and destination-options headers', () => {
    const v6 = decode('ipv6-tcp-echo-eth.pcap');
    const padN = (next: number): Buffer => Buffer.from([next, 0, 1, 4, 0, 0, 0, 0]);
    const ext = decodePcap(
      mapFrames('ipv6-tcp-echo-eth.pcap', 1, (d) => {
        const out = Buffer.concat([d.subarray(0, 54), padN(60), padN(6), d.subarray(54)]);
        out.writeUInt8(0, 20); // next header: hop-by-hop, then destination options, then TCP
        out.writeUInt16BE(d.readUInt16BE(18) + 16, 18);
        return out;
      }),
    );
    expect(ext.map((p) => p.tcp)).toEqual(v6.map((p) => p.tcp));
    expect(at(ext, 0).ip).toEqual({ version: 6, src: CLI6, dst: SRV6, ttl: 64, protocol: 6, totalLength: 96 });
  });

  it('ignores Ethernet padding after the IP packet', () => {
    const padded = decodePcap(mapFrames('tcp-closed-port.pcap', 1, (d) => Buffer.concat([d, Buffer.alloc(6)])));
    expect(at(padded, 1).length).toBe(60);
    expect(at(padded, 1).tcp?.payload.length).toBe(0);
    expect(at(padded, 1).malformed).toBeUndefined();
  });

  it('keeps what a short snapshot length left, and says what is missing', () => {
    const { linkType, frames } = framesOf(read('tcp-echo-eth.pcap'));
    const cut = (n: number): Packet[] =>
      decodePcap(
        pcapOf(
          linkType,
          frames.map((f) => ({ ...f, data: f.data.subarray(0, n) })),
          { snaplen: n },
        ),
      );
    const at70 = cut(70);
    expect(at(at70, 3).length).toBe(79);
    expect(at(at70, 3).capturedLength).toBe(70);
    expect(at(at70, 3).tcp?.payload.toString()).toBe('hell');
    // What the segment carried on the wire, from the IP header: the data that counts in sequence space.
    expect(at(at70, 3).tcp?.dataLength).toBe(13);
    expect(formatPacket(at(at70, 3))).toMatch(/ len=13$/);
    expect(at(at70, 3).malformed).toBeUndefined();
    expect(at(at70, 2).capturedLength).toBeUndefined();
    const at60 = cut(60);
    expect(at(at60, 0).tcp?.seq).toBe(458592105);
    expect(at(at60, 0).tcp?.options).toEqual({});
    expect(at(at60, 0).malformed).toBe('TCP options cut short: 26 of 40 header bytes');
    expect(formatPacket(at(at60, 0))).toBe(
      `${CLI4}:20101 > ${SRV4}:9000 [S] seq=458592105 win=64240 [malformed: TCP options cut short: 26 of 40 header bytes]`,
    );
    const at20 = cut(20);
    expect(at(at20, 0).ip).toBeUndefined();
    expect(at(at20, 0).malformed).toBe('IPv4 header cut short: 6 of 20 bytes');
  });

  it('gives frames without IP their link layer only (ARP)', () => {
    const arp = Buffer.from(
      'ffffffffffff' + '02420a4dfb14' + '0806' + '0001080006040001' + '02420a4dfb14' + '0a4dfb14' + '000000000000' + '0a4dfb0a',
      'hex',
    );
    const [p] = decodePcap(pcapOf(1, [{ sec: 1, frac: 0, data: arp, origlen: arp.length }]));
    expect(p?.link).toEqual({ type: 'ethernet', src: CLI_MAC, dst: 'ff:ff:ff:ff:ff:ff', etherType: 0x0806 });
    expect(p?.ip).toBeUndefined();
    expect(formatPacket(p as Packet)).toBe(`${CLI_MAC} > ff:ff:ff:ff:ff:ff ARP ethertype 0x0806 length 42`);
  });

  it('reads SACK blocks', () => {
    const frame = framesOf(read('tcp-echo-eth.pcap')).frames[2];
    if (!frame) throw new Error('no frame');
    // The pure ACK has NOP NOP TS(10) = 12 option bytes; replace them by NOP NOP SACK(10) with one block.
    const data = Buffer.from(frame.data);
    Buffer.from([1, 1, 5, 10, 0, 0, 0, 100, 0, 0, 0, 200]).copy(data, 54);
    const [p] = decodePcap(pcapOf(1, [{ ...frame, data }]));
    expect(p?.tcp?.options).toEqual({ sack: [{ left: 100, right: 200 }] });
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('decodePcap: truncated and damaged files', () => {
  const good = read('tcp-echo-eth.pcap');
  const offsets = recordOffsets(good);
  const last = offsets[offsets.length - 1] ?? 0;

  it('a final record cut short (tcpdump killed) keeps every complete record', () => {
    for (const end of [good.length - 1, last + 20, last + 16, last + 8, last + 1]) {
      const c = decodeCapture(good.subarray(0, end));
      expect(c.packets).toHaveLength(9);
      expect(c.truncatedAt).toBe(last);
    }
    expect(decodeCapture(good).truncatedAt).toBeUndefined();
  });

  it('a file with only its header has no packets', () => {
    expect(decodePcap(good.subarray(0, 24))).toEqual([]);
  });

  it('a file header cut short is an error at the offset where it ends', () => {
    const e = captureError(good.subarray(0, 20));
    expect(e.offset).toBe(20);
    expect(e.message).toMatch(/pcap file header cut short: 20 of 24 bytes \(at byte 20/);
    expect(captureError(Buffer.alloc(0)).offset).toBe(0);
    expect(captureError(good.subarray(0, 3)).message).toMatch(/only 3 bytes/);
  });

  it('a bad magic number is an error at byte 0', () => {
    const e = captureError(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(e.offset).toBe(0);
    expect(e.message).toBe('not a pcap or pcapng file: magic number 0x47455420 (at byte 0 of the capture file)');
    expect(e.name).toBe('PcapError');
    expect(e).toBeInstanceOf(ToplabError);
    expect(e.exitCode).toBe(4);
  });

  it('a record claiming an impossible length is an error at that field', () => {
    const bad = Buffer.from(good);
    const third = offsets[2] ?? 0;
    bad.writeUInt32LE(0x7fffffff, third + 8);
    const e = captureError(bad);
    expect(e.offset).toBe(third + 8);
    expect(e.message).toMatch(/^record 2 claims 2147483647 captured bytes/);
  });

  it('an unknown link type or pcap version is an error', () => {
    const wifi = Buffer.from(good);
    wifi.writeUInt32LE(105, 20);
    expect(captureError(wifi)).toMatchObject({ offset: 20 });
    expect(captureError(wifi).message).toMatch(/unsupported link-layer type 105/);
    const v3 = Buffer.from(good);
    v3.writeUInt16LE(3, 4);
    expect(captureError(v3).message).toMatch(/unsupported pcap version 3\.4/);
  });

  it('a pcapng file cut short keeps its complete blocks; a broken block length is an error', () => {
    const ng = read('tcp-echo-eth.pcapng');
    const c = decodeCapture(ng.subarray(0, ng.length - 30));
    expect(c.packets.length).toBeLessThan(10);
    expect(c.packets.length).toBeGreaterThan(0);
    expect(c.truncatedAt).toBeDefined();
    const bad = Buffer.from(ng);
    bad.writeUInt32LE(13, 4); // the section header's length: not a multiple of 4
    expect(captureError(bad)).toMatchObject({ offset: 4 });
  });

  it('never throws anything but PcapError on damaged input (thousands of random mutations)', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const sources = [
      'tcp-echo-eth.pcap',
      'tcp-echo-any-sll2.pcap',
      'tcp-echo-any-sll.pcap',
      'ipv6-fragmented-udp.pcap',
      'udp-closed-port.pcap',
      'tcp-echo-eth.pcapng',
    ].map(read);
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const src = sources[i % sources.length] ?? good;
      const buf = Buffer.from(src.subarray(0, rand(3) === 0 ? rand(src.length + 1) : src.length));
      // Damage bytes past the file header most of the time, anywhere sometimes.
      const from = rand(4) === 0 ? 0 : Math.min(24, buf.length);
      for (let k = rand(12); k >= 0 && buf.length > from; k--) buf[from + rand(buf.length - from)] = rand(256);
      try {
        for (const p of decodePcap(buf)) formatPacket(p);
        decoded++;
      } catch (e) {
        if (!(e instanceof PcapError)) throw e;
        rejected++;
      }
    }
    expect(decoded + rejected).toBe(3000);
    expect(decoded).toBeGreaterThan(1000);
  });
});

describe('pcapng written by hand: big-endian section, nanosecond if_tsresol, simple packet block', () => {
  it('reads timestamps in the interface resolution and both packet block kinds', () => {
    const frame = framesOf(read('tcp-echo-eth.pcap')).frames[3];
    if (!frame) throw new Error('no frame');
    const block = (type: number, body: Buffer): Buffer => {
      const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
      const len = padded.length + 12;
      const head = Buffer.alloc(8);
      head.writeUInt32BE(type, 0);
      head.writeUInt32BE(len, 4);
      const tail = Buffer.alloc(4);
      tail.writeUInt32BE(len, 0);
      return Buffer.concat([head, padded, tail]);
    };
    const shb = Buffer.alloc(16);
    shb.writeUInt32BE(0x1a2b3c4d, 0);
    shb.writeUInt16BE(1, 4);
    shb.writeBigInt64BE(-1n, 8);
    const idb = Buffer.alloc(8 + 8 + 4);
    idb.writeUInt16BE(1, 0);
    idb.writeUInt32BE(0, 4);
    idb.writeUInt16BE(9, 8); // if_tsresol
    idb.writeUInt16BE(1, 10);
    idb.writeUInt8(9, 12); // 10^-9
    // opt_endofopt is the 4 zero bytes left at the end
    const ticks = 1795625686_048498123n;
    const epb = Buffer.alloc(20);
    epb.writeUInt32BE(0, 0);
    epb.writeUInt32BE(Number(ticks >> 32n), 4);
    epb.writeUInt32BE(Number(ticks & 0xffffffffn), 8);
    epb.writeUInt32BE(frame.data.length, 12);
    epb.writeUInt32BE(frame.origlen, 16);
    const spbHead = Buffer.alloc(4);
    spbHead.writeUInt32BE(frame.origlen, 0);
    const file = Buffer.concat([
      block(0x0a0d0d0a, shb),
      block(1, idb),
      block(6, Buffer.concat([epb, frame.data])),
      block(3, Buffer.concat([spbHead, frame.data])),
      block(5, Buffer.alloc(8)),
    ]);
    const c = decodeCapture(file);
    expect(c.format).toBe('pcapng');
    expect(c.packets).toHaveLength(2);
    expect(at(c.packets, 0).time).toBeCloseTo(1795625686.0484982, 6);
    expect(at(c.packets, 1).time).toBe(0);
    for (const p of c.packets) expect(p.tcp?.payload.toString()).toBe('hello toplab\n');
  });
});

describe('formatIpv6 (RFC 5952)', () => {
  const v6 = (hex: string): Buffer => Buffer.from(hex.replace(/[^0-9a-f]/g, ''), 'hex');
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:0000:0000:0001:0000:0000:0000:0001', '2001:0:0:1::1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'],
    ['fe80:0000:0000:0000:0042:0aff:fefb:4d0a', 'fe80::42:aff:fefb:4d0a'],
    ['0000:0000:0000:0000:0000:ffff:0a4d:fb0a', '::ffff:10.77.251.10'],
    ['fd00:7e57:0077:0000:0000:0000:0000:0010', 'fd00:7e57:77::10'],
  ])('%s is %s', (hex, text) => expect(formatIpv6(v6(hex))).toBe(text));
});

function captureError(buf: Buffer): PcapError {
  try {
    decodeCapture(buf);
  } catch (e) {
    if (e instanceof PcapError) return e;
    throw e;
  }
  throw new Error('expected a PcapError');
}

// ---------------------------------------------------------------------------------------------------------
// An independent reading: tshark (Wireshark) decodes every fixture, and each field must agree with ours.

const HAVE = (tool: string): boolean => spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
const TSHARK = HAVE('tshark') && HAVE('mergecap');
const FIELDS = [
  'frame.interface_id',
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'eth.src',
  'eth.dst',
  'sll.pkttype',
  'sll.ifindex',
  'sll.src.eth',
  'ip.src',
  'ip.dst',
  'ip.ttl',
  'ip.id',
  'ip.flags.df',
  'ip.flags.mf',
  'ip.frag_offset',
  'ip.len',
  'ip.proto',
  'ipv6.src',
  'ipv6.dst',
  'ipv6.hlim',
  'ipv6.plen',
  'ipv6.nxt',
  'ipv6.fraghdr.offset',
  'ipv6.fraghdr.more',
  'ipv6.fraghdr.nxt',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.seq_raw',
  'tcp.ack_raw',
  'tcp.flags',
  'tcp.window_size_value',
  'tcp.len',
  'tcp.options.mss_val',
  'tcp.options.wscale.shift',
  'tcp.options.sack_perm',
  'tcp.options.timestamp.tsval',
  'tcp.options.timestamp.tsecr',
  'udp.srcport',
  'udp.dstport',
  'udp.length',
  'data.len',
  'icmp.type',
  'icmp.code',
  'icmp.ident',
  'icmp.seq',
  'icmpv6.type',
  'icmpv6.code',
  'icmpv6.echo.identifier',
  'icmpv6.echo.sequence_number',
] as const;
type Field = (typeof FIELDS)[number];
type Rows = Map<Field, string[]>[];

function run(tool: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${tool} failed: ${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * tshark's fields for each packet of each file, without IP reassembly; every occurrence of a field, in order.
 * tshark takes a second or two to start, so the files are first merged (mergecap, one interface per file,
 * in order) and read in one run; frame.interface_id tells which file a packet came from.
 */
async function tsharkRows(files: string[]): Promise<Map<string, Rows>> {
  const merged = join(mkdtempSync(join(tmpdir(), 'toplab-pcap-')), 'all.pcapng');
  try {
    await run('mergecap', ['-I', 'none', '-a', '-F', 'pcapng', '-w', merged, ...files.map((f) => DIR + f)]);
    const args = [
      '-r',
      merged,
      '-o',
      'ip.defragment:FALSE',
      '-o',
      'ipv6.defragment:FALSE',
      '-T',
      'fields',
      '-E',
      'separator=\t',
      '-E',
      'occurrence=a',
      '-E',
      'aggregator=,',
    ];
    for (const f of FIELDS) args.push('-e', f);
    const out = await run('tshark', args);
    const byFile = new Map<string, Rows>(files.map((f) => [f, []]));
    for (const line of out.split('\n')) {
      if (line === '') continue;
      const cells = line.split('\t');
      const row = new Map(FIELDS.map((f, i) => [f, (cells[i] ?? '') === '' ? [] : (cells[i] ?? '').split(',')]));
      byFile.get(files[Number(cells[0])] ?? '')?.push(row);
    }
    return byFile;
  } finally {
    rmSync(dirname(merged), { recursive: true, force: true });
  }
}

describe.skipIf(!TSHARK)(
  `agrees with tshark on every fixture${TSHARK ? '' : ' (skipped: tshark or mergecap is not on PATH; apt-get install tshark)'}`,
  () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng'));
    let rows = new Map<string, Rows>();
    beforeAll(async () => {
      rows = await tsharkRows(files);
    }, 60_000);

    it('covers every capture file', () => expect(files.length).toBeGreaterThanOrEqual(15));

    it.each(files)('%s', (file) => {
      const ours = decodePcap(read(file));
      const theirs = rows.get(file) ?? [];
      expect(ours).toHaveLength(theirs.length);
      let compared = 0;
      ours.forEach((p, i) => {
        const t = theirs[i] ?? new Map<Field, string[]>();
        const one = (f: Field, k = 0): string | undefined => t.get(f)?.[k];
        const num = (f: Field, k = 0): number | undefined => (one(f, k) === undefined ? undefined : Number(one(f, k)));
        const same = (what: string, mine: unknown, tshark: unknown): void => {
          expect(mine, `${file} packet ${i}: ${what}`).toEqual(tshark);
          compared++;
        };
        same('time', Math.abs(p.time - Number(one('frame.time_epoch'))) < 2e-6, true);
        same('frame length', p.length, num('frame.len'));
        same('captured length', p.capturedLength ?? p.length, num('frame.cap_len'));
        if (p.link.type === 'ethernet') {
          same('eth.src', p.link.src, one('eth.src'));
          same('eth.dst', p.link.dst, one('eth.dst'));
        } else {
          same('sll.pkttype', p.link.direction, { '0': 'in', '4': 'out' }[one('sll.pkttype') ?? '']);
          same('sll.src', p.link.src, one('sll.src.eth'));
          same('sll.ifindex', p.link.ifindex, num('sll.ifindex'));
        }
        const ip = p.ip;
        if (!ip) throw new Error(`${file} packet ${i}: no IP`);
        if (ip.version === 4) {
          same('ip.src', ip.src, one('ip.src'));
          same('ip.dst', ip.dst, one('ip.dst'));
          same('ip.ttl', ip.ttl, num('ip.ttl'));
          same('ip.id', ip.id, num('ip.id'));
          same('ip.flags.df', ip.dontFragment, one('ip.flags.df') === '1');
          same('ip.flags.mf', ip.moreFragments, one('ip.flags.mf') === '1');
          same('ip.frag_offset', ip.fragmentOffset, (num('ip.frag_offset') ?? NaN) * 8);
          same('ip.len', ip.totalLength, num('ip.len'));
          same('ip.proto', ip.protocol, num('ip.proto'));
        } else {
          same('ipv6.src', ip.src, one('ipv6.src'));
          same('ipv6.dst', ip.dst, one('ipv6.dst'));
          same('ipv6.hlim', ip.ttl, num('ipv6.hlim'));
          same('ipv6.plen', ip.totalLength, (num('ipv6.plen') ?? NaN) + 40);
          if (t.get('ipv6.fraghdr.offset')?.length) {
            same('ipv6.fraghdr.offset', ip.fragmentOffset, (num('ipv6.fraghdr.offset') ?? NaN) * 8);
            same('ipv6.fraghdr.more', ip.moreFragments, one('ipv6.fraghdr.more') === '1');
            same('ipv6.fraghdr.nxt', ip.protocol, num('ipv6.fraghdr.nxt'));
          } else {
            same('ipv6.nxt', ip.protocol, num('ipv6.nxt'));
            same('no fragment', ip.fragmentOffset, undefined);
          }
        }
        same('tcp present', p.tcp !== undefined, t.get('tcp.srcport')?.length === 1);
        if (p.tcp) {
          const o = p.tcp.options;
          same('tcp.srcport', p.tcp.srcPort, num('tcp.srcport'));
          same('tcp.dstport', p.tcp.dstPort, num('tcp.dstport'));
          same('tcp.seq_raw', p.tcp.seq, num('tcp.seq_raw'));
          same('tcp.ack_raw', p.tcp.ack, num('tcp.ack_raw'));
          const f = p.tcp.flags;
          const bits =
            (f.fin ? 1 : 0) |
            (f.syn ? 2 : 0) |
            (f.rst ? 4 : 0) |
            (f.psh ? 8 : 0) |
            (f.ack ? 16 : 0) |
            (f.urg ? 32 : 0) |
            (f.ece ? 64 : 0) |
            (f.cwr ? 128 : 0);
          same('tcp.flags', bits, (num('tcp.flags') ?? NaN) & 0xff);
          same('tcp.window_size_value', p.tcp.window, num('tcp.window_size_value'));
          same('tcp.len', p.tcp.payload.length, num('tcp.len'));
          same('mss', o.mss, num('tcp.options.mss_val'));
          same('wscale', o.windowScale, num('tcp.options.wscale.shift'));
          same('sack_perm', o.sackPermitted ?? false, (t.get('tcp.options.sack_perm')?.length ?? 0) > 0);
          same('tsval', o.timestamp?.value, num('tcp.options.timestamp.tsval'));
          same('tsecr', o.timestamp?.echo, num('tcp.options.timestamp.tsecr'));
        }
        if (p.udp) {
          same('udp.srcport', p.udp.srcPort, num('udp.srcport'));
          same('udp.dstport', p.udp.dstPort, num('udp.dstport'));
          same('udp.length', p.udp.length, num('udp.length'));
          same('udp payload', p.udp.payload.length, num('data.len'));
        } else if (!p.icmp) {
          same('no udp', t.get('udp.srcport')?.length ?? 0, 0);
        }
        if (p.icmp?.version === 4) {
          same('icmp.type', p.icmp.type, num('icmp.type'));
          same('icmp.code', p.icmp.code, num('icmp.code'));
          same('icmp.ident', p.icmp.id, num('icmp.ident'));
          same('icmp.seq', p.icmp.seq, num('icmp.seq'));
          same('icmp payload', p.icmp.payloadLength, (num('ip.len') ?? NaN) - 20 - 8);
          if (p.icmp.original) {
            // tshark's second IP header and the UDP header are the ones the error quotes.
            same('quoted ip.src', p.icmp.original.src, one('ip.src', 1));
            same('quoted ip.dst', p.icmp.original.dst, one('ip.dst', 1));
            same('quoted udp.srcport', p.icmp.original.srcPort, num('udp.srcport'));
            same('quoted udp.dstport', p.icmp.original.dstPort, num('udp.dstport'));
          }
        } else if (p.icmp?.version === 6) {
          same('icmpv6.type', p.icmp.type, num('icmpv6.type'));
          same('icmpv6.code', p.icmp.code, num('icmpv6.code'));
          same('icmpv6.echo.identifier', p.icmp.id, num('icmpv6.echo.identifier'));
          same('icmpv6.echo.sequence_number', p.icmp.seq, num('icmpv6.echo.sequence_number'));
        } else {
          same('no icmp', (t.get('icmp.type')?.length ?? 0) + (t.get('icmpv6.type')?.length ?? 0), 0);
        }
      });
      // (empty-capture.pcap has no packet: nothing to compare, and tshark agrees it has none.)
      expect(compared).toBeGreaterThanOrEqual(ours.length * 10);
    });
  },
);
