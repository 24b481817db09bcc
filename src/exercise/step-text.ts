/**
 * What a lab's exercise steps say about themselves: the setup steps `lab up` runs, and the one-line
 * description of each step shown in progress and in reports (each kind's `describe`, src/exercise/step-kinds/).
 */
import { stepKind, type ResolvedStep, type StepOfKind } from './step-kinds/registry.js';

export { describeStep } from './step-kinds/registry.js';
export { describeWait } from './step-kinds/wait.js';
export { ms } from './step-kinds/kind.js';

/** A step `lab up` runs: a start, or one of the lab's own commands. */
export type SetupStep = StepOfKind<'start'> | StepOfKind<'command'>;

/**
 * What `lab up` runs so the lab is ready to poke at, as the README says: the exercise's leading `start` steps
 * and the lab's own `command` steps (`run:`, never a student's command file) among them, up to the first other
 * step. Captures among them are skipped (they record a graded run; `lab up` records nothing), so a `start`
 * after a capture runs too. Each kind says which it is (`atSetup`).
 */
export function setupSteps(steps: readonly ResolvedStep[]): SetupStep[] {
  const out: SetupStep[] = [];
  for (const s of steps) {
    const at = stepKind(s).atSetup?.(s) ?? 'end';
    if (at === 'skip') continue;
    if (at === 'run') out.push(s as SetupStep);
    else break;
  }
  return out;
}
