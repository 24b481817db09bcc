/**
 * Decodes capture files written by tcpdump (classic pcap) or dumpcap/editcap (pcapng) into Packets, and
 * prints one packet as a tcpdump-like line for grade reports.
 *
 * Every read is bounds-checked first: a file cut short or full of garbage gives a PcapError naming the byte
 * offset, never a RangeError. A final record cut short (tcpdump killed mid-write) ends the capture quietly.
 * A frame whose inner headers do not make sense keeps the layers that did decode and says why in
 * `malformed`, so one odd packet never hides the rest of a capture.
 */
import { ToplabError } from '../errors.js';
import { formatIpv4, formatIpv6 } from '../util/address.js';
import type { IcmpHeader, IpHeader, Packet, TcpFlags, TcpHeader } from './types.js';

/** The capture file is not one we can read: not pcap/pcapng, damaged, or of an unsupported link type. */
export class PcapError extends ToplabError {
  /** Byte offset in the file where the problem is. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset} of the capture file)`, {
      hint: 'toplab reads captures written by tcpdump -w (pcap) or dumpcap (pcapng) on an Ethernet interface or -i any',
    });
    this.offset = offset;
  }
}

export interface DecodedCapture {
  format: 'pcap' | 'pcapng';
  /** Link-layer header types (LINKTYPE_* values) of the file, or of each pcapng interface. */
  linkTypes: number[];
  packets: Packet[];
  /** Where the last, incomplete record starts, if the file ends in the middle of one. */
  truncatedAt?: number;
}

/** Decodes a classic pcap or pcapng capture. Throws PcapError if the file is not one. */
export function decodePcap(buf: Buffer): Packet[] {
  return decodeCapture(buf).packets;
}

export function decodeCapture(buf: Buffer): DecodedCapture {
  if (buf.length < 4) throw new PcapError(`not a capture file: only ${buf.length} bytes`, 0);
  const magic = buf.readUInt32BE(0);
  if (magic === PCAPNG_SHB) return decodePcapng(buf);
  return decodeClassic(buf);
}

// ---------------------------------------------------------------------------------------------------------
// Link-layer types we decode (LINKTYPE_* numbers as they appear in files).
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW_BSD = 12; // DLT_RAW on some systems, IP with no link header
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;
const LINKTYPE_LINUX_SLL2 = 276;
const SUPPORTED_LINKTYPES = [
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW_BSD,
  LINKTYPE_RAW,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL2,
];

function checkLinkType(linkType: number, offset: number): void {
  if (!SUPPORTED_LINKTYPES.includes(linkType)) {
    throw new PcapError(
      `unsupported link-layer type ${linkType}; supported: 1 Ethernet, 113 Linux cooked (SLL), 276 Linux cooked v2 (SLL2), 101/12/228/229 raw IP. Capture with tcpdump -i eth0 or -i any`,
      offset,
    );
  }
}

// The largest record we believe. libpcap itself refuses records above 256 KiB unless the snapshot length is larger.
const MAX_RECORD = 262144;

// ---------------------------------------------------------------------------------------------------------
// Classic pcap: a 24-byte file header, then records of a 16-byte header and the captured bytes.

