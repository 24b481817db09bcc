/** `start: <program>`: start a program in the background and wait until it is ready. */
import { MapOf, ref, Type } from '../../schema/vocabulary.js';
import { NameSchema, PortSchema } from '../../schema/defs.js';
import { defineStepKind, failedRun, opt, RUN_NAME_DESCRIPTION, type ProgramRun, type StepDefOf } from './kind.js';

/** The value of a `start` step (what its key holds). */
export const StartStepValue = Type.String({
  description:
    'Start a program in the background and wait until it is ready. It keeps running until a `stop` step or the end of the exercise.',
});
/** The keys a `start` step may have beside `start`. */
export const StartStepOptions = Type.Object({
  name: Type.Optional(ref(NameSchema, { description: RUN_NAME_DESCRIPTION })),
  ready: Type.Optional(
    Type.Object(
      {
        tcp: Type.Optional(ref(PortSchema, { description: "A TCP socket listening on this port in the program's node (IPv4 or IPv6)." })),
        udp: Type.Optional(ref(PortSchema, { description: "A UDP socket bound to this port in the program's node." })),
        unix: Type.Optional(
          Type.String({ pattern: '^/', description: "A unix stream socket listening on this path in the program's node." }),
        ),
        stdout: Type.Optional(
          Type.String({ description: "A JavaScript regular expression that a line of the program's stdout matches, e.g. `listening`." }),
        ),
        timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 120, description: 'Seconds to wait (default 20).' })),
      },
      {
        additionalProperties: false,
        minProperties: 1,
        description: 'What `ready` means; every condition given must hold. Polled (never a fixed sleep) until `timeout`.',
      },
    ),
  ),
  args: Type.Optional(Type.Array(Type.String(), { description: "Command-line arguments, replacing the program's own `args`." })),
  env: Type.Optional(MapOf(Type.String(), { description: "Environment variables, merged over the program's own `env`." })),
});
export type StartStep = StepDefOf<'start', typeof StartStepValue, typeof StartStepOptions>;

export type ResolvedStart = ProgramRun & { kind: 'start'; ready?: Omit<NonNullable<StartStep['ready']>, 'timeout'>; readyTimeoutS: number };

/** What a start step needs of the step runner. */
export interface StartPort {
  /** Launches the program and waits (bounded by `readyTimeoutS`) until it is ready; StepError naming what it waited for. */
  startProgram(step: ResolvedStart): Promise<void>;
}

const defaults = {
  /** Seconds a started program has to become ready. */
  readyTimeoutS: 20,
};

export const startStep = defineStepKind({
  key: 'start',
  value: StartStepValue,
  options: StartStepOptions,
  defaults,
  resolve(step, index): ResolvedStart {
    const { timeout, ...ready } = step.ready ?? {};
    return {
      kind: 'start',
      index,
      program: step.start,
      name: step.name ?? step.start,
      ...opt('args', step.args),
      ...opt('env', step.env),
      ...(step.ready ? { ready } : {}),
      readyTimeoutS: timeout ?? defaults.readyTimeoutS,
    };
  },
  describe(step) {
    const r = step.ready;
    const conds = [
      r?.tcp !== undefined ? `tcp ${r.tcp} listening` : '',
      r?.udp !== undefined ? `udp ${r.udp} bound` : '',
      r?.unix ? `unix ${r.unix} listening` : '',
      r?.stdout ? `stdout /${r.stdout}/` : '',
    ].filter(Boolean);
    return `start ${step.program}${step.name !== step.program ? ` as ${step.name}` : ''}${conds.length ? ` (ready: ${conds.join(', ')})` : ''}`;
  },
  run: (step: ResolvedStart, port: StartPort) => port.startProgram(step),
  recordFailure(step, message, { obs, nodeOf }) {
    if (!obs.programs[step.name]) obs.programs[step.name] = failedRun(nodeOf(step.program), 'program', message);
  },
  lint(step, ctx) {
    const program = step.start;
    if (!ctx.programs.includes(program)) ctx.problem(['start'], `unknown program \`${program}\`${ctx.suggest(program, ctx.programs)}`);
    const name = step.name ?? program;
    ctx.addOutput(name, 'start', ctx.programNode(program), [step.name !== undefined ? 'name' : 'start']);
    ctx.started.add(name);
    if (step.ready?.stdout !== undefined) {
      const bad = ctx.regexProblem(step.ready.stdout);
      if (bad) ctx.problem(['ready', 'stdout'], bad);
    }
  },
  atSetup: () => 'run',
});
