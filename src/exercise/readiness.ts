import { parseProcNet, parseProcNetUnix } from '../observe/sockets.js';
import type { SocketEntry } from '../observe/types.js';
import { isEngineDns } from './socket-scope.js';
import { pollLoop, shellQuote } from '../util/shell.js';
import { IDLE_REPORT, idleInit, idleOnce, idleSample, type IdleWatch } from './idle.js';

/**
 * Readiness in the node itself. Every exec costs the engine about 100 ms here (runc sets up a process in the
 * container's namespaces), so a wait made of polls from outside spends most of its time on execs and reacts
 * only at the next poll. Instead one exec loops inside the node, every 50 ms, until the awaited sockets
 * exist (a cheap awk over /proc/net), the program has ended, or the time is up; then it prints the socket
 * tables and the exit code once, and toplab decides from those with the same parser as everywhere else.
 */

export interface SocketWait {
  tcp?: number;
  udp?: number;
  unix?: string;
}

/** The directory of the run being waited for: its own, named by its token (see programs.ts). */
export interface RunRef {
  dir: string;
}

const TABLES = ['tcp', 'tcp6', 'udp', 'udp6', 'unix'] as const;
const SEP = '@@';

/** Docker's DNS listener, 127.0.0.11, as /proc/net/tcp prints it (little-endian): never a program's socket. */
const DNS_HEX = '/^0B00007F:/';

function hexPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * An awk program over /proc/net/{tcp,tcp6,udp,udp6,unix} that exits 0 when every awaited socket is there:
 * TCP in LISTEN (state 0A), UDP bound (07), a unix socket at the path. Undefined when nothing is awaited.
 * The unix path comes in as the awk variable `u`.
 */
export function socketsAwk(want: SocketWait): string | undefined {
  const rules: string[] = [];
  const flags: string[] = [];
  if (want.tcp !== undefined) {
    rules.push(`FILENAME ~ /tcp6?$/ && $4 == "0A" && $2 ~ /:${hexPort(want.tcp)}$/ && $2 !~ ${DNS_HEX} { t = 1 }`);
    flags.push('t');
  }
  if (want.udp !== undefined) {
    rules.push(`FILENAME ~ /udp6?$/ && $4 == "07" && $2 ~ /:${hexPort(want.udp)}$/ && $2 !~ ${DNS_HEX} { d = 1 }`);
    flags.push('d');
  }
  if (want.unix !== undefined) {
    rules.push(`FILENAME ~ /unix$/ && $8 == u { x = 1 }`);
    flags.push('x');
  }
  if (rules.length === 0) return undefined;
  return `${rules.join('\n')}\nEND { exit !(${flags.join(' && ')}) }`;
}

/** The shell that prints the socket tables and, for a run, its exit code once it has ended. */
export function socketTablesScript(run?: RunRef): string {
  const files = TABLES.map((f) => `cat /proc/net/${f} 2>/dev/null; echo ${SEP}`).join('; ');
  const exit = run ? `; cat ${run.dir}/exit 2>/dev/null` : '';
  return `${files}${exit}; true`;
}

/**
 * Waits in the node (at most `seconds`) until the awaited sockets exist or the run has ended, then prints
 * the socket tables (socketTablesScript). Without anything to wait for, prints them at once. With `idle`, the
 * wait also watches the programs (see idle.ts), ends once they have been idle for its window, and prints its
 * report line first (takeIdleReport); without sockets to wait for, it takes one sample.
 */
export function waitInNodeScript(want: SocketWait, run: RunRef, seconds: number, idle?: IdleWatch): string {
  const awk = socketsAwk(want);
  if (!awk) return [...(idle ? idleOnce(idle) : []), socketTablesScript(run)].join('\n');
  const tables = TABLES.map((f) => `/proc/net/${f}`).join(' ');
  const loop = pollLoop(
    seconds,
    [
      `[ -e ${run.dir}/exit ] && break`,
      `awk -v u=${shellQuote(want.unix ?? '')} ${shellQuote(awk)} ${tables} 2>/dev/null && break`,
      ...(idle ? idleSample(idle) : []),
    ],
    { clock: true },
  );
  return [...(idle ? idleInit(idle) : []), ...loop, ...(idle ? [IDLE_REPORT] : []), socketTablesScript(run)].join('\n');
}

/** Reads what socketTablesScript printed. */
export function parseSocketTables(stdout: string): { sockets: SocketEntry[]; exited?: string } {
  const [tcp = '', tcp6 = '', udp = '', udp6 = '', unix = '', exit = ''] = stdout.split(`${SEP}\n`);
  const sockets = [
    ...parseProcNet(tcp, 'tcp', 4),
    ...parseProcNet(tcp6, 'tcp', 6),
    ...parseProcNet(udp, 'udp', 4),
    ...parseProcNet(udp6, 'udp', 6),
    ...parseProcNetUnix(unix),
  ].filter((s) => !isEngineDns(s));
  return exit.trim() !== '' ? { sockets, exited: exit.trim() } : { sockets };
}