function decodeClassic(buf: Buffer): DecodedCapture {
  let le: boolean;
  let nano: boolean;
  switch (buf.readUInt32LE(0)) {
    case 0xa1b2c3d4:
      le = true;
      nano = false;
      break;
    case 0xa1b23c4d:
      le = true;
      nano = true;
      break;
    default:
      switch (buf.readUInt32BE(0)) {
        case 0xa1b2c3d4:
          le = false;
          nano = false;
          break;
        case 0xa1b23c4d:
          le = false;
          nano = true;
          break;
        default:
          throw new PcapError(`not a pcap or pcapng file: magic number 0x${buf.readUInt32BE(0).toString(16).padStart(8, '0')}`, 0);
      }
  }
  if (buf.length < 24) throw new PcapError(`pcap file header cut short: ${buf.length} of 24 bytes`, buf.length);
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const major = u16(4);
  if (major !== 2) throw new PcapError(`unsupported pcap version ${major}.${u16(6)} (expected 2.4)`, 4);
  const snaplen = u32(16);
  // The upper bits of the link-type field may carry FCS information; the type is the low 16 bits.
  const linkType = u32(20) & 0xffff;
  checkLinkType(linkType, 20);
  const maxRecord = Math.max(snaplen, MAX_RECORD);

  const packets: Packet[] = [];
  let off = 24;
  while (off < buf.length) {
    if (buf.length - off < 16) return { format: 'pcap', linkTypes: [linkType], packets, truncatedAt: off };
    const sec = u32(off);
    const frac = u32(off + 4);
    const caplen = u32(off + 8);
    const origlen = u32(off + 12);
    if (caplen > maxRecord) {
      throw new PcapError(
        `record ${packets.length} claims ${caplen} captured bytes, more than the snapshot length ${snaplen}: the file is damaged`,
        off + 8,
      );
    }
    if (buf.length - off - 16 < caplen) return { format: 'pcap', linkTypes: [linkType], packets, truncatedAt: off };
    const time = sec + frac / (nano ? 1e9 : 1e6);
    packets.push(decodeFrame(buf.subarray(off + 16, off + 16 + caplen), linkType, packets.length, time, origlen));
    off += 16 + caplen;
  }
  return { format: 'pcap', linkTypes: [linkType], packets };
}

// ---------------------------------------------------------------------------------------------------------
// pcapng: blocks of type, total length, body, total length again. We read Section Header, Interface
// Description, Enhanced Packet, Simple Packet and the obsolete Packet block; others are skipped.

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;

interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second. */
  units: bigint;
}

function decodePcapng(buf: Buffer): DecodedCapture {
  const packets: Packet[] = [];
  const linkTypes: number[] = [];
  let interfaces: PcapngInterface[] = [];
  let le = true;
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 12) return { format: 'pcapng', linkTypes, packets, truncatedAt: off };
    if (buf.readUInt32BE(off) === PCAPNG_SHB) {
      // The byte-order magic tells how to read this section, its own length included.
      const bom = buf.readUInt32LE(off + 8);
      if (bom === PCAPNG_BYTE_ORDER) le = true;
      else if (buf.readUInt32BE(off + 8) === PCAPNG_BYTE_ORDER) le = false;
      else throw new PcapError(`pcapng section header with a bad byte-order magic 0x${buf.readUInt32BE(off + 8).toString(16)}`, off + 8);
      interfaces = [];
    } else if (off === 0) {
      throw new PcapError('pcapng file does not start with a section header', 0);
    }
    const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const type = u32(off);
    const total = u32(off + 4);
    if (total < 12 || total % 4 !== 0 || total > MAX_RECORD + 1024 * 1024) {
      throw new PcapError(`pcapng block of type 0x${type.toString(16)} has an impossible length ${total}`, off + 4);
    }
    if (buf.length - off < total) return { format: 'pcapng', linkTypes, packets, truncatedAt: off };
    const body = off + 8;
    const bodyEnd = off + total - 4;
    const need = (n: number): void => {
      if (bodyEnd - body < n)
        throw new PcapError(`pcapng block of type 0x${type.toString(16)} too short for its fields (${bodyEnd - body} bytes)`, off);
    };
    switch (type) {
      case PCAPNG_SHB:
        need(16);
        break;
      case 1: {
        // Interface Description
        need(8);
        const linkType = u16(body);
        checkLinkType(linkType, body);
        const iface: PcapngInterface = { linkType, snaplen: u32(body + 4), units: 1_000_000n };
        forEachOption(buf, body + 8, bodyEnd, u16, (code, o, len) => {
          if (code === 9 && len >= 1) iface.units = tsResolution(buf.readUInt8(o));
        });
        interfaces.push(iface);
        linkTypes.push(linkType);
        break;
      }
      case 6: // Enhanced Packet
      case 2: {
        // Packet (obsolete): 16-bit interface id and drop count instead of a 32-bit id
        need(20);
        const ifId = type === 6 ? u32(body) : u16(body);
        const iface = interfaces[ifId];
        if (!iface) throw new PcapError(`packet block names interface ${ifId}, which was never described`, body);
        const caplen = u32(body + 12);
        const origlen = u32(body + 16);
        if (caplen > bodyEnd - body - 20)
          throw new PcapError(`packet block claims ${caplen} captured bytes but holds ${bodyEnd - body - 20}`, body + 12);
        const ticks = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
        const time = Number(ticks / iface.units) + Number(ticks % iface.units) / Number(iface.units);
        packets.push(decodeFrame(buf.subarray(body + 20, body + 20 + caplen), iface.linkType, packets.length, time, origlen));
        break;
      }
      case 3: {
        // Simple Packet: no timestamp, interface 0
        need(4);
        const iface = interfaces[0];
        if (!iface) throw new PcapError('simple packet block before any interface description', body);
        const origlen = u32(body);
        const caplen = Math.min(origlen, bodyEnd - body - 4, iface.snaplen || Infinity);
        packets.push(decodeFrame(buf.subarray(body + 4, body + 4 + caplen), iface.linkType, packets.length, 0, origlen));
        break;
      }
      default:
        break; // statistics, name resolution, custom blocks: nothing we need
    }
    off += total;
  }
  return { format: 'pcapng', linkTypes, packets };
}

