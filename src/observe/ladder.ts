/**
 * The exchange between two endpoints of a capture as a ladder (sequence) diagram: one arrow per segment,
 * datagram or ICMP message, with TCP flags, sequence and acknowledgement numbers (relative to each side's ISN,
 * and absolute), data length on the wire, and each side's TCP state after the segment, following RFC 9293's state
 * machine (section 3.3.2, figure 5) as far as the wire shows it. Pure: packets in, data out.
 *
 * States are inferred at the capture point: a segment is taken to reach its receiver when it is seen. Where
 * the numbers prove otherwise they win: a FIN sent while the peer's FIN is on the wire and not yet
 * acknowledged (the FINs crossed) is a simultaneous close, both sides passing through CLOSING.
 */
import type { Packet } from './types.js';
import { splitTcpConnections } from './tcp-connections.js';

/** RFC 9293 connection states, spelled as the RFC does. */
export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

export type LadderProtocol = 'tcp' | 'udp' | 'icmp';

export interface LadderEndpoint {
  address: string;
  /** TCP/UDP port; absent for ICMP. */
  port?: number;
  /** The node's name, when known (lab check names endpoints after the lab's nodes). */
  name?: string;
}

export interface LadderArrow {
  /** Position of the packet in the capture file (0-based). */
  index: number;
  /** Seconds since the ladder's first packet. */
  time: number;
  from: 'a' | 'b';
  /** TCP: flag names in header order (SYN, FIN, RST, PSH, ACK, URG, ECE, CWR present). UDP/ICMP: what it is. */
  label: string;
  flags?: string[];
  /** Relative to the sender's ISN (its SYN is 0), like Wireshark and `tcpdump` without -S. */
  seq?: number;
  /** Relative to the receiver's ISN; absent when the ACK flag is off. */
  ack?: number;
  /** Absolute (on the wire) sequence and acknowledgement numbers. */
  seqAbsolute?: number;
  ackAbsolute?: number;
  /** Data bytes on the wire (TCP data even where a snapshot length cut the capture, UDP data, ICMP data
   *  after the 8-byte header). */
  length: number;
  window?: number;
  /** Retransmission, duplicate ACK, zero window, FINs crossed ... */
  notes: string[];
  /** TCP: each side's state after this segment. */
  states?: { a: TcpState; b: TcpState };
}

export interface Ladder {
  protocol: LadderProtocol;
  /** The side that spoke first (the client, for TCP the SYN's sender) is `a`, drawn on the left. */
  a: LadderEndpoint;
  b: LadderEndpoint;
  /** TCP: the states before the first arrow. `assumed` when the capture starts after the handshake. */
  initial?: { a: TcpState; b: TcpState; assumed?: boolean };
  /** TCP: each side's initial sequence number (absolute), when its SYN was captured. */
  isn?: { a?: number; b?: number };
  arrows: LadderArrow[];
  /** Packets of the exchange left out of `arrows` to keep it readable: `count` of them after arrow `after`. */
  omitted?: { after: number; count: number };
  /** Packets of the exchange in the capture, drawn or not. */
  packets: number;
}

/** One exchange of one of a lab's captures, as the JSON report's `ladder` section lists them. */
export interface CaptureLadder extends Ladder {
  /** The capture's name in lab.yaml. */
  capture: string;
}

export interface LadderOptions {
  /** At most this many arrows: the first ones and the last ones are kept (default 60). */
  maxArrows?: number;
}

/** One exchange in a capture, as `conversations` lists them. */
export interface Conversation {
  /** Tells exchanges apart: the protocol (and ICMP echo identifier) and the two endpoints. */
  key: string;
  protocol: LadderProtocol;
  a: LadderEndpoint;
  b: LadderEndpoint;
  packets: number;
}

type Ip = NonNullable<Packet['ip']>;

/**
 * The number of the TCP connection each packet belongs to on its port pair (1, 2 ...: see
 * splitTcpConnections), so that two connections that reuse one port pair are two exchanges.
 */
const connectionNumber = new WeakMap<Packet, number>();

function numberConnections(packets: Packet[]): void {
  const seen = new Map<string, number>();
  for (const conn of splitTcpConnections(packets)) {
    const first = conn[0];
    const k = first ? keyOf(first, false)?.key : undefined;
    if (k === undefined) continue;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    for (const p of conn) connectionNumber.set(p, n);
  }
}

