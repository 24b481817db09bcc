/**
 * Every step kind, one module each (see kind.ts), in the order the docs list them. A new kind is one module
 * and one line here: the lab schema's `step`, the StepDef and ResolvedStep types, resolveStep, describeStep,
 * the defaults (lab/resolve.ts's DEFAULTS) and the step runner's dispatch all read this list. The step runner
 * (src/exercise/steps.ts) implements StepServices, the union of the kinds' ports.
 */
import { def, Raw, type TObject, type TSchema } from '../../schema/vocabulary.js';
import type { StepDefOf, StepKind } from './kind.js';
import { captureStep } from './capture.js';
import { commandStep } from './command.js';
import { probeStep } from './probe.js';
import { runStep } from './run.js';
import { startStep } from './start.js';
import { stopStep } from './stop.js';
import { waitStep } from './wait.js';

export const STEP_KINDS = [startStep, runStep, commandStep, captureStep, probeStep, waitStep, stopStep] as const;

type Kind = (typeof STEP_KINDS)[number];
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type DefOf<S> = S extends { key: infer K extends string; value: infer V extends TSchema; options: infer O extends TObject }
  ? StepDefOf<K, V, O>
  : never;

/** A step as written in a lab file. */
export type StepDef = DefOf<Kind>;
export type StepKindName = Kind['key'];
/** A step with its kind named and its defaults applied: what the step runner reads (`lab.steps`). */
export type ResolvedStep = ReturnType<Kind['resolve']>;
/** The resolved step of one kind: `StepOfKind<'start'>`. */
export type StepOfKind<K extends StepKindName> = Extract<ResolvedStep, { kind: K }>;
/** Every operation the kinds' `run` needs of the step runner: the union of their ports. */
export type StepServices = UnionToIntersection<Parameters<Kind['run']>[1]>;
/** Every kind's defaults, by name. */
export const STEP_DEFAULTS = Object.assign({}, ...STEP_KINDS.map((k) => k.defaults)) as UnionToIntersection<Kind['defaults']>;

/** A step of no particular kind, as the runner calls it (each module's own types hold inside it). */
type AnyStepKind = StepKind<StepKindName, TSchema, TObject, ResolvedStep, StepServices>;
const BY_KEY = new Map<string, AnyStepKind>(STEP_KINDS.map((k) => [k.key, k as unknown as AnyStepKind]));

/** The module of a resolved step's kind. */
export function stepKind(step: ResolvedStep): AnyStepKind {
  return BY_KEY.get(step.kind) as AnyStepKind;
}

/** The module of the one kind a step as written holds; undefined for a step of no known kind (not schema-valid). */
export function stepKindOfDef(step: StepDef): AnyStepKind | undefined {
  const kind = STEP_KINDS.find((k) => k.key in step);
  return kind ? BY_KEY.get(kind.key) : undefined;
}

/** `exercise[]`: exactly one step kind, and only the keys that kind allows beside it. */
export const StepSchema = def(
  'step',
  Raw<StepDef>({
    type: 'object',
    description: `One step of the exercise: exactly one of ${STEP_KINDS.map((k) => k.key).join(', ')}. Each step is bounded in time; a step that cannot complete is reported and the checks that depend on it fail with its reason.`,
    properties: Object.fromEntries(STEP_KINDS.map((k) => [k.key, k.value])),
    oneOf: STEP_KINDS.map((k) => ({ required: [k.key] })),
    allOf: STEP_KINDS.filter((k) => Object.keys(k.options.properties).length > 0).map((k) => ({
      if: { required: [k.key] },
      then: { properties: k.options.properties },
    })),
    unevaluatedProperties: false,
  }),
);

/** The step's kind named and its defaults applied (`raw` must be schema-valid). */
export function resolveStep(raw: StepDef, index: number): ResolvedStep {
  const kind = stepKindOfDef(raw);
  if (!kind) throw new Error(`a step with none of the keys ${STEP_KINDS.map((k) => k.key).join(', ')}`);
  return (kind.resolve as (raw: StepDef, index: number) => ResolvedStep)(raw, index);
}

/** The one-line description of a step shown in progress and in reports. */
export function describeStep(step: ResolvedStep): string {
  return stepKind(step).describe(step);
}