function forEachOption(
  buf: Buffer,
  from: number,
  to: number,
  u16: (o: number) => number,
  visit: (code: number, at: number, len: number) => void,
): void {
  let o = from;
  while (to - o >= 4) {
    const code = u16(o);
    const len = u16(o + 2);
    if (code === 0 || to - o - 4 < len) return; // opt_endofopt, or an option running past the block
    visit(code, o + 4, len);
    o += 4 + Math.ceil(len / 4) * 4;
  }
}

/** if_tsresol: a power of ten, or of two when the top bit is set. */
function tsResolution(v: number): bigint {
  const exp = BigInt(v & 0x7f);
  return v & 0x80 ? 1n << exp : 10n ** exp;
}

// ---------------------------------------------------------------------------------------------------------
// One frame: link layer, then IP, then transport.

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = [0x8100, 0x88a8, 0x9100];

function decodeFrame(frame: Buffer, linkType: number, index: number, time: number, origlen: number): Packet {
  const p: Packet = { index, time, length: origlen, link: { type: 'raw' } };
  if (frame.length !== origlen) p.capturedLength = frame.length;
  const start = decodeLink(frame, linkType, p);
  if (start === undefined) return p;
  if (p.link.etherType === ETHERTYPE_IPV4) decodeIpv4(frame, start, p);
  else if (p.link.etherType === ETHERTYPE_IPV6) decodeIpv6(frame, start, p);
  return p;
}

