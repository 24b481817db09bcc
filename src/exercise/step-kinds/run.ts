/** `run: <program>`: run a program to completion (killed after `timeout`). */
import { MapOf, ref, Type } from '../../schema/vocabulary.js';
import { NameSchema } from '../../schema/defs.js';
import { defineStepKind, failedRun, opt, RUN_NAME_DESCRIPTION, type ProgramRun, type StepDefOf } from './kind.js';

/** The value of a `run` step (what its key holds). */
export const RunStepValue = Type.String({
  description: 'Run a program to completion (killed after `timeout`). Its output and exit code are kept under `name`.',
});
/** The keys a `run` step may have beside `run`. */
export const RunStepOptions = Type.Object({
  name: Type.Optional(ref(NameSchema, { description: RUN_NAME_DESCRIPTION })),
  timeout: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, maximum: 300, description: 'run: seconds the program may take before it is killed (default 10).' }),
  ),
  stdin: Type.Optional(Type.String({ description: 'run: text given on standard input (then end of file).' })),
  args: Type.Optional(Type.Array(Type.String(), { description: "Command-line arguments, replacing the program's own `args`." })),
  env: Type.Optional(MapOf(Type.String(), { description: "Environment variables, merged over the program's own `env`." })),
});
export type RunStep = StepDefOf<'run', typeof RunStepValue, typeof RunStepOptions>;

export type ResolvedRun = ProgramRun & { kind: 'run'; stdin?: string; timeoutS: number };

/** What a run step needs of the step runner. */
export interface RunPort {
  /** Runs the program to its end (killed after `timeoutS`) and records what it did under `name`. */
  runProgram(step: ResolvedRun): Promise<void>;
}

const defaults = {
  /** Seconds a run may take. */
  runTimeoutS: 10,
};

export const runStep = defineStepKind({
  key: 'run',
  value: RunStepValue,
  options: RunStepOptions,
  defaults,
  resolve(step, index): ResolvedRun {
    return {
      kind: 'run',
      index,
      program: step.run,
      name: step.name ?? step.run,
      ...opt('args', step.args),
      ...opt('env', step.env),
      ...opt('stdin', step.stdin),
      timeoutS: step.timeout ?? defaults.runTimeoutS,
    };
  },
  describe: (step) => `run ${step.program}${step.name !== step.program ? ` as ${step.name}` : ''}`,
  run: (step: ResolvedRun, port: RunPort) => port.runProgram(step),
  recordFailure(step, message, { obs, nodeOf }) {
    if (!obs.programs[step.name]) obs.programs[step.name] = failedRun(nodeOf(step.program), 'program', message);
  },
  lint(step, ctx) {
    const program = step.run;
    if (!ctx.programs.includes(program)) ctx.problem(['run'], `unknown program \`${program}\`${ctx.suggest(program, ctx.programs)}`);
    ctx.addOutput(step.name ?? program, 'run', ctx.programNode(program), [step.name !== undefined ? 'name' : 'run']);
  },
});
