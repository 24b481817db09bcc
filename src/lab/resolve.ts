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
import { opt } from '../exercise/step-kinds/kind.js';
import type { ResolvedStep } from '../exercise/step-kinds/registry.js';

/** Every default of the lab format: the lab's own, then each step kind's (declared in its module, src/exercise/step-kinds/). */
export const DEFAULTS = {
  /** Share of the maximum score needed to pass. */
  passMark: 1,
  ...STEP_DEFAULTS,
} as const;

/**
 * A lab as everything after loading reads it. The lab's name, title, networks and nodes are the file's own (they
 * have no defaults); `programs`, `modules` and `submissionFiles` have theirs applied; steps and checks are
 * resolved (kinds named, defaults filled in).
 */
export interface ResolvedLab {
  /** The lab's name: its folder under labs/, the `tl-<name>-...` prefix of its containers. */
  name: string;
  /** One line, as `lab list` shows it. */
  title: string;
  /** A paragraph on what the lab teaches, when the file gives one. */
  summary?: string;
  networks: LabFile['networks'];
  nodes: LabFile['nodes'];
  /** Programs by name; `{}` when the file declares none. */
  programs: Programs;
  /** npm packages the programs may import besides Node's own; `[]` when none. */
  modules: string[];
  /** The files a student submits: `submission.files`, or (when the file lists none) every program's source. */
  submissionFiles: string[];
  passMark: number;
  /** The sum of the checks' points. */
  maxScore: number;
  steps: ResolvedStep[];
  checks: ResolvedCheck[];
}

type Programs = NonNullable<LabFile['programs']>;

/** The files a student submits: those the lab lists, or else every program's source. */
export function submissionFilesOf(def: { programs?: Programs; submission?: LabFile['submission'] }): string[] {
  return [...new Set(def.submission?.files ?? Object.values(def.programs ?? {}).map((p) => p.source))];
}

/** Applies the lab format's defaults and names each step's and check's kind. `def` must be schema-valid. */
export function resolveLab(def: LabFile): ResolvedLab {
  const checks = def.checks.map(resolveCheck);
  return {
    name: def.name,
    title: def.title,
    ...opt('summary', def.summary),
    networks: def.networks,
    nodes: def.nodes,
    programs: def.programs ?? {},
    modules: def.modules ?? [],
    submissionFiles: submissionFilesOf(def),
    passMark: def.passMark ?? DEFAULTS.passMark,
    maxScore: checks.reduce((s, c) => s + c.points, 0),
    steps: def.exercise.map(resolveStep),
    checks,
  };
}