/** Fills p.link and returns where the network layer starts, or undefined if the frame ends first. */
function decodeLink(f: Buffer, linkType: number, p: Packet): number | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      p.link = { type: 'ethernet' };
      if (f.length < 14) return short(p, 'Ethernet header', 14, f.length);
      p.link.dst = mac(f, 0, 6);
      p.link.src = mac(f, 6, 6);
      let o = 12;
      let etherType = f.readUInt16BE(o);
      while (ETHERTYPE_VLAN.includes(etherType)) {
        if (f.length < o + 6) return short(p, '802.1Q tag', o + 6, f.length);
        if (p.link.vlan === undefined) p.link.vlan = f.readUInt16BE(o + 2) & 0x0fff;
        o += 4;
        etherType = f.readUInt16BE(o);
      }
      // Values up to 1500 are an 802.3 length, not a type: no IP inside.
      if (etherType <= 1500) return undefined;
      p.link.etherType = etherType;
      return o + 2;
    }
    case LINKTYPE_LINUX_SLL: {
      // packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2)
      p.link = { type: 'linux-sll' };
      if (f.length < 16) return short(p, 'Linux cooked header', 16, f.length);
      p.link.direction = sllDirection(f.readUInt16BE(0));
      const addr = sllAddress(f, 6, f.readUInt16BE(4));
      if (addr) p.link.src = addr;
      p.link.etherType = f.readUInt16BE(14);
      return 16;
    }
    case LINKTYPE_LINUX_SLL2: {
      // protocol(2) reserved(2) interface index(4) ARPHRD type(2) packet type(1) address length(1) address(8)
      p.link = { type: 'linux-sll2' };
      if (f.length < 20) return short(p, 'Linux cooked v2 header', 20, f.length);
      p.link.etherType = f.readUInt16BE(0);
      p.link.ifindex = f.readUInt32BE(4);
      p.link.direction = sllDirection(f.readUInt8(10));
      const addr = sllAddress(f, 12, f.readUInt8(11));
      if (addr) p.link.src = addr;
      return 20;
    }
    default: {
      // Raw IP: the version nibble says which.
      p.link = { type: 'raw' };
      if (f.length < 1) return short(p, 'IP header', 1, 0);
      const version = f.readUInt8(0) >> 4;
      const etherType =
        linkType === LINKTYPE_IPV4
          ? ETHERTYPE_IPV4
          : linkType === LINKTYPE_IPV6
            ? ETHERTYPE_IPV6
            : version === 4
              ? ETHERTYPE_IPV4
              : version === 6
                ? ETHERTYPE_IPV6
                : undefined;
      if (etherType === undefined) {
        p.malformed = `raw IP frame with IP version ${version}`;
        return undefined;
      }
      p.link.etherType = etherType;
      return 0;
    }
  }
}

function short(p: Packet, what: string, need: number, have: number): undefined {
  p.malformed = `${what} cut short: frame has ${have} bytes, needs ${need}`;
  return undefined;
}

function sllDirection(packetType: number): 'in' | 'out' | 'other' {
  // 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us
  if (packetType === 4) return 'out';
  if (packetType <= 2) return 'in';
  return 'other';
}

function sllAddress(f: Buffer, at: number, len: number): string | undefined {
  if (len === 0) return undefined;
  return mac(f, at, Math.min(len, 8));
}

function mac(f: Buffer, at: number, len: number): string {
  const parts: string[] = [];
  for (let i = 0; i < len; i++)
    parts.push(
      f
        .readUInt8(at + i)
        .toString(16)
        .padStart(2, '0'),
    );
  return parts.join(':');
}

function decodeIpv4(f: Buffer, o: number, p: Packet): void {
  if (f.length - o < 20) {
    p.malformed = `IPv4 header cut short: ${f.length - o} of 20 bytes`;
    return;
  }
  const version = f.readUInt8(o) >> 4;
  const headerLength = (f.readUInt8(o) & 0x0f) * 4;
  if (version !== 4) {
    p.malformed = `IPv4 EtherType but IP version ${version}`;
    return;
  }
  if (headerLength < 20) {
    p.malformed = `IPv4 header length ${headerLength} is less than 20`;
    return;
  }
  if (f.length - o < headerLength) {
    p.malformed = `IPv4 header with options cut short: ${f.length - o} of ${headerLength} bytes`;
    return;
  }
  const totalLength = f.readUInt16BE(o + 2);
  const flagsOffset = f.readUInt16BE(o + 6);
  const ip: IpHeader = {
    version: 4,
    src: formatIpv4(f, o + 12),
    dst: formatIpv4(f, o + 16),
    ttl: f.readUInt8(o + 8),
    protocol: f.readUInt8(o + 9),
    totalLength,
    id: f.readUInt16BE(o + 4),
    dontFragment: (flagsOffset & 0x4000) !== 0,
    moreFragments: (flagsOffset & 0x2000) !== 0,
    fragmentOffset: (flagsOffset & 0x1fff) * 8,
  };
  p.ip = ip;
  // A total length of 0 is what segmentation offload leaves on very large packets: trust the capture then.
  if (totalLength !== 0 && totalLength < headerLength) {
    p.malformed = `IPv4 total length ${totalLength} is less than its header length ${headerLength}`;
    return;
  }
  const wireEnd = totalLength === 0 ? f.length : o + totalLength;
  if (ip.fragmentOffset !== 0) return; // only the first fragment carries the transport header
  decodeTransport(f.subarray(o + headerLength, Math.min(f.length, wireEnd)), wireEnd - o - headerLength, ip.protocol, p);
}

