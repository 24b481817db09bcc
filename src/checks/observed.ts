import type { CaptureObservation, Observations, ProbeObservation, ProgramObservation } from '../exercise/observations.js';
import { endProbeName } from '../exercise/observations.js';
import { probeKind, type ProbeKind } from '../exercise/probe-kinds/registry.js';
import type { SocketEntry } from '../observe/types.js';
import type { Verdict } from './types.js';
export { relevantLines } from '../exercise/output-lines.js';

/**
 * The verdict of a check that could not observe what it judges (a capture or probe that failed, an exchange
 * that never happened): not passed, and not failed either (status `skipped`, no points). `message` says what
 * was not observed, so the student and the instructor can tell why.
 */
export function notObserved(message: string, evidence?: string[]): Verdict {
  return { passed: false, unobserved: true, message: `not judged: ${message}`, ...(evidence ? { evidence } : {}) };
}

/** The capture a check names, or a verdict saying why there is none (not judged when the capture itself failed). */
export function captureOf(obs: Observations, name: string): CaptureObservation | Verdict {
  const cap = obs.captures[name];
  if (!cap) return { passed: false, message: `the capture \`${name}\` was not taken: an earlier step failed.` };
  if (cap.error) return notObserved(`the capture \`${name}\` failed: ${cap.error}`);
  return cap;
}

export function programOf(obs: Observations, name: string): ProgramObservation | Verdict {
  const p = obs.programs[name];
  if (!p) return { passed: false, message: `${name} did not run: an earlier step failed.` };
  if (p.error) return { passed: false, message: `${name} did not run: ${p.error}` };
  return p;
}

/** A named probe, or the one taken at the end of the exercise for this node and kind. */
export function probeOf(obs: Observations, name: string | undefined, node: string, kind: ProbeKind): ProbeObservation | Verdict {
  const p = obs.probes[name ?? endProbeName(node, kind)];
  const what = probeKind(kind).noun;
  if (!p)
    return { passed: false, message: `the ${what} of ${node} ${name ? `(probe \`${name}\`) ` : ''}was not read: an earlier step failed.` };
  if (p.error) return notObserved(`could not read the ${what} of ${node}: ${p.error}`);
  return p;
}

/**
 * A socket table's entries (a `sockets` probe), or a not-judged verdict when the probe printed no table at all
 * (ss failed or is missing: `sockets` is undefined): an empty list then would say "no such socket" of a table
 * nobody read.
 */
export function socketsOf(probe: ProbeObservation, node: string): SocketEntry[] | Verdict {
  if (probe.sockets) return probe.sockets;
  const raw = probe.raw.trim();
  return notObserved(`the socket table of ${node} was not read: ss printed no table${raw ? ` (${show(raw, 120)})` : ''}.`);
}

export function nodeAddresses(obs: Observations, node: string): string[] {
  return obs.addresses[node] ?? [];
}

/** The node an address belongs to, for messages. */
export function nodeOf(obs: Observations, address: string): string | undefined {
  return Object.entries(obs.addresses).find(([, list]) => list.includes(address))?.[0];
}

/** `10.0.1.20 (client)` */
export function who(obs: Observations, address: string): string {
  const n = nodeOf(obs, address);
  return n ? `${address} (${n})` : address;
}

export function outputText(p: ProgramObservation, stream: OutputStream): string {
  return stream === 'both' ? `${p.stdout}${p.stdout && p.stderr && !p.stdout.endsWith('\n') ? '\n' : ''}${p.stderr}` : p[stream];
}

/**
 * Characters that print as nothing or as a plain space, so two different texts look the same: format
 * characters (BOM U+FEFF, zero-width space U+200B, joiners, bidi marks, soft hyphen), every space but U+0020
 * (no-break U+00A0, ideographic U+3000, …), line and paragraph separators, private-use and unassigned code
 * points. (JSON.stringify already escapes control characters and lone surrogates.)
 */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}]|(?! )\p{Zs}/gu;

/** A string as a JSON-style quoted literal in which every invisible character is written `\u200b`. */
export function visible(s: string): string {
  return JSON.stringify(s).replace(INVISIBLE, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** A string shown in a message: quoted, cut at `max`, invisible characters written visibly (`\u200b`). */
export function show(s: string, max = 120): string {
  return visible(s.length > max ? s.slice(0, max) + '…' : s);
}

export function isVerdict(x: object): x is Verdict {
  return 'passed' in x && 'message' in x;
}

/** Which of a program's streams an output check reads. */
export type OutputStream = 'stdout' | 'stderr' | 'both';
