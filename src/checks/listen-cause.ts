import type { Observations } from '../exercise/observations.js';
import { endProbeName } from '../exercise/observations.js';
import { normaliseSocketState } from '../observe/sockets.js';
import type { SocketEntry } from '../observe/types.js';
import { nodeAddresses, relevantLines, show } from './observed.js';

/**
 * Why a connection to a node's TCP port found nothing there, said from what the run observed: the common
 * mistakes behind a SYN answered with RST ("connection refused") or a connection never seen. Pure; shared by
 * the check kinds that meet the symptom (socket, handshake), so each names the cause the same way.
 */
export type ListenCause =
  /** Sockets listen on the port, but only on addresses the connection did not go to (127.0.0.1, ::1, another interface's). */
  | { kind: 'bound-elsewhere'; text: string }
  /** Nothing listens on the port; something does on other ports. */
  | { kind: 'other-port'; text: string }
  /** Nothing listens on the port; a program of the node had ended (or never ran). */
  | { kind: 'program-ended'; text: string };

const isLoopback = (a: string): boolean => /^127\./.test(a) || a === '::1';
const isWildcard = (a: string): boolean => a === '0.0.0.0' || a === '::' || a === '*';

/** `127.0.0.1:9000`, `[::1]:9001` */
function endpoint(s: SocketEntry): string {
  return `${s.localAddress.includes(':') ? `[${s.localAddress}]` : s.localAddress}:${s.localPort ?? '?'}`;
}

/** A node's TCP socket table as the run read it: its end-of-run sockets probe, else the last sockets probe of it. */
export function tcpTableOf(obs: Observations, node: string): SocketEntry[] | undefined {
  const end = obs.probes[endProbeName(node, 'sockets')];
  const usable = (p: (typeof obs.probes)[string] | undefined): boolean =>
    p !== undefined && p.error === undefined && p.sockets !== undefined;
  const p = usable(end)
    ? end
    : Object.values(obs.probes)
        .filter((q) => q.node === node && q.kind === 'sockets' && usable(q))
        .at(-1);
  return p?.sockets?.filter((s) => s.proto === 'tcp');
}

/**
 * Why nothing accepted a connection to `node`'s TCP `port` at `dst` (default: the node's first address of the
 * listeners' IP version), or undefined when what was observed does not say. In order:
 * - `bound-elsewhere`: sockets listen on the port, but none on a wildcard address (0.0.0.0, ::) or on `dst`:
 *   the loopback interface only (`listen(port, '127.0.0.1')`, `'localhost'`, `'::1'`), or another address; or
 *   on 0.0.0.0 only while `dst` is an IPv6 address;
 * - `program-ended`: nothing listens on the port, and a program of the node had ended (its exit code and the
 *   line of its output naming the error, with where in its source) or never ran;
 * - `other-port`: nothing listens on the port, but something does on other ports (a mistyped port, or one
 *   read from the wrong variable).
 * `sockets`: the table to read (a check's own probe), default tcpTableOf's.
 */