// IPv6 extension headers that we step over. Authentication (51) counts its length in 4-byte units.
const IPV6_EXTENSIONS = new Set([0, 43, 60, 51]);
const IPV6_FRAGMENT = 44;

function decodeIpv6(f: Buffer, o: number, p: Packet): void {
  if (f.length - o < 40) {
    p.malformed = `IPv6 header cut short: ${f.length - o} of 40 bytes`;
    return;
  }
  const version = f.readUInt8(o) >> 4;
  if (version !== 6) {
    p.malformed = `IPv6 EtherType but IP version ${version}`;
    return;
  }
  const payloadLength = f.readUInt16BE(o + 4);
  const ip: IpHeader = {
    version: 6,
    src: formatIpv6(f, o + 8),
    dst: formatIpv6(f, o + 24),
    ttl: f.readUInt8(o + 7),
    protocol: f.readUInt8(o + 6),
    totalLength: 40 + payloadLength,
  };
  p.ip = ip;
  const wireEnd = payloadLength === 0 ? f.length : o + 40 + payloadLength; // 0: jumbogram
  const end = Math.min(f.length, wireEnd);
  let next = ip.protocol;
  let at = o + 40;
  for (;;) {
    if (IPV6_EXTENSIONS.has(next)) {
      if (end - at < 2) {
        p.malformed = `IPv6 extension header ${next} cut short`;
        return;
      }
      const len = next === 51 ? (f.readUInt8(at + 1) + 2) * 4 : (f.readUInt8(at + 1) + 1) * 8;
      if (end - at < len) {
        p.malformed = `IPv6 extension header ${next} cut short: ${end - at} of ${len} bytes`;
        return;
      }
      next = f.readUInt8(at);
      at += len;
    } else if (next === IPV6_FRAGMENT) {
      if (end - at < 8) {
        p.malformed = `IPv6 fragment header cut short: ${end - at} of 8 bytes`;
        return;
      }
      const offsetFlags = f.readUInt16BE(at + 2);
      ip.fragmentOffset = offsetFlags & 0xfff8;
      ip.moreFragments = (offsetFlags & 1) !== 0;
      next = f.readUInt8(at);
      at += 8;
    } else {
      break;
    }
  }
  ip.protocol = next;
  if (ip.fragmentOffset) return; // only the first fragment carries the transport header
  decodeTransport(f.subarray(at, end), wireEnd - at, next, p);
}

/**
 * `seg` is what was captured of the IP payload (Ethernet padding already cut off); `wireLength` is its length
 * according to the IP header, which is larger when the snapshot length cut the frame or for a first fragment.
 */
function decodeTransport(seg: Buffer, wireLength: number, protocol: number, p: Packet): void {
  switch (protocol) {
    case 6:
      decodeTcp(seg, wireLength, p);
      break;
    case 17:
      decodeUdp(seg, p);
      break;
    case 1:
    case 58:
      decodeIcmp(seg, wireLength, protocol === 1 ? 4 : 6, p);
      break;
    default:
      break;
  }
}

