/**
 * The `proc-io` check: an answer about how many bytes a process moved between the kernel and its own user
 * space, against what /proc/<pid>/io said before and after (two command steps that printed it). rchar counts
 * the bytes read() and friends copied INTO the process, wchar the bytes write() copied OUT of it: each byte of
 * a file sent with read() + write() shows in both, once per copy.
 */
import type { Observations } from '../exercise/observations.js';
import { answerValue, unanswered } from './answer.js';
import { joinDigitGroups, normalizeTyped } from '../util/typed-text.js';
import { isVerdict, notObserved, programOf, show } from './observed.js';
import type { Verdict } from './types.js';
import { Enum, Type, type Static } from '../schema/vocabulary.js';
import { defineCheckKind } from './kind.js';

export type ProcIo = Record<string, number>;

/** `/proc/<pid>/io` text (`rchar: 123` lines) → counters; undefined when there are none. */
export function parseProcIo(text: string): ProcIo | undefined {
  const out: ProcIo = {};
  for (const m of text.matchAll(/^([a-z_]+):\s*(\d+)\s*$/gm)) out[m[1] ?? ''] = Number(m[2]);
  return 'rchar' in out ? out : undefined;
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  byte: 1,
  bytes: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
};

/** "4194304", "4 MiB", "4.2 MB", "4,194,304 bytes" → bytes; undefined otherwise. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(joinDigitGroups(normalizeTyped(text).trim()));
  const unit = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

function snapshot(obs: Observations, name: string): ProcIo | Verdict {
  const p = programOf(obs, name);
  if (isVerdict(p)) return p;
  const io = parseProcIo(p.stdout);
  if (!io)
    return {
      passed: false,
      message: `${name} printed no /proc/<pid>/io counters${p.stderr.trim() ? `: ${show(p.stderr.trim(), 120)}` : ''}. Was the process still running?`,
    };
  return io;
}

/** The counters that grow with any read() or write() of the process. */
const IO_COUNTERS = ['rchar', 'wchar', 'syscr', 'syscw'] as const;

/**
 * Why the readings show no transfer to judge the answer against, if they do not. With `per`: the counters grew
 * by less than half of one file (the copies round to 0 whether the file crossed zero times or was never sent).
 * In bytes: the process made no read() or write() at all between the readings. An answer of 0 would pass on
 * either, though nothing was measured.
 */
function noTransfer(spec: ProcIoCheck, before: ProcIo, after: ProcIo, total: number): string | undefined {
  const counters = spec.counters.join(' + ');
  if (spec.per !== undefined && total * 2 < spec.per)
    return `between ${spec.before} and ${spec.after} the process's ${counters} grew by ${total} bytes, less than half of the ${spec.per}-byte file: the transfer did not happen (see what the client received), so there is no copy to count.`;
  if (spec.per === undefined && IO_COUNTERS.every((c) => (after[c] ?? 0) === (before[c] ?? 0)))
    return `between ${spec.before} and ${spec.after} the process made no read() or write() at all (${IO_COUNTERS.join(', ')} unchanged): nothing was transferred to measure.`;
  return undefined;
}

/**
 * The answer against the growth of `counters` between the `before` and `after` readings; not judged (see
 * `noTransfer`) when the readings show no transfer.
 */
export function checkProcIo(spec: ProcIoCheck, obs: Observations): Verdict {
  const text = obs.files[spec.file];
  if (text === undefined) return { passed: false, message: `the answer file ${spec.file} is missing from the submission.` };
  const answer = answerValue(text, spec.key);
  if (answer === undefined || answer === '') return { passed: false, message: unanswered(spec.file, spec.key, answer) };
  const before = snapshot(obs, spec.before);
  if (isVerdict(before)) return before;
  const after = snapshot(obs, spec.after);
  if (isVerdict(after)) return after;
  const deltas = spec.counters.map((c) => ({ c, d: (after[c] ?? 0) - (before[c] ?? 0) }));
  const total = deltas.reduce((n, x) => n + x.d, 0);
  const shown = deltas.map((x) => `${x.c} +${x.d}`).join(', ');
  const idle = noTransfer(spec, before, after, total);
  if (idle) return notObserved(idle);
  // What was measured is shown with a right answer only: on a wrong one it would be the answer itself (the
  // rule of every answer check).
  const answered = [`${spec.file} (${spec.key}): ${show(answer, 40)}`];
  const evidence = [...answered, `measured: ${shown}${spec.per ? ` = ${(total / spec.per).toFixed(2)} × ${spec.per} bytes` : ''}`];
  if (spec.per !== undefined) {
    const copies = Math.round(total / spec.per);
    const n = /^\d+$/.test(answer.trim()) ? Number(answer) : NaN;
    if (n === copies)
      return {
        passed: true,
        message: `${copies} is right: ${shown} for a ${spec.per}-byte file, each byte crossed ${copies} time(s).`,
        evidence,
      };
    return {
      passed: false,
      message: `${show(answer, 20)} is not what this run measured for a ${spec.per}-byte file: count how many times each byte crossed between the kernel and user space (${spec.counters.join(' and ')} in /proc/<pid>/io).`,
      evidence: answered,
    };
  }
  const bytes = parseBytes(answer);
  if (bytes === undefined)
    return { passed: false, message: `${show(answer, 30)} is not a number of bytes (e.g. 4194304, or 4 MiB).`, evidence: answered };
  const tolerance = spec.tolerance ?? 0.1;
  const ok = total === 0 ? bytes === 0 : Math.abs(bytes / total - 1) <= tolerance;
  return ok
    ? { passed: true, message: `${show(answer, 30)} is within ${Math.round(tolerance * 100)}% of what was measured (${shown}).`, evidence }
    : {
        passed: false,
        message: `${show(answer, 30)} is not within ±${Math.round(tolerance * 100)}% of what this run measured (${spec.counters.join(' and ')} in /proc/<pid>/io).`,
        evidence: answered,
      };
}

/** The fields of a `proc-io` check (its schema fragment, in schema/lab.schema.json under checks[].proc-io). */
export const ProcIoCheckSchema = Type.Object(
  {
    file: Type.String({ description: 'An answer file listed under `submission.files`.' }),
    key: Type.String({ description: "The answer's key." }),
    before: Type.String({ description: 'A command step (or program run) whose stdout is /proc/<pid>/io, taken before.' }),
    after: Type.String({ description: 'The same, taken after.' }),
    counters: Type.Array(Enum(['rchar', 'wchar', 'syscr', 'syscw', 'read_bytes', 'write_bytes']), {
      minItems: 1,
      description: 'Counters whose growth is summed.',
    }),
    per: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "The answer is a number of copies: the sum divided by this many bytes (the file's size), rounded.",
      }),
    ),
    tolerance: Type.Optional(
      Type.Number({ minimum: 0, maximum: 0.9, description: 'For an answer in bytes: the share it may be off by (default 0.1).' }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'An answer about the bytes a process moved between the kernel and its user space, against the growth of /proc/<pid>/io counters between two command steps that printed them (rchar: read into the process; wchar: written out of it).',
  },
);
export type ProcIoCheck = Static<typeof ProcIoCheckSchema>;
export const procIoKind = defineCheckKind({
  name: 'proc-io',
  schema: ProcIoCheckSchema,
  reads: ['files', 'programs'],
  evaluate: checkProcIo,
  lint(spec, ctx) {
    const io = spec;
    ctx.submitted(['file'], io.file);
    ctx.ref(['before'], io.before, ctx.outputs, 'program run or command');
    ctx.ref(['after'], io.after, ctx.outputs, 'program run or command');
  },
});
