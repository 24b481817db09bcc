/**
 * Parsers for socket tables as Linux tools print them: ss, netstat (net-tools) and /proc/net/*. Pure
 * functions from text to SocketEntry[]; lines they do not understand (other socket families, banners,
 * warnings) are skipped.
 *
 * The same socket reads the same whichever tool printed it:
 * - states are normalised (see SocketEntry.state): ss's ESTAB and TIME-WAIT, netstat's TIME_WAIT and
 *   LISTENING, /proc's hex codes all become ESTABLISHED, TIME_WAIT, LISTEN ...;
 * - addresses are plain text without brackets, IPv6 in RFC 5952 form; an IPv4-mapped IPv6 address
 *   (::ffff:10.0.1.10) is given as the IPv4 address it maps, which is what crossed the wire (netstat prints
 *   it that way too); `family` still says 6, the socket's own family;
 * - wildcards: 0.0.0.0 and :: (ss's "*" is an IPv6 socket accepting both families); a port of "*" or 0 is
 *   left out.
 */
import type { SocketEntry, SocketProto } from './types.js';
import { formatIpv6, normaliseAddress } from '../util/address.js';

// ---------------------------------------------------------------------------------------------------------
// States

const TCP_STATES: Record<string, string> = {
  ESTAB: 'ESTABLISHED',
  ESTABLISHED: 'ESTABLISHED',
  'SYN-SENT': 'SYN_SENT',
  'SYN-RECV': 'SYN_RECV',
  SYN_RCVD: 'SYN_RECV',
  'FIN-WAIT-1': 'FIN_WAIT1',
  'FIN-WAIT-2': 'FIN_WAIT2',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  'TIME-WAIT': 'TIME_WAIT',
  'CLOSE-WAIT': 'CLOSE_WAIT',
  'LAST-ACK': 'LAST_ACK',
  LISTENING: 'LISTEN',
};

/** Upper case with underscores, in the names SocketEntry.state documents: `estab` and `ESTAB` → ESTABLISHED. */
export function normaliseSocketState(state: string): string {
  const s = state.trim().toUpperCase();
  return TCP_STATES[s] ?? s.replace(/-/g, '_');
}

function unixState(state: string): string {
  const s = normaliseSocketState(state);
  if (s === 'ESTABLISHED') return 'CONNECTED';
  return s === '' ? 'UNCONN' : s;
}

// /proc/net/tcp "st" column: the kernel's TCP_* numbers.
const PROC_TCP_STATES: Record<number, string> = {
  0x01: 'ESTABLISHED',
  0x02: 'SYN_SENT',
  0x03: 'SYN_RECV',
  0x04: 'FIN_WAIT1',
  0x05: 'FIN_WAIT2',
  0x06: 'TIME_WAIT',
  0x07: 'CLOSE',
  0x08: 'CLOSE_WAIT',
  0x09: 'LAST_ACK',
  0x0a: 'LISTEN',
  0x0b: 'CLOSING',
  0x0c: 'SYN_RECV', // TCP_NEW_SYN_RECV: a request socket, shown as SYN-RECV by ss
};

// ---------------------------------------------------------------------------------------------------------
// Endpoints (addresses themselves: src/util/address.ts)

interface Endpoint {
  address: string;
  port?: number;
  /** 6 if the text was IPv6 (brackets, colons, or ss's "*"). */
  family: 4 | 6;
}

/** "10.0.1.10:9000", "[::ffff:10.0.1.10]:9000", "[fe80::1]%eth0:22", "*:*", ":::9000", "0.0.0.0%lo:53". */
function splitEndpoint(text: string): Endpoint | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  let addr = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  // ss prints the interface a socket is bound to after the address: "[fe80::1]%eth0", "0.0.0.0%lo".
  const zone = addr.startsWith('[') ? addr.indexOf('%', addr.indexOf(']')) : addr.indexOf('%');
  if (zone >= 0) addr = addr.slice(0, zone);
  if (addr === '') return undefined;
  const family: 4 | 6 = addr.includes(':') || addr.startsWith('[') || addr === '*' ? 6 : 4;
  const address = normaliseAddress(addr);
  const port = /^\d+$/.test(portText) && Number(portText) > 0 ? Number(portText) : undefined;
  return port === undefined ? { address, family } : { address, port, family };
}