function decodeTcp(s: Buffer, wireLength: number, p: Packet): void {
  if (s.length < 20) {
    p.malformed = `TCP header cut short: ${s.length} of 20 bytes`;
    return;
  }
  const headerLength = (s.readUInt8(12) >> 4) * 4;
  const bits = s.readUInt8(13);
  const flags: TcpFlags = {
    fin: (bits & 0x01) !== 0,
    syn: (bits & 0x02) !== 0,
    rst: (bits & 0x04) !== 0,
    psh: (bits & 0x08) !== 0,
    ack: (bits & 0x10) !== 0,
    urg: (bits & 0x20) !== 0,
    ece: (bits & 0x40) !== 0,
    cwr: (bits & 0x80) !== 0,
  };
  const tcp: TcpHeader = {
    srcPort: s.readUInt16BE(0),
    dstPort: s.readUInt16BE(2),
    seq: s.readUInt32BE(4),
    ack: s.readUInt32BE(8),
    flags,
    window: s.readUInt16BE(14),
    options: {},
    payload: s.subarray(s.length),
    // The snapshot length may have cut the data (or the options); the IP header says how much there was.
    dataLength: headerLength >= 20 ? Math.max(0, wireLength - headerLength) : 0,
  };
  p.tcp = tcp;
  if (headerLength < 20) {
    p.malformed = `TCP data offset ${headerLength} is less than 20`;
    return;
  }
  if (s.length < headerLength) {
    p.malformed = `TCP options cut short: ${s.length} of ${headerLength} header bytes`;
    return;
  }
  const problem = decodeTcpOptions(s, headerLength, tcp.options);
  if (problem) p.malformed = problem;
  tcp.payload = s.subarray(headerLength);
  tcp.dataLength = Math.max(tcp.dataLength, tcp.payload.length);
}

function decodeTcpOptions(s: Buffer, end: number, into: TcpHeader['options']): string | undefined {
  let o = 20;
  while (o < end) {
    const kind = s.readUInt8(o);
    if (kind === 0) return undefined; // end of options
    if (kind === 1) {
      o += 1;
      continue;
    } // no-op
    if (end - o < 2) return `TCP option ${kind} cut short`;
    const len = s.readUInt8(o + 1);
    if (len < 2 || end - o < len) return `TCP option ${kind} has a bad length ${len}`;
    if (kind === 2 && len === 4) into.mss = s.readUInt16BE(o + 2);
    else if (kind === 3 && len === 3) into.windowScale = s.readUInt8(o + 2);
    else if (kind === 4 && len === 2) into.sackPermitted = true;
    else if (kind === 8 && len === 10) into.timestamp = { value: s.readUInt32BE(o + 2), echo: s.readUInt32BE(o + 6) };
    else if (kind === 5 && (len - 2) % 8 === 0) {
      into.sack = [];
      for (let b = o + 2; b < o + len; b += 8) into.sack.push({ left: s.readUInt32BE(b), right: s.readUInt32BE(b + 4) });
    }
    o += len;
  }
  return undefined;
}

function decodeUdp(s: Buffer, p: Packet): void {
  if (s.length < 8) {
    p.malformed = `UDP header cut short: ${s.length} of 8 bytes`;
    return;
  }
  const length = s.readUInt16BE(4);
  p.udp = {
    srcPort: s.readUInt16BE(0),
    dstPort: s.readUInt16BE(2),
    length,
    payload: s.subarray(8, length >= 8 ? Math.min(s.length, length) : s.length),
  };
}

// ICMP error types that quote the offending packet: v4 unreachable, source quench, redirect, time exceeded,
// parameter problem; v6 unreachable, packet too big, time exceeded, parameter problem.
const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);
const ICMP6_ERRORS = new Set([1, 2, 3, 4]);

