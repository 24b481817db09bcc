import type { Observations } from '../exercise/observations.js';
import { isVerdict, outputText, programOf, relevantLines, show } from './observed.js';
import type { Verdict } from './types.js';
import { Enum, Type, type Static } from '../schema/vocabulary.js';
import { defineCheckKind } from './kind.js';

/** Evidence lines: what a program's stderr says went wrong (see relevantLines). */
function stderrEvidence(program: string, stderr: string): string[] {
  return relevantLines(stderr).map((l) => `${program} stderr: ${show(l, 200)}`);
}

export function checkOutput(spec: OutputCheck, obs: Observations): Verdict {
  const p = programOf(obs, spec.program);
  if (isVerdict(p)) return p;
  const stream = spec.stream ?? 'stdout';
  const text = outputText(p, stream);
  const where = stream === 'both' ? 'output' : stream;
  const evidence = [`${spec.program} ${where}: ${show(text)}`];
  if (p.droppedBytes > 0) evidence.push(`(${p.droppedBytes} more bytes of output were counted, not kept)`);
  if (p.timedOut) evidence.push(`${spec.program} was stopped at its time limit`);
  const neg = spec.not === true;
  let holds: boolean;
  let what: string;
  if (spec.equals !== undefined) {
    holds = text.replace(/\r?\n$/, '') === spec.equals;
    what = `exactly ${show(spec.equals)}`;
  } else if (spec.contains !== undefined) {
    holds = text.includes(spec.contains);
    what = `something containing ${show(spec.contains)}`;
  } else {
    const re = new RegExp(spec.matches ?? '', 'm');
    holds = re.test(text);
    what = `something matching /${re.source}/`;
  }
  if (holds !== neg)
    return { passed: true, message: `${spec.program} printed ${neg ? 'nothing like ' : ''}${what} on ${where}.`, evidence };
  if (neg) return { passed: false, message: `${spec.program} should not print ${what} on ${where}, but did.`, evidence };
  // What went wrong, in the program's own words, when they are not already what was shown.
  if (stream === 'stdout') evidence.push(...stderrEvidence(spec.program, p.stderr));
  const got = text.replace(/\r?\n$/, '');
  return {
    passed: false,
    message: `${spec.program} should print ${what} on ${where}, but printed ${got === '' ? 'nothing' : show(got, 80)}.`,
    evidence,
  };
}

export function checkExit(spec: ExitCheck, obs: Observations): Verdict {
  const p = programOf(obs, spec.program);
  if (isVerdict(p)) return p;
  const want = spec.nonzero ? 'a non-zero code' : `code ${spec.code ?? 0}`;
  if (p.timedOut) return { passed: false, message: `${spec.program} did not finish in time, so it has no exit code (expected ${want}).` };
  if (p.exitCode === undefined)
    return { passed: false, message: `${spec.program} was still running at the end of the exercise (expected it to exit with ${want}).` };
  const evidence = [`exit code ${p.exitCode}`, ...stderrEvidence(spec.program, p.stderr)];
  const ok = spec.nonzero ? p.exitCode !== 0 : p.exitCode === spec.code;
  if (ok) return { passed: true, message: `${spec.program} exited with code ${p.exitCode}.`, evidence };
  return {
    passed: false,
    message: spec.nonzero
      ? `${spec.program} exited with code 0, but it should fail (exit with a non-zero code) here.`
      : `${spec.program} exited with code ${p.exitCode}, expected ${spec.code}.`,
    evidence,
  };
}

/** Errno names and the texts strerror and Node print for them. */
export const ERRNO: Record<ErrnoName, { code: number; texts: string[] }> = {
  ECONNREFUSED: { code: 111, texts: ['Connection refused'] },
  ECONNRESET: { code: 104, texts: ['Connection reset by peer'] },
  ENOENT: { code: 2, texts: ['No such file or directory'] },
  EACCES: { code: 13, texts: ['Permission denied'] },
  EPERM: { code: 1, texts: ['Operation not permitted'] },
  EADDRINUSE: { code: 98, texts: ['Address already in use'] },
  EADDRNOTAVAIL: { code: 99, texts: ['Cannot assign requested address', 'Address not available'] },
  EMSGSIZE: { code: 90, texts: ['Message too long'] },
  ETIMEDOUT: { code: 110, texts: ['Connection timed out'] },
  EHOSTUNREACH: { code: 113, texts: ['No route to host'] },
  ENETUNREACH: { code: 101, texts: ['Network is unreachable'] },
  EPIPE: { code: 32, texts: ['Broken pipe'] },
  ENOTCONN: { code: 107, texts: ['Transport endpoint is not connected', 'Socket is not connected'] },
  EINVAL: { code: 22, texts: ['Invalid argument'] },
};

/** The errno names a text mentions, by name or by strerror text, in order of appearance. */
export function errnosIn(text: string): ErrnoName[] {
  const found: { name: ErrnoName; at: number }[] = [];
  for (const [name, e] of Object.entries(ERRNO) as [ErrnoName, (typeof ERRNO)[ErrnoName]][]) {
    const positions = [
      new RegExp(`\\b${name}\\b`).exec(text)?.index,
      ...e.texts.map((t) => text.toLowerCase().indexOf(t.toLowerCase())),
    ].filter((i): i is number => i !== undefined && i >= 0);
    if (positions.length > 0) found.push({ name, at: Math.min(...positions) });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.name);
}