function setEndpoints(e: SocketEntry, local: Endpoint, peer: Endpoint | undefined): void {
  if (local.port !== undefined) e.localPort = local.port;
  if (peer) {
    e.peerAddress = peer.address;
    if (peer.port !== undefined) e.peerPort = peer.port;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ss

const SS_STATES = new Set([
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'UNKNOWN',
]);
const SS_NETIDS: Record<string, { proto: SocketProto; unixType?: SocketEntry['unixType'] }> = {
  tcp: { proto: 'tcp' },
  udp: { proto: 'udp' },
  u_str: { proto: 'unix', unixType: 'stream' },
  u_dgr: { proto: 'unix', unixType: 'dgram' },
  u_seq: { proto: 'unix', unixType: 'seqpacket' },
};
// States only TCP has: a table without a Netid column that shows one of them is `ss -t`.
const TCP_ONLY_STATES = new Set([
  'LISTEN',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'CLOSE-WAIT',
  'LAST-ACK',
  'CLOSING',
]);

export interface SsOptions {
  /**
   * The protocol of a table printed without a Netid column (`ss -tan`, `ss -uan`). Without it, a table with
   * an UNCONN row is taken as UDP and any other as TCP, which is wrong for `ss -uan` showing only
   * connected UDP sockets: pass it, or print the Netid column (`ss -tuanp` has it).
   */
  proto?: 'tcp' | 'udp';
}

/** Parses `ss -tanp`, `ss -uanp`, `ss -xanp`, `ss -an` ... (with -n; with or without -p, -H, -e). */
export function parseSs(text: string, options: SsOptions = {}): SocketEntry[] {
  const rows = text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((t) => t.length >= 5);
  let guessed: 'tcp' | 'udp' | undefined = options.proto;
  if (!guessed) {
    const states = rows.filter((t) => SS_STATES.has(t[0] ?? '')).map((t) => t[0] ?? '');
    guessed = states.some((s) => TCP_ONLY_STATES.has(s)) ? 'tcp' : states.includes('UNCONN') ? 'udp' : 'tcp';
  }
  const out: SocketEntry[] = [];
  for (const t of rows) {
    let netid: (typeof SS_NETIDS)[string] | undefined;
    let i = 0;
    if (SS_STATES.has(t[0] ?? '')) {
      netid = { proto: guessed };
    } else {
      netid = SS_NETIDS[t[0] ?? ''];
      if (!netid || !SS_STATES.has(t[1] ?? '')) continue; // header, netlink, raw, packet sockets ...
      i = 1;
    }
    const [stateText = '', recvQ = '', sendQ = ''] = t.slice(i, i + 3);
    if (!/^\d+$/.test(recvQ) || !/^\d+$/.test(sendQ)) continue;
    const rest = t.slice(i + 3);
    const entry = netid.proto === 'unix' ? ssUnix(rest, netid.unixType, stateText) : ssInet(rest, netid.proto, stateText);
    if (!entry) continue;
    entry.recvQ = Number(recvQ);
    entry.sendQ = Number(sendQ);
    const extra = rest.join(' ');
    const user = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(extra);
    if (user) {
      entry.program = user[1] ?? '';
      entry.pid = Number(user[2]);
    }
    const ino = /(?:^| )ino:(\d+)/.exec(extra);
    if (ino && entry.inode === undefined && Number(ino[1]) > 0) entry.inode = Number(ino[1]);
    out.push(entry);
  }
  return out;
}

function ssInet(rest: string[], proto: SocketProto, state: string): SocketEntry | undefined {
  const local = splitEndpoint(rest[0] ?? '');
  const peer = splitEndpoint(rest[1] ?? '');
  if (!local || !peer) return undefined;
  const e: SocketEntry = {
    proto,
    family: local.family,
    state: normaliseSocketState(state),
    recvQ: 0,
    sendQ: 0,
    localAddress: local.address,
  };
  setEndpoints(e, local, peer);
  return e;
}

/** ss prints a unix socket as: path-or-* inode peer-or-* peer-inode. */
function ssUnix(rest: string[], unixType: SocketEntry['unixType'], state: string): SocketEntry | undefined {
  const [path = '', inode = '', , peerInode = ''] = rest;
  if (!/^\d+$/.test(inode)) return undefined;
  const e: SocketEntry = { proto: 'unix', state: unixState(state), recvQ: 0, sendQ: 0, localAddress: path };
  if (unixType) e.unixType = unixType;
  if (path !== '*') e.path = path;
  if (Number(inode) > 0) e.inode = Number(inode);
  if (/^\d+$/.test(peerInode) && Number(peerInode) > 0) e.peerInode = Number(peerInode);
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// netstat (net-tools)

const NETSTAT_INET: Record<string, { proto: SocketProto; family: 4 | 6 }> = {
  tcp: { proto: 'tcp', family: 4 },
  tcp6: { proto: 'tcp', family: 6 },
  udp: { proto: 'udp', family: 4 },
  udp6: { proto: 'udp', family: 6 },
};
const NETSTAT_STATES = new Set([
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'UNKNOWN',
]);
const NETSTAT_UNIX_STATES = new Set(['FREE', 'LISTENING', 'CONNECTING', 'CONNECTED', 'DISCONNECTING', 'UNKNOWN']);
const NETSTAT_UNIX_TYPES: Record<string, SocketEntry['unixType']> = { STREAM: 'stream', DGRAM: 'dgram', SEQPACKET: 'seqpacket' };
/** netstat prints "PID/Program name" in a column this wide, then the unix socket's path. */
const NETSTAT_PROGRAM_WIDTH = 20;

interface Token {
  text: string;
  at: number;
}

function tokens(line: string): Token[] {
  return [...line.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index ?? 0 }));
}

/**
 * Parses `netstat -tanp`, `-uanp`, `-tlnp`, `-xanp`, `-xlp` (with -n; with or without -p and -W). Without -W
 * netstat cuts long IPv6 addresses to fit its columns: such addresses come out as printed.
 */
export function parseNetstat(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  let withPrograms = false;
  for (const line of text.split('\n')) {
    if (/^Proto\s/.test(line)) {
      withPrograms = line.includes('PID/Program name');
      continue;
    }
    const t = tokens(line);
    const first = t[0]?.text ?? '';
    const entry =
      first === 'unix' ? netstatUnix(line, t, withPrograms) : NETSTAT_INET[first] ? netstatInet(line, t, withPrograms) : undefined;
    if (entry) out.push(entry);
  }
  return out;
}

function netstatInet(line: string, t: Token[], withPrograms: boolean): SocketEntry | undefined {
  const kind = NETSTAT_INET[t[0]?.text ?? ''];
  const [recvQ = '', sendQ = ''] = [t[1]?.text, t[2]?.text];
  const local = splitEndpoint(t[3]?.text ?? '');
  const peer = splitEndpoint(t[4]?.text ?? '');
  if (!kind || !/^\d+$/.test(recvQ) || !/^\d+$/.test(sendQ) || !local || !peer) return undefined;
  // UDP sockets that are not connected have an empty State column.
  let next = 5;
  let state = kind.proto === 'udp' ? 'UNCONN' : '';
  if (NETSTAT_STATES.has(t[next]?.text ?? '')) {
    state = t[next]?.text ?? '';
    next++;
  }
  if (state === '') return undefined;
  const e: SocketEntry = {
    proto: kind.proto,
    family: kind.family,
    state: normaliseSocketState(state),
    recvQ: Number(recvQ),
    sendQ: Number(sendQ),
    localAddress: local.address,
  };
  setEndpoints(e, local, peer);
  const owner = t[next];
  if (withPrograms && owner) setOwner(e, line.slice(owner.at).trim());
  return e;
}

/** "42/node", "1234/python3 -u", or "-" when netstat may not see the process. */
function setOwner(e: SocketEntry, text: string): void {
  const m = /^(\d+)\/(.*)$/.exec(text);
  if (!m) return;
  e.pid = Number(m[1]);
  e.program = (m[2] ?? '').trim();
}

/** unix  2  [ ACC ]  STREAM  LISTENING  33894  40/node  /tmp/echo.sock — Flags and State may be empty. */
function netstatUnix(line: string, t: Token[], withPrograms: boolean): SocketEntry | undefined {
  let i = 2;
  if (!t[i]?.text.startsWith('[')) return undefined;
  while (t[i] && !t[i]?.text.endsWith(']')) i++;
  i++;
  const unixType = NETSTAT_UNIX_TYPES[t[i]?.text ?? ''];
  if (!t[i]) return undefined;
  i++;
  let state = '';
  if (NETSTAT_UNIX_STATES.has(t[i]?.text ?? '')) {
    state = t[i]?.text ?? '';
    i++;
  }
  const inode = t[i];
  if (!inode || !/^\d+$/.test(inode.text)) return undefined;
  i++;
  const e: SocketEntry = { proto: 'unix', state: unixState(state), recvQ: 0, sendQ: 0, localAddress: '*' };
  if (unixType) e.unixType = unixType;
  if (Number(inode.text) > 0) e.inode = Number(inode.text);
  let path = '';
  const owner = t[i];
  if (withPrograms && owner) {
    // The program column is fixed-width and a program name may hold spaces: the path starts after it.
    const end = owner.at + NETSTAT_PROGRAM_WIDTH;
    if (line.length <= end || line[end] === ' ') {
      setOwner(e, line.slice(owner.at, end).trim());
      path = line.slice(end).trim();
    } else {
      setOwner(e, owner.text);
      path = line.slice(owner.at + owner.text.length).trim();
    }
  } else if (owner) {
    path = line.slice(owner.at).trim();
  }
  if (path !== '') {
    e.path = path;
    e.localAddress = path;
  }
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// /proc/net/{tcp,tcp6,udp,udp6,unix}

/**
 * Parses /proc/net/tcp, tcp6, udp or udp6. Addresses are hex in the kernel's byte order (32-bit words,
 * little-endian on the x86 and arm64 machines labs run on), ports hex in network order.
 */
export function parseProcNet(text: string, proto: 'tcp' | 'udp', family: 4 | 6): SocketEntry[] {
  const out: SocketEntry[] = [];
  const hexLength = family === 4 ? 8 : 32;
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (!/^\d+:$/.test(t[0] ?? '')) continue; // header
    const local = procEndpoint(t[1] ?? '', hexLength);
    const peer = procEndpoint(t[2] ?? '', hexLength);
    const st = t[3] ?? '';
    const queues = /^([0-9A-Fa-f]+):([0-9A-Fa-f]+)$/.exec(t[4] ?? '');
    if (!local || !peer || !/^[0-9A-Fa-f]{2}$/.test(st) || !queues) continue;
    const code = parseInt(st, 16);
    const state = proto === 'udp' ? (code === 1 ? 'ESTABLISHED' : 'UNCONN') : PROC_TCP_STATES[code];
    if (!state) continue;
    const e: SocketEntry = {
      proto,
      family,
      state,
      recvQ: parseInt(queues[2] ?? '0', 16),
      sendQ: parseInt(queues[1] ?? '0', 16),
      localAddress: local.address,
    };
    setEndpoints(e, local, peer);
    const inode = t[9] ?? '';
    if (/^\d+$/.test(inode) && Number(inode) > 0) e.inode = Number(inode);
    out.push(e);
  }
  return out;
}

function procEndpoint(text: string, hexLength: number): Endpoint | undefined {
  const m = /^([0-9A-Fa-f]+):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m || (m[1] ?? '').length !== hexLength) return undefined;
  const hex = m[1] ?? '';
  const bytes = new Uint8Array(hexLength / 2);
  // Each 32-bit word is printed as a number in host (little-endian) order: reverse its bytes.
  for (let w = 0; w < hexLength / 8; w++) {
    for (let b = 0; b < 4; b++) bytes[w * 4 + b] = parseInt(hex.slice(w * 8 + (3 - b) * 2, w * 8 + (3 - b) * 2 + 2), 16);
  }
  const address = hexLength === 8 ? bytes.join('.') : normaliseAddress(formatIpv6(bytes));
  const port = parseInt(m[2] ?? '0', 16);
  return port > 0 ? { address, port, family: hexLength === 8 ? 4 : 6 } : { address, family: hexLength === 8 ? 4 : 6 };
}