function decodeIcmp(s: Buffer, wireLength: number, version: 4 | 6, p: Packet): void {
  if (s.length < 4) {
    p.malformed = `ICMP header cut short: ${s.length} of 8 bytes`;
    return;
  }
  const type = s.readUInt8(0);
  const icmp: IcmpHeader = { version, type, code: s.readUInt8(1), payloadLength: Math.max(0, wireLength - 8) };
  p.icmp = icmp;
  const echo = version === 4 ? type === 8 || type === 0 : type === 128 || type === 129;
  if (s.length < 8) {
    if (echo) p.malformed = `ICMP echo header cut short: ${s.length} of 8 bytes`;
    return;
  }
  if (echo) {
    icmp.id = s.readUInt16BE(4);
    icmp.seq = s.readUInt16BE(6);
  } else if ((version === 4 ? ICMP4_ERRORS : ICMP6_ERRORS).has(type)) {
    const original = quotedPacket(s.subarray(8), version);
    if (original) icmp.original = original;
  }
}

/** The IP header (and ports) an ICMP error quotes, as far as it was quoted and captured. */
function quotedPacket(q: Buffer, version: 4 | 6): IcmpHeader['original'] {
  let protocol: number;
  let src: string;
  let dst: string;
  let at: number;
  if (version === 4) {
    if (q.length < 20 || q.readUInt8(0) >> 4 !== 4) return undefined;
    at = (q.readUInt8(0) & 0x0f) * 4;
    protocol = q.readUInt8(9);
    src = formatIpv4(q, 12);
    dst = formatIpv4(q, 16);
    if ((q.readUInt16BE(6) & 0x1fff) !== 0) return { src, dst, protocol };
  } else {
    if (q.length < 40 || q.readUInt8(0) >> 4 !== 6) return undefined;
    at = 40;
    protocol = q.readUInt8(6);
    src = formatIpv6(q, 8);
    dst = formatIpv6(q, 24);
  }
  const original: NonNullable<IcmpHeader['original']> = { src, dst, protocol };
  if ((protocol === 6 || protocol === 17) && q.length >= at + 4) {
    original.srcPort = q.readUInt16BE(at);
    original.dstPort = q.readUInt16BE(at + 2);
  }
  return original;
}

// ---------------------------------------------------------------------------------------------------------
// One line per packet, in the spirit of tcpdump -nn:
//   10.0.1.20:45678 > 10.0.1.10:9000 [S] seq=123 win=64240
//   10.0.1.10:9000 > 10.0.1.20:45678 [S.] seq=456 ack=124 win=65160
//   10.0.1.20 > 10.0.1.10 ICMP echo request id=4285 seq=1 len=100

export function formatPacket(p: Packet): string {
  const line = describe(p);
  return p.malformed ? `${line} [malformed: ${p.malformed}]` : line;
}

function describe(p: Packet): string {
  const ip = p.ip;
  if (!ip) return describeLinkOnly(p);
  const offset = ip.fragmentOffset ?? 0;
  const fragment = ip.moreFragments === true || offset > 0;
  const fragNote = fragment
    ? ` (fragment${ip.id !== undefined ? ` id=${ip.id}` : ''} offset=${offset}${ip.moreFragments ? ', more' : ''})`
    : '';
  if (p.tcp) {
    const t = p.tcp;
    const ack = t.flags.ack ? ` ack=${t.ack}` : '';
    const len = t.dataLength > 0 ? ` len=${t.dataLength}` : '';
    return `${endpoint(ip.src, t.srcPort)} > ${endpoint(ip.dst, t.dstPort)} [${tcpFlags(t.flags)}] seq=${t.seq}${ack} win=${t.window}${len}${fragNote}`;
  }
  if (p.udp) {
    return `${endpoint(ip.src, p.udp.srcPort)} > ${endpoint(ip.dst, p.udp.dstPort)} UDP len=${Math.max(0, p.udp.length - 8)}${fragNote}`;
  }
  const hosts = `${ip.src} > ${ip.dst}`;
  if (p.icmp) return `${hosts} ${describeIcmp(p.icmp)}${fragNote}`;
  if (offset > 0) return `${hosts} ${protocolName(ip.protocol)}${fragNote} iplen=${ip.totalLength}`;
  return `${hosts} IPv${ip.version} ${protocolName(ip.protocol)} iplen=${ip.totalLength}${fragNote}`;
}