/** The exchanges of a capture (TCP connections, UDP flows, ICMP echo sessions) in order of first packet. */
export function conversations(packets: Packet[]): Conversation[] {
  const clean = undouble(packets);
  numberConnections(clean);
  const out = new Map<string, Conversation>();
  for (const p of clean) {
    const k = keyOf(p);
    if (!k) continue;
    const c = out.get(k.key);
    if (c) c.packets++;
    else out.set(k.key, { key: k.key, protocol: k.protocol, a: k.from, b: k.to, packets: 1 });
  }
  // An ICMP error quoting a captured TCP or UDP exchange is drawn on that exchange's ladder, not on its own.
  for (const p of clean) {
    const quoted = quotedKey(p);
    const own = keyOf(p);
    if (quoted === undefined || own === undefined || !out.has(quoted)) continue;
    const c = out.get(own.key);
    if (c && --c.packets === 0) out.delete(own.key);
  }
  return [...out.values()];
}

/**
 * The ladder of one exchange: the first conversation between `a` and `b` (a port left out matches any), of
 * `protocol` when given. Undefined when the capture holds none. Names given with `a` and `b` stay with them.
 */
export function buildLadder(
  packets: Packet[],
  a: LadderEndpoint,
  b: LadderEndpoint,
  opts: LadderOptions & { protocol?: LadderProtocol } = {},
): Ladder | undefined {
  const conv = conversations(packets).find(
    (c) => (opts.protocol === undefined || c.protocol === opts.protocol) && (matches(c.a, a, c.b, b) || matches(c.a, b, c.b, a)),
  );
  if (!conv) return undefined;
  const named = (e: LadderEndpoint): LadderEndpoint => {
    const given = [a, b].find((g) => g.address === e.address && (g.port === undefined || g.port === e.port));
    return given?.name !== undefined ? { ...e, name: given.name } : e;
  };
  return conversationLadder(packets, { ...conv, a: named(conv.a), b: named(conv.b) }, opts);
}

/** The ladder of one exchange `conversations` listed (its endpoints' names, if set, are kept). */
export function conversationLadder(packets: Packet[], conv: Conversation, opts: LadderOptions = {}): Ladder {
  const clean = undouble(packets);
  numberConnections(clean);
  const mine = clean.filter((p) => keyOf(p)?.key === conv.key || relatedError(p, conv));
  const ladder = conv.protocol === 'tcp' ? tcpLadder(mine, conv) : plainLadder(mine, conv);
  // The side that spoke first is drawn on the left; each endpoint keeps its name.
  const withName = (e: LadderEndpoint): LadderEndpoint => {
    const same = [conv.a, conv.b].find((c) => c.address === e.address && c.port === e.port);
    return same?.name !== undefined ? { ...e, name: same.name } : e;
  };
  ladder.a = withName(ladder.a);
  ladder.b = withName(ladder.b);
  return shorten(ladder, opts.maxArrows ?? 60);
}

function matches(x: LadderEndpoint, want: LadderEndpoint, y: LadderEndpoint, other: LadderEndpoint): boolean {
  const one = (e: LadderEndpoint, w: LadderEndpoint): boolean => e.address === w.address && (w.port === undefined || e.port === w.port);
  return one(x, want) && one(y, other);
}

/** The conversation key of a packet: the two endpoints, in a fixed order, and the protocol. */
function keyOf(
  p: Packet,
  numbered = true,
): { key: string; protocol: LadderProtocol; from: LadderEndpoint; to: LadderEndpoint } | undefined {
  const ip = p.ip;
  if (!ip) return undefined;
  let protocol: LadderProtocol;
  let from: LadderEndpoint;
  let to: LadderEndpoint;
  let extra = '';
  if (p.tcp) {
    protocol = 'tcp';
    from = { address: ip.src, port: p.tcp.srcPort };
    to = { address: ip.dst, port: p.tcp.dstPort };
  } else if (p.udp) {
    protocol = 'udp';
    from = { address: ip.src, port: p.udp.srcPort };
    to = { address: ip.dst, port: p.udp.dstPort };
  } else if (p.icmp) {
    // An echo session is one identifier between two hosts; other messages (time exceeded, unreachable ...)
    // between two hosts make one exchange.
    protocol = 'icmp';
    from = { address: ip.src };
    to = { address: ip.dst };
    extra = p.icmp.id !== undefined && isEcho(p.icmp.version, p.icmp.type) ? `/${p.icmp.id}` : '/error';
  } else return undefined;
  // The second and later TCP connections on one port pair are exchanges of their own.
  const n = p.tcp && numbered ? (connectionNumber.get(p) ?? 1) : 1;
  return { key: pairKey(`${protocol}${extra}`, from, to) + (n > 1 ? `#${n}` : ''), protocol, from, to };
}

