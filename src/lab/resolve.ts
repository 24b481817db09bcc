/**
 * resolveLab: a valid lab file's defaults and names applied once, so that nothing downstream re-reads the
 * raw YAML shape (`'start' in step`, `passMark ?? 1`, `timeout ?? 20`). Every default the lab format
 * documents (schema/lab.schema.json's "default ..." phrases) is a constant of DEFAULTS; a unit test
 * (test/unit/lab/resolve.test.ts) holds the two together.
 */
import { resolveCheck, type ResolvedCheck } from '../checks/registry.js';

export type { ResolvedCheck } from '../checks/registry.js';
import { STEP_DEFAULTS, resolveStep } from '../exercise/step-kinds/registry.js';
import type { LabFile } from './lab-schema.js';

export type { ResolvedStep, StepKindName, StepOfKind } from '../exercise/step-kinds/registry.js';
export { describeStep, resolveStep } from '../exercise/step-kinds/registry.js';
export { resolveProbe, type ResolvedProbe } from '../exercise/step-kinds/probe.js';
export { defaultSocketState } from '../exercise/step-kinds/wait.js';
export { opt } from '../exercise/step-kinds/kind.js';
import type { ResolvedStep } from '../exercise/step-kinds/registry.js';

/** Every default of the lab format: the lab's own, then each step kind's (declared in its module, src/exercise/step-kinds/). */
export const DEFAULTS = {
  /** Share of the maximum score needed to pass. */
  passMark: 1,
  ...STEP_DEFAULTS,
} as const;

export interface ResolvedLab {
  passMark: number;
  /** The sum of the checks' points. */
  maxScore: number;
  steps: ResolvedStep[];
  checks: ResolvedCheck[];
}

/** Applies the lab format's defaults and names each step's and check's kind. `def` must be schema-valid. */
export function resolveLab(def: Pick<LabFile, 'passMark' | 'exercise' | 'checks'>): ResolvedLab {
  const checks = def.checks.map(resolveCheck);
  return {
    passMark: def.passMark ?? DEFAULTS.passMark,
    maxScore: checks.reduce((s, c) => s + c.points, 0),
    steps: def.exercise.map(resolveStep),
    checks,
  };
}