export function checkError(spec: ErrorCheck, obs: Observations): Verdict {
  const p = programOf(obs, spec.program);
  if (isVerdict(p)) return p;
  const text = outputText(p, spec.stream ?? 'both');
  const found = errnosIn(text);
  const e = ERRNO[spec.errno];
  const line = text
    .split('\n')
    .find((l) => new RegExp(`\\b${spec.errno}\\b`).test(l) || e.texts.some((t) => l.toLowerCase().includes(t.toLowerCase())));
  if (line !== undefined)
    return {
      passed: true,
      message: `${spec.program} reported ${spec.errno} (${e.texts[0] ?? ''}).`,
      evidence: [line.trim().slice(0, 200)],
    };
  const evidence = relevantLines(text).map((l) => `${spec.program} printed: ${show(l, 200)}`);
  if (found.length > 0) {
    return {
      passed: false,
      message: `${spec.program} failed with ${found.join(', ')}, not ${spec.errno} (${e.texts[0] ?? ''}).`,
      evidence,
    };
  }
  if (p.exitCode === 0)
    return {
      passed: false,
      message: `${spec.program} exited with code 0 and reported no error; it should fail with ${spec.errno} (${e.texts[0] ?? ''}) here.`,
      evidence,
    };
  return {
    passed: false,
    message: `${spec.program}'s output does not name the error ${spec.errno} (${e.texts[0] ?? ''}): print the error's code or message so the user can tell what went wrong.`,
    evidence,
  };
}

/** The fields of a `output` check (its schema fragment, in schema/lab.schema.json under checks[].output). */
export const OutputCheckSchema = Type.Object(
  {
    program: Type.String({ description: "A program's name, the `name` of a start/run step, or a command step's name." }),
    stream: Type.Optional(Enum(['stdout', 'stderr', 'both'], { description: 'Default stdout.' })),
    equals: Type.Optional(Type.String()),
    contains: Type.Optional(Type.String()),
    matches: Type.Optional(Type.String({ description: 'A JavaScript regular expression (flag m: ^ and $ match at line ends).' })),
    not: Type.Optional(Type.Boolean({ description: 'Pass when it does NOT equal/contain/match.' })),
  },
  {
    additionalProperties: false,
    description: 'What a program or command printed: exactly one of equals (trailing newline ignored), contains, matches.',
  },
);
export type OutputCheck = Static<typeof OutputCheckSchema>;
export const outputKind = defineCheckKind({
  name: 'output',
  schema: OutputCheckSchema,
  reads: ['programs'],
  evaluate: checkOutput,
  lint(spec, ctx) {
    const o = spec;
    ctx.ref(['program'], o.program, ctx.outputs, 'program run or command');
    const n = [o.equals, o.contains, o.matches].filter((x) => x !== undefined).length;
    if (n !== 1) ctx.problem([], 'give exactly one of `equals`, `contains` or `matches`');
    ctx.regex(['matches'], o.matches);
  },
});

/** The fields of a `exit` check (its schema fragment, in schema/lab.schema.json under checks[].exit). */
export const ExitCheckSchema = Type.Object(
  {
    program: Type.String({ description: "A program's name, the `name` of a start/run step, or a command step's name." }),
    code: Type.Optional(Type.Integer()),
    nonzero: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: "A program's or command's exit code: `code` exactly, or `nonzero: true`." },
);
export type ExitCheck = Static<typeof ExitCheckSchema>;
export const exitKind = defineCheckKind({
  name: 'exit',
  schema: ExitCheckSchema,
  reads: ['programs'],
  evaluate: checkExit,
  lint(spec, ctx) {
    ctx.ref(['program'], spec.program, ctx.outputs, 'program run or command');
    if ((spec.code === undefined) === (spec.nonzero === undefined)) ctx.problem([], 'give `code: <n>` or `nonzero: true`');
  },
});

/** The fields of a `error` check (its schema fragment, in schema/lab.schema.json under checks[].error). */
export const ErrorCheckSchema = Type.Object(
  {
    program: Type.String({ description: "A program's name, the `name` of a start/run step, or a command step's name." }),
    errno: Enum([
      'ECONNREFUSED',
      'ECONNRESET',
      'ENOENT',
      'EACCES',
      'EPERM',
      'EADDRINUSE',
      'EADDRNOTAVAIL',
      'EMSGSIZE',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'EPIPE',
      'ENOTCONN',
      'EINVAL',
    ]),
    stream: Type.Optional(Enum(['stdout', 'stderr', 'both'], { description: 'Default both.' })),
  },
  {
    additionalProperties: false,
    description: 'The program failed with this errno, as its output shows: the name (ECONNREFUSED) or its text (Connection refused).',
  },
);
export type ErrorCheck = Static<typeof ErrorCheckSchema>;
export const errorKind = defineCheckKind({
  name: 'error',
  schema: ErrorCheckSchema,
  reads: ['programs'],
  evaluate: checkError,
  lint(spec, ctx) {
    ctx.ref(['program'], spec.program, ctx.outputs, 'program run or command');
  },
});
export type ErrnoName = ErrorCheck['errno'];
export type { OutputStream } from './observed.js';