function pairKey(kind: string, x: LadderEndpoint, y: LadderEndpoint): string {
  const a = endpointText(x);
  const b = endpointText(y);
  return `${kind}|${a < b ? `${a}|${b}` : `${b}|${a}`}`;
}

/** The key of the TCP or UDP exchange an ICMP error quotes, if it is one. */
function quotedKey(p: Packet): string | undefined {
  const o = p.icmp?.original;
  if (!o || o.srcPort === undefined || o.dstPort === undefined || (o.protocol !== 6 && o.protocol !== 17)) return undefined;
  return pairKey(o.protocol === 6 ? 'tcp' : 'udp', { address: o.src, port: o.srcPort }, { address: o.dst, port: o.dstPort });
}

function isEcho(version: 4 | 6, type: number): boolean {
  return version === 4 ? type === 8 || type === 0 : type === 128 || type === 129;
}

/** An ICMP error (port unreachable ...) quoting a datagram of this conversation belongs on its ladder. */
function relatedError(p: Packet, c: Conversation): boolean {
  const o = p.icmp?.original;
  if (!o || c.protocol === 'icmp' || p.icmp === undefined || isEcho(p.icmp.version, p.icmp.type)) return false;
  const proto = c.protocol === 'tcp' ? 6 : 17;
  if (o.protocol !== proto) return false;
  const fwd = o.src === c.a.address && o.srcPort === c.a.port && o.dst === c.b.address && o.dstPort === c.b.port;
  const back = o.src === c.b.address && o.srcPort === c.b.port && o.dst === c.a.address && o.dstPort === c.a.port;
  return fwd || back;
}

/**
 * Drops the second copy of a frame that `-i any` recorded twice (once per interface, e.g. in and out of a
 * router): same headers, another interface or direction, within 5 ms. A retransmission is kept: it leaves
 * by the same interface, and never within Linux's 200 ms minimum retransmission timeout.
 */
function undouble(packets: Packet[]): Packet[] {
  const out: Packet[] = [];
  for (const p of packets) {
    const twin = out
      .slice(-8)
      .find(
        (q) => p.time - q.time < 0.005 && (q.link.ifindex !== p.link.ifindex || q.link.direction !== p.link.direction) && sameHeaders(p, q),
      );
    if (!twin) out.push(p);
  }
  return out;
}

function sameHeaders(p: Packet, q: Packet): boolean {
  if (!p.ip || !q.ip || p.ip.src !== q.ip.src || p.ip.dst !== q.ip.dst || p.ip.id !== q.ip.id || p.ip.protocol !== q.ip.protocol)
    return false;
  if (p.tcp && q.tcp)
    return (
      p.tcp.seq === q.tcp.seq &&
      p.tcp.ack === q.tcp.ack &&
      p.tcp.dataLength === q.tcp.dataLength &&
      flagNames(p.tcp.flags).join() === flagNames(q.tcp.flags).join()
    );
  if (p.udp && q.udp) return p.udp.srcPort === q.udp.srcPort && p.udp.dstPort === q.udp.dstPort && p.udp.length === q.udp.length;
  if (p.icmp && q.icmp) return p.icmp.type === q.icmp.type && p.icmp.seq === q.icmp.seq;
  return false;
}

const FLAG_ORDER = ['syn', 'fin', 'rst', 'psh', 'ack', 'urg', 'ece', 'cwr'] as const;

function flagNames(f: NonNullable<Packet['tcp']>['flags']): string[] {
  return FLAG_ORDER.filter((k) => f[k]).map((k) => k.toUpperCase());
}

// ---------------------------------------------------------------------------------------------------------
// TCP

interface Side {
  state: TcpState;
  /** Initial sequence number (absolute), from its SYN, or its first segment when the SYN was not captured. */
  isn?: number;
  /** Highest relative sequence number sent so far, plus one (SND.MAX). */
  sndMax: number;
  /** Relative sequence number of its FIN, once sent. */
  finSeq?: number;
  /** Came to SYN-RECEIVED from LISTEN (a passive open): a RST sends it back to LISTEN. */
  passive: boolean;
  lastAck?: number;
  lastWindow?: number;
  /** The arrow that delivered the peer's FIN to this side, and this side's state before it. */
  gotFin?: { arrow: number; before: TcpState };
}

