import { parseProcNet, parseSs } from '../observe/sockets.js';
import type { Packet, SocketEntry } from '../observe/types.js';

/**
 * Scoping socket tables to one run. A node's socket table also holds what earlier runs left: connections in
 * TIME_WAIT for 60 s after a previous `lab check`, and Docker's embedded DNS resolver, which listens on
 * 127.0.0.11 (TCP and UDP, ports of its own) in every container on a user-defined network. Neither is the
 * student's doing in this run, so neither is evidence for or against it.
 */

/** Docker's embedded DNS resolver, listening in the node's network namespace on the engine's behalf. */
export const ENGINE_DNS_ADDRESS = '127.0.0.11';

export function isEngineDns(s: Pick<SocketEntry, 'localAddress'>): boolean {
  return s.localAddress === ENGINE_DNS_ADDRESS;
}

/** A TCP connection's 4-tuple, the same from either end; undefined for listeners and sockets with no peer. */
export function connectionKey(s: SocketEntry): string | undefined {
  if (s.proto !== 'tcp' || s.state === 'LISTEN' || s.localPort === undefined || s.peerPort === undefined || s.peerAddress === undefined)
    return undefined;
  const a = `${s.localAddress}:${s.localPort}`;
  const b = `${s.peerAddress}:${s.peerPort}`;
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** The shell that reads a node's TCP tables for a baseline (no tools, no privileges: /proc). */
export const BASELINE_SCRIPT = 'cat /proc/net/tcp 2>/dev/null; echo @@; cat /proc/net/tcp6 2>/dev/null';

/** The TCP connections in a node's tables before a run (what BASELINE_SCRIPT printed): 4-tuple → state. */
export function parseBaseline(stdout: string): Map<string, string> {
  const [tcp = '', tcp6 = ''] = stdout.split('@@\n');
  const out = new Map<string, string>();
  for (const s of [...parseProcNet(tcp, 'tcp', 4), ...parseProcNet(tcp6, 'tcp', 6)]) {
    const key = connectionKey(s);
    if (key !== undefined) out.set(key, s.state);
  }
  return out;
}

/** A connection that has ended stays in TIME_WAIT (or CLOSE) until the kernel forgets it: it never opens again. */
const ENDED = new Set(['TIME_WAIT', 'CLOSE']);

/** The 4-tuples that opened a connection in this run's captures (a SYN without ACK). */
export function openedInCaptures(captures: Packet[][]): Set<string> {
  const out = new Set<string>();
  for (const packets of captures) {
    for (const p of packets) {
      if (!p.ip || !p.tcp || !p.tcp.flags.syn || p.tcp.flags.ack) continue;
      const a = `${p.ip.src}:${p.tcp.srcPort}`;
      const b = `${p.ip.dst}:${p.tcp.dstPort}`;
      out.add(a < b ? `${a}|${b}` : `${b}|${a}`);
    }
  }
  return out;
}

/**
 * Splits a probe's sockets into this run's and the ones an earlier run left: a TCP connection whose 4-tuple
 * was already in the node's table before the run began, unless a capture of this run saw it open again, or
 * it was over then (TIME_WAIT) and is open now (a new connection on the same 4-tuple). Docker's DNS listener
 * is in neither.
 */
export function scopeSockets(
  sockets: SocketEntry[],
  baseline: Map<string, string> | undefined,
  opened: Set<string>,
): { sockets: SocketEntry[]; earlier: SocketEntry[] } {
  const mine: SocketEntry[] = [];
  const earlier: SocketEntry[] = [];
  for (const s of sockets) {
    if (isEngineDns(s)) continue;
    const key = connectionKey(s);
    const before = key !== undefined ? baseline?.get(key) : undefined;
    const reopened = before !== undefined && ENDED.has(before) && !ENDED.has(s.state);
    if (key !== undefined && before !== undefined && !opened.has(key) && !reopened) earlier.push(s);
    else mine.push(s);
  }
  return { sockets: mine, earlier };
}

/** The shell a sockets probe runs in the node's observer: TCP, UDP and unix tables with their processes. */
export const SOCKETS_PROBE = 'ss -tanp; echo @@; ss -uanp; echo @@; ss -xanp';

/**
 * Reads what SOCKETS_PROBE printed; Docker's DNS listener is left out (the raw output still shows it).
 * Undefined when no section has ss's header line (`State Recv-Q Send-Q ...`): ss did not run (missing, or
 * failed), and an empty list would claim a table with no sockets in it.
 */
export function parseSocketsProbe(stdout: string): SocketEntry[] | undefined {
  if (!/^(Netid\s+)?State\s+Recv-Q\s+Send-Q/m.test(stdout)) return undefined;
  const [tcp = '', udp = '', unix = ''] = stdout.split('@@\n');
  return [...parseSs(tcp, { proto: 'tcp' }), ...parseSs(udp, { proto: 'udp' }), ...parseSs(unix)].filter((s) => !isEngineDns(s));
}
