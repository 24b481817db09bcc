/** `stop: <name>`: stop a background program or a capture. */
import { Enum, Type } from '../../schema/vocabulary.js';
import { defineStepKind, type StepDefOf } from './kind.js';

/** The value of a `stop` step (what its key holds). */
export const StopStepValue = Type.String({
  description: "Stop a background program (a `start` step's name; SIGTERM, then SIGKILL after 2 s) or a capture (by its name).",
});
/** The keys a `stop` step may have beside `stop`. */
export const StopStepOptions = Type.Object({
  signal: Type.Optional(Enum(['TERM', 'INT', 'KILL'], { description: 'stop: the signal sent to a program (default TERM).' })),
});
export type StopStep = StepDefOf<'stop', typeof StopStepValue, typeof StopStepOptions>;

export type ResolvedStop = { kind: 'stop'; index: number; target: string; signal: 'TERM' | 'INT' | 'KILL' };

/** What a stop step needs of the step runner. */
export interface StopPort {
  /** Ends the capture or background program named `target`, recording what it did. */
  stop(step: ResolvedStop): Promise<void>;
}

const defaults = {
  stopSignal: 'TERM' as 'TERM' | 'INT' | 'KILL',
};

export const stopStep = defineStepKind({
  key: 'stop',
  value: StopStepValue,
  options: StopStepOptions,
  defaults,
  resolve: (step, index): ResolvedStop => ({ kind: 'stop', index, target: step.stop, signal: step.signal ?? defaults.stopSignal }),
  describe: (step) => `stop ${step.target}`,
  run: (step: ResolvedStop, port: StopPort) => port.stop(step),
  lint(step, ctx) {
    const isProgram = ctx.started.has(step.stop);
    const isCapture = ctx.names.captures.has(step.stop);
    if (!isProgram && !isCapture) {
      ctx.problem(
        ['stop'],
        `\`${step.stop}\` is neither a running program nor a capture started at an earlier step${ctx.suggest(step.stop, [...ctx.started, ...ctx.names.captures.keys()])}`,
      );
    }
    if (isCapture && step.signal !== undefined)
      ctx.problem(['signal'], '`signal` is for programs; a capture is stopped with SIGINT so it flushes');
    ctx.started.delete(step.stop);
  },
});