/** seq − isn, modulo 2^32. */
function rel(n: number, isn: number | undefined): number {
  return isn === undefined ? n : (n - isn + 2 ** 32) % 2 ** 32;
}

function tcpLadder(packets: Packet[], conv: Conversation): Ladder {
  const segs = packets.filter((p): p is Packet & { ip: Ip; tcp: NonNullable<Packet['tcp']> } => p.ip !== undefined && p.tcp !== undefined);
  // The client is the SYN's sender; without a SYN, whoever spoke first.
  const syn = segs.find((p) => p.tcp.flags.syn && !p.tcp.flags.ack);
  const synAck = segs.find((p) => p.tcp.flags.syn && p.tcp.flags.ack);
  const first = syn ?? (synAck ? { ip: { src: synAck.ip.dst }, tcp: { srcPort: synAck.tcp.dstPort } } : segs[0]);
  const aIsFrom = first !== undefined && first.ip.src === conv.a.address && first.tcp.srcPort === conv.a.port;
  const a = aIsFrom ? conv.a : conv.b;
  const b = aIsFrom ? conv.b : conv.a;
  const sideOf = (p: { ip: { src: string }; tcp: { srcPort: number } }): 'a' | 'b' =>
    p.ip.src === a.address && p.tcp.srcPort === a.port ? 'a' : 'b';

  let initial: Ladder['initial'];
  if (syn) {
    // Whether anything listened: the first answer to the SYN says (SYN-ACK: LISTEN; RST: CLOSED).
    const answer = segs.find((p) => p.index > syn.index && sideOf(p) === 'b' && (p.tcp.flags.syn || p.tcp.flags.rst));
    // No answer at all (the SYN lost or filtered): that it listened is an assumption.
    initial = {
      a: 'CLOSED',
      b: answer?.tcp.flags.rst && !answer.tcp.flags.syn ? 'CLOSED' : 'LISTEN',
      ...(answer ? {} : { assumed: true }),
    };
  } else if (synAck) initial = { a: 'SYN-SENT', b: 'SYN-RECEIVED', assumed: true };
  else initial = { a: 'ESTABLISHED', b: 'ESTABLISHED', assumed: true };

  const sides: Record<'a' | 'b', Side> = {
    a: { state: initial.a, sndMax: 0, passive: false },
    b: { state: initial.b, sndMax: 0, passive: initial.b === 'SYN-RECEIVED' },
  };
  // Sequence numbers count from each side's ISN: its SYN's; without one, what the peer's SYN-ACK acknowledges
  // less one, or else its first segment's sequence number (0 then; Wireshark starts such a side at 1).
  const firstOf = (side: 'a' | 'b'): (typeof segs)[number] | undefined => segs.find((p) => sideOf(p) === side);
  sides.a.isn = syn?.tcp.seq ?? (synAck ? (synAck.tcp.ack - 1) >>> 0 : firstOf('a')?.tcp.seq);
  if (!syn && synAck) sides.a.sndMax = 1;
  sides.b.isn = synAck?.tcp.seq ?? firstOf('b')?.tcp.seq;
  const t0 = segs[0]?.time ?? 0;
  const arrows: LadderArrow[] = [];

  for (const p of segs) {
    const from = sideOf(p);
    const to = from === 'a' ? 'b' : 'a';
    const me = sides[from];
    const peer = sides[to];
    const f = p.tcp.flags;
    // What the segment carried on the wire (a snapshot length may have cut what the capture kept).
    const len = p.tcp.dataLength;
    const notes: string[] = [];

    const seq = rel(p.tcp.seq, me.isn);
    const ack = f.ack ? rel(p.tcp.ack, peer.isn) : undefined;
    const span = len + (f.syn ? 1 : 0) + (f.fin ? 1 : 0);
    const end = seq + span;
    const retransmission = span > 0 && end <= me.sndMax;
    if (retransmission) notes.push('retransmission');
    else if (span > 0 && seq < me.sndMax) notes.push('retransmission (in part)');
    if (span === 0 && !f.rst && ack !== undefined && ack === me.lastAck && p.tcp.window === me.lastWindow && peer.sndMax > ack)
      notes.push('duplicate ACK');
    if (p.tcp.window === 0 && !f.rst) notes.push('zero window');
    // Linux probes with one sequence number below what it has sent: to open a zero window, or to keep alive.
    if (span === 0 && !f.rst && me.sndMax > 0 && seq === me.sndMax - 1)
      notes.push(peer.lastWindow === 0 ? 'zero window probe' : 'keep-alive');
    me.sndMax = Math.max(me.sndMax, end);
    // What is acknowledged was sent, seen by this capture or not (it may start mid-connection).
    if (ack !== undefined && ack < 2 ** 31) peer.sndMax = Math.max(peer.sndMax, ack);
    if (ack !== undefined) {
      me.lastAck = ack;
      me.lastWindow = p.tcp.window;
    }

    // The sender's side of the transition.
    if (f.rst) {
      me.state = 'CLOSED';
    } else {
      if (f.syn && !f.ack && me.state === 'CLOSED') me.state = 'SYN-SENT';
      if (f.syn && f.ack && (me.state === 'LISTEN' || me.state === 'CLOSED')) me.state = 'SYN-RECEIVED';
      if (f.fin && !retransmission) {
        me.finSeq = seq + len + (f.syn ? 1 : 0);
        // The peer's FIN was seen first, but this segment does not acknowledge it: it had not arrived when this
        // FIN left. The FINs crossed on the wire: a simultaneous close.
        const crossed = me.gotFin !== undefined && peer.finSeq !== undefined && (ack === undefined || ack <= peer.finSeq);
        if (crossed && me.gotFin) {
          for (let i = me.gotFin.arrow; i < arrows.length; i++) {
            const st = arrows[i]?.states;
            if (st) st[from] = me.gotFin.before;
          }
          me.state = me.gotFin.before;
          notes.push('FINs crossed: simultaneous close');
        }
        if (me.state === 'CLOSE-WAIT') me.state = 'LAST-ACK';
        else if (me.state === 'ESTABLISHED' || me.state === 'SYN-RECEIVED') me.state = 'FIN-WAIT-1';
        if (crossed) {
          // ... and then the peer's FIN arrives, this side's own still unacknowledged.
          me.state = 'CLOSING';
          me.gotFin = { arrow: arrows.length, before: 'FIN-WAIT-1' };
        }
      }
    }

    // The receiver's side.
    if (f.rst) {
      if (peer.state !== 'LISTEN' && peer.state !== 'CLOSED')
        peer.state = peer.state === 'SYN-RECEIVED' && peer.passive ? 'LISTEN' : 'CLOSED';
    } else {
      if (f.syn && !f.ack) {
        if (peer.state === 'LISTEN') {
          peer.state = 'SYN-RECEIVED';
          peer.passive = true;
        } else if (peer.state === 'SYN-SENT') peer.state = 'SYN-RECEIVED';
      }
      // Only a SYN-ACK that acknowledges the SYN (ISN + 1) completes it; another one is answered with RST.
      if (f.syn && f.ack && ack === 1 && (peer.state === 'SYN-SENT' || peer.state === 'SYN-RECEIVED')) peer.state = 'ESTABLISHED';
      if (!f.syn && f.ack && ack !== undefined) {
        if (peer.state === 'SYN-RECEIVED' && ack >= 1) peer.state = 'ESTABLISHED';
        if (peer.finSeq !== undefined && ack >= peer.finSeq + 1) {
          if (peer.state === 'FIN-WAIT-1') peer.state = 'FIN-WAIT-2';
          else if (peer.state === 'CLOSING') peer.state = 'TIME-WAIT';
          else if (peer.state === 'LAST-ACK') peer.state = 'CLOSED';
        }
      }
      if (f.fin && !retransmission) {
        const before = peer.state;
        if (peer.state === 'ESTABLISHED' || peer.state === 'SYN-RECEIVED') peer.state = 'CLOSE-WAIT';
        else if (peer.state === 'FIN-WAIT-1') peer.state = 'CLOSING';
        else if (peer.state === 'FIN-WAIT-2') peer.state = 'TIME-WAIT';
        if (peer.state !== before) peer.gotFin = { arrow: arrows.length, before };
      }
    }

    arrows.push({
      index: p.index,
      time: round(p.time - t0),
      from,
      label: flagNames(f).join(', ') || 'none',
      flags: flagNames(f),
      seq,
      ...(ack !== undefined ? { ack } : {}),
      seqAbsolute: p.tcp.seq,
      ...(f.ack ? { ackAbsolute: p.tcp.ack } : {}),
      length: len,
      window: p.tcp.window,
      notes,
      states: { a: sides.a.state, b: sides.b.state },
    });
  }
  const isn = { ...(syn ? { a: syn.tcp.seq } : {}), ...(synAck ? { b: synAck.tcp.seq } : {}) };
  return { protocol: 'tcp', a: { ...a }, b: { ...b }, initial, isn, arrows, packets: segs.length };
}