const PROC_UNIX_TYPES: Record<number, SocketEntry['unixType']> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };
const SO_ACCEPTCON = 0x10000;

/** Parses /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path. No queues or processes there. */
export function parseProcNetUnix(text: string): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^\s*[0-9A-Fa-f]+:\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+([0-9A-Fa-f]+)\s+(\d+)(?: (.*))?$/.exec(
        line,
      );
    if (!m) continue;
    const flags = parseInt(m[3] ?? '0', 16);
    const type = parseInt(m[4] ?? '0', 16);
    const st = parseInt(m[5] ?? '0', 16);
    // St is the socket's SS_* state: 1 unconnected, 2 connecting, 3 connected, 4 disconnecting.
    const state =
      flags & SO_ACCEPTCON ? 'LISTEN' : st === 3 ? 'CONNECTED' : st === 2 ? 'CONNECTING' : st === 4 ? 'DISCONNECTING' : 'UNCONN';
    const path = (m[7] ?? '').trim();
    const e: SocketEntry = { proto: 'unix', state, recvQ: 0, sendQ: 0, localAddress: path === '' ? '*' : path };
    const unixType = PROC_UNIX_TYPES[type];
    if (unixType) e.unixType = unixType;
    if (Number(m[6]) > 0) e.inode = Number(m[6]);
    if (path !== '') e.path = path;
    out.push(e);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------

export interface SocketQuery {
  proto?: SocketProto;
  /** Any spelling: LISTEN, ESTAB, established, TIME-WAIT ... */
  state?: string;
  /** Local port. */
  port?: number;
  /** Unix socket path. */
  path?: string;
  family?: 4 | 6;
}

/** The entries matching every given field of the query. */
export function findSockets(entries: readonly SocketEntry[], q: SocketQuery): SocketEntry[] {
  const inetState = q.state === undefined ? undefined : normaliseSocketState(q.state);
  const unixWanted = q.state === undefined ? undefined : unixState(q.state);
  return entries.filter(
    (e) =>
      (q.proto === undefined || e.proto === q.proto) &&
      (q.state === undefined || e.state === (e.proto === 'unix' ? unixWanted : inetState)) &&
      (q.port === undefined || e.localPort === q.port) &&
      (q.path === undefined || e.path === q.path) &&
      (q.family === undefined || e.family === q.family),
  );
}