export function noListenerCause(
  obs: Observations,
  node: string,
  port: number,
  opts: { dst?: string; sockets?: SocketEntry[] } = {},
): ListenCause | undefined {
  const table = (opts.sockets ?? tcpTableOf(obs, node) ?? []).filter((s) => s.proto === 'tcp');
  const listening = table.filter((s) => normaliseSocketState(s.state) === 'LISTEN' && s.localPort !== undefined);
  const onPort = listening.filter((s) => s.localPort === port);
  if (onPort.length > 0) {
    // 0.0.0.0 takes IPv4 only; :: both (unless IPV6_V6ONLY, which the table does not show).
    const dst6 = opts.dst?.includes(':') === true;
    const reaches = (s: SocketEntry): boolean =>
      s.localAddress === opts.dst || s.localAddress === '::' || s.localAddress === '*' || (s.localAddress === '0.0.0.0' && !dst6);
    if (onPort.some(reaches)) return undefined;
    const where = [...new Set(onPort.map(endpoint))].join(' and ');
    if (dst6 && onPort.some((s) => s.localAddress === '0.0.0.0'))
      return {
        kind: 'bound-elsewhere',
        text: `${node} listens on ${where} only, IPv4's wildcard address: a SYN over IPv6 to ${opts.dst ?? ''} finds no socket listening there and is answered with RST; listen on :: (give listen() no host), which takes IPv4 and IPv6.`,
      };
    const six = onPort.every((s) => s.localAddress.includes(':'));
    const dst = opts.dst ?? nodeAddresses(obs, node).find((a) => a.includes(':') === six);
    const to = dst !== undefined ? `a SYN to ${dst}` : 'a SYN to its own address';
    const fix = 'listen on 0.0.0.0 or :: (give listen() no host)';
    if (onPort.every((s) => isLoopback(s.localAddress)))
      return {
        kind: 'bound-elsewhere',
        text: `${node} listens on ${where} only, the loopback interface, which only ${node} itself can reach: ${to} from another node finds no socket listening there and is answered with RST; ${fix}.`,
      };
    if (dst === undefined) return undefined;
    return {
      kind: 'bound-elsewhere',
      text: `${node} listens on ${where} only, not on ${dst}: ${to} finds no socket listening there and is answered with RST; ${fix}, or on the address its clients connect to.`,
    };
  }
  const ended = programEnded(obs, node);
  if (ended) return ended;
  // Listeners every address reaches first: the likeliest to be the server meant.
  const others = listening
    .filter((s) => s.localPort !== port)
    .sort((a, b) => Number(isWildcard(b.localAddress)) - Number(isWildcard(a.localAddress)));
  if (others.length > 0) {
    const ports = [...new Set(others.map((s) => s.localPort))];
    return {
      kind: 'other-port',
      text: `${node} listens on port${ports.length > 1 ? 's' : ''} ${ports.slice(0, 3).join(', ')} instead (${others
        .slice(0, 2)
        .map((s) => `${endpoint(s)}${s.program ? ` ${s.program}${s.pid !== undefined ? ` pid ${s.pid}` : ''}` : ''}`)
        .join(', ')}): is the port right?`,
    };
  }
  return undefined;
}

/**
 * A program of `node` that had ended on its own (its exit code and the line of its output naming the error,
 * with where in its source), or never ran (why): the likely reason nothing listens there, whatever the socket.
 */
export function programEnded(obs: Observations, node: string): ListenCause | undefined {
  const ended = Object.entries(obs.programs).find(
    ([, p]) =>
      p.node === node && p.kind === 'program' && (p.error !== undefined || (!p.running && !p.timedOut && p.exitCode !== undefined)),
  );
  if (!ended) return undefined;
  const [name, p] = ended;
  const line = relevantLines(p.stderr.trim() ? p.stderr : p.stdout, 1)[0];
  return {
    kind: 'program-ended',
    text:
      p.error !== undefined
        ? `${name} did not run: ${oneLine(p.error)}`
        : `${name === node ? `the program ${name}` : `${name} (in ${node})`} had exited with code ${p.exitCode}${line !== undefined ? `, after printing ${show(line, 200)}` : ''}.`,
  };
}

/** A multi-line message (a compile error's diagnostics) on one line. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

/** The first program of `node` that did not run at all (it did not compile, or could not start), with why. */
export function notRun(obs: Observations, node: string): { program: string; why: string } | undefined {
  const found = Object.entries(obs.programs).find(([, p]) => p.node === node && p.error !== undefined);
  return found ? { program: found[0], why: oneLine(found[1].error ?? '') } : undefined;
}

/** `connect ECONNREFUSED 10.0.1.10:9001`: a connection attempt Node reports (handled or not), with where it went. */
export interface ConnectAttempt {
  program: string;
  errno: string;
  address: string;
  port: number;
  line: string;
}

const CONNECT = /\bconnect (E[A-Z]+) ((?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*):(\d{1,5})\b/;

/**
 * The connection attempts the programs of `node` reported failing, from Node's own error text (`Error: connect
 * ECONNREFUSED 10.0.1.10:9001`, printed by the program or by Node for an unhandled error): where the program
 * really connected, when a capture filtered on the expected port could not show it.
 */
export function failedConnects(obs: Observations, node: string): ConnectAttempt[] {
  const out: ConnectAttempt[] = [];
  for (const [program, p] of Object.entries(obs.programs)) {
    if (p.node !== node) continue;
    for (const line of `${p.stdout}\n${p.stderr}`.split('\n')) {
      const m = CONNECT.exec(line);
      if (m?.[1] && m[2] && m[3]) out.push({ program, errno: m[1], address: m[2], port: Number(m[3]), line: line.trim() });
    }
  }
  return out;
}