// ---------------------------------------------------------------------------------------------------------
// UDP and ICMP echo: plain arrows.

function plainLadder(packets: Packet[], conv: Conversation): Ladder {
  const t0 = packets[0]?.time ?? 0;
  const arrows: LadderArrow[] = [];
  for (const p of packets) {
    if (!p.ip) continue;
    const from: 'a' | 'b' =
      p.ip.src === conv.a.address && (conv.protocol === 'icmp' || p.udp?.srcPort === conv.a.port || p.icmp !== undefined) ? 'a' : 'b';
    let label: string;
    let length: number;
    const notes: string[] = [];
    if (p.udp) {
      label = 'UDP';
      length = p.udp.payload.length;
      if (p.ip.moreFragments || (p.ip.fragmentOffset ?? 0) > 0) notes.push('fragmented');
    } else if (p.icmp) {
      label =
        icmpLabel(p.icmp.version, p.icmp.type, p.icmp.code) +
        (p.icmp.id !== undefined && isEcho(p.icmp.version, p.icmp.type) ? ` id=${p.icmp.id} seq=${p.icmp.seq ?? 0}` : '');
      // An error from a router on the way (time exceeded ...): drawn from the far side, saying who sent it.
      if (p.ip.src !== conv.a.address && p.ip.src !== conv.b.address) label += ` from ${p.ip.src}`;
      // On an exchange of its own (the datagram it quotes was not captured): say what it quotes.
      const o = p.icmp.original;
      if (conv.protocol === 'icmp' && o)
        label += ` for ${o.protocol === 6 ? 'TCP' : o.protocol === 17 ? 'UDP' : o.protocol === 1 || o.protocol === 58 ? 'ICMP' : `protocol ${o.protocol}`} to ${endpointText({ address: o.dst, ...(o.dstPort !== undefined ? { port: o.dstPort } : {}) })}`;
      length = p.icmp.payloadLength;
    } else continue;
    arrows.push({ index: p.index, time: round(p.time - t0), from, label, length, notes });
  }
  return { protocol: conv.protocol, a: { ...conv.a }, b: { ...conv.b }, arrows, packets: arrows.length };
}