function describeLinkOnly(p: Packet): string {
  const t = p.link.etherType;
  const name = t === 0x0806 ? 'ARP' : t === ETHERTYPE_IPV4 ? 'IPv4' : t === ETHERTYPE_IPV6 ? 'IPv6' : 'frame';
  const type = t === undefined ? '' : ` ethertype 0x${t.toString(16).padStart(4, '0')}`;
  const macs = p.link.src && p.link.dst ? `${p.link.src} > ${p.link.dst} ` : p.link.src ? `${p.link.src} ` : '';
  return `${macs}${name}${type} length ${p.length}`;
}

/** tcpdump's flag letters in its order: F S R P, '.' for ACK, then U E W. */
export function tcpFlags(f: TcpFlags): string {
  const s = `${f.fin ? 'F' : ''}${f.syn ? 'S' : ''}${f.rst ? 'R' : ''}${f.psh ? 'P' : ''}${f.ack ? '.' : ''}${f.urg ? 'U' : ''}${f.ece ? 'E' : ''}${f.cwr ? 'W' : ''}`;
  return s === '' ? 'none' : s;
}

function protocolName(n: number): string {
  return n === 6 ? 'TCP' : n === 17 ? 'UDP' : n === 1 ? 'ICMP' : n === 58 ? 'ICMP6' : `protocol ${n}`;
}

const ICMP4_UNREACHABLE = [
  'net unreachable',
  'host unreachable',
  'protocol unreachable',
  'port unreachable',
  'fragmentation needed',
  'source route failed',
  'net unknown',
  'host unknown',
  'source host isolated',
  'net prohibited',
  'host prohibited',
  'net unreachable for TOS',
  'host unreachable for TOS',
  'communication prohibited',
];
const ICMP6_UNREACHABLE = [
  'no route',
  'communication prohibited',
  'beyond scope of source address',
  'address unreachable',
  'port unreachable',
  'source address failed policy',
  'reject route',
];

function describeIcmp(i: IcmpHeader): string {
  const name = i.version === 4 ? 'ICMP' : 'ICMP6';
  const echoRequest = i.version === 4 ? 8 : 128;
  const echoReply = i.version === 4 ? 0 : 129;
  if (i.type === echoRequest || i.type === echoReply) {
    return `${name} echo ${i.type === echoRequest ? 'request' : 'reply'} id=${i.id ?? '?'} seq=${i.seq ?? '?'} len=${i.payloadLength}`;
  }
  let what: string | undefined;
  if (i.version === 4 && i.type === 3) what = ICMP4_UNREACHABLE[i.code] ?? `unreachable code ${i.code}`;
  else if (i.version === 6 && i.type === 1) what = ICMP6_UNREACHABLE[i.code] ?? `unreachable code ${i.code}`;
  else if ((i.version === 4 && i.type === 11) || (i.version === 6 && i.type === 3))
    what = i.code === 0 ? 'time exceeded in transit' : 'fragment reassembly time exceeded';
  else if (i.version === 6 && i.type === 2) what = 'packet too big';
  else if (i.version === 6 && i.type === 135) what = 'neighbor solicitation';
  else if (i.version === 6 && i.type === 136) what = 'neighbor advertisement';
  else if (i.version === 6 && i.type === 133) what = 'router solicitation';
  const o = i.original;
  const quoted = o
    ? ` for ${protocolName(o.protocol)} ${o.srcPort !== undefined ? endpoint(o.src, o.srcPort) : o.src} > ${o.dstPort !== undefined ? endpoint(o.dst, o.dstPort) : o.dst}`
    : '';
  return `${name} ${what ?? `type=${i.type} code=${i.code}`}${quoted}`;
}

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}
