/** The values of a link impairment as a lab file writes them (`50ms`, `1mbit`), read and described. Pure. */
import type { ImpairmentDef } from './model.js';

/** Milliseconds in a duration like `50ms`, `500us`, `1s`. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s)$/.exec(text);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** Bits per second in a rate like `512kbit`, `1mbit` (SI multiples, as tc reads them). */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/.exec(text);
  if (!m) return NaN;
  const mult: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };
  return Number(m[1]) * (mult[m[2] ?? 'bit'] ?? 1);
}

/** A short description of an impairment, for plans and graphs: `delay 50ms±10ms, loss 30%, rate 1mbit`. */
export function describeImpairment(imp: ImpairmentDef): string {
  const parts: string[] = [];
  if (imp.delay !== undefined) parts.push(`delay ${imp.delay}${imp.jitter !== undefined ? '±' + imp.jitter : ''}`);
  if (imp.loss !== undefined) parts.push(`loss ${imp.loss}`);
  if (imp.rate !== undefined) parts.push(`rate ${imp.rate}`);
  return parts.join(', ');
}