function icmpLabel(version: 4 | 6, type: number, code: number): string {
  if (version === 4) {
    if (type === 8) return 'ICMP echo request';
    if (type === 0) return 'ICMP echo reply';
    if (type === 3)
      return code <= 3
        ? `ICMP ${['net', 'host', 'protocol', 'port'][code] ?? ''} unreachable`
        : code === 4
          ? 'ICMP fragmentation needed'
          : `ICMP destination unreachable (code ${code})`;
    if (type === 11) return 'ICMP time exceeded';
    return `ICMP type ${type} code ${code}`;
  }
  if (type === 128) return 'ICMPv6 echo request';
  if (type === 129) return 'ICMPv6 echo reply';
  if (type === 1) return code === 4 ? 'ICMPv6 port unreachable' : `ICMPv6 destination unreachable (code ${code})`;
  if (type === 2) return 'ICMPv6 packet too big';
  if (type === 3) return 'ICMPv6 time exceeded';
  return `ICMPv6 type ${type} code ${code}`;
}

function round(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}

/** Keeps the first two thirds and the last third of `max` arrows. */
function shorten(l: Ladder, max: number): Ladder {
  if (l.arrows.length <= max) return l;
  const head = Math.ceil((max * 2) / 3);
  const tail = max - head;
  return {
    ...l,
    arrows: [...l.arrows.slice(0, head), ...l.arrows.slice(l.arrows.length - tail)],
    omitted: { after: head - 1, count: l.arrows.length - max },
  };
}

/** How an endpoint is written: name, then address and port ([v6]:port). */
export function endpointText(e: LadderEndpoint): string {
  const addr = e.port === undefined ? e.address : e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
  return e.name ? `${e.name} ${addr}` : addr;
}
