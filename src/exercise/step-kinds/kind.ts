/**
 * A step kind (`exercise[]` of a lab file: start, run, command, capture, probe, wait, stop), declared once in
 * its own module and listed in registry.ts: the key naming it and its value's schema, the keys allowed beside
 * it, its defaults and their resolution, its one-line description, what it does and what a failure of it
 * records. The lab schema's `step`, the StepDef and ResolvedStep types, resolveStep, describeStep and the step
 * runner all read the registry.
 *
 * A kind module is a declaration: it imports only the schema vocabulary, pure code and types, never the
 * engine, so the lab format (src/lab) can be built from it. What it does is written against a port of its
 * own (`run(step, port)`: the few operations on the instance it needs, declared in the module); the step
 * runner (src/exercise/steps.ts) implements every kind's port and passes it in.
 */
import { Type, type Static, type TObject, type TSchema } from '../../schema/vocabulary.js';
import type { Observations, ProgramObservation } from '../observations.js';
import type { ProbeKind } from '../probe-kinds/registry.js';

/** A step as written in a lab file: the kind's key holding its value, and the options beside it. */
export type StepDefOf<K extends string, V extends TSchema, O extends TObject> = { [Q in K]: Static<V> } & Static<O>;

export interface StepKind<
  K extends string = string,
  V extends TSchema = TSchema,
  O extends TObject = TObject,
  R extends { kind: K; index: number } = { kind: K; index: number },
  P = unknown,
  D extends object = object,
> {
  /** The key naming the kind in a step, e.g. `start`. */
  key: K;
  /** The schema of the key's value; its `description` is the kind's line in the docs. */
  value: V;
  /** The keys a step of this kind may have beside its key (`Type.Object({})` for none). */
  options: O;
  /** The defaults `resolve` applies, named (lab/resolve.ts's DEFAULTS; a test holds them to the schema's "default ..."). */
  defaults: D;
  /** The step with its kind named and its defaults applied: all the step runner reads. */
  resolve(raw: StepDefOf<K, V, O>, index: number): R;
  /** One line for progress and reports, e.g. `start server (ready: tcp 9000 listening)`. */
  describe(step: R): string;
  /** Runs the step; throws StepError (or anything else: "could not complete") when it fails. */
  run(step: R, port: P): Promise<void>;
  /** What a failed step leaves in the observations when it could not record itself (checks then say why). */
  recordFailure?(step: R, message: string, run: FailedRun): void;
  /** The node whose observer the step uses: started at the beginning of the run, alongside the first steps. */
  observerNode?(step: R): string | undefined;
  /** The node whose socket table the step reads: its baseline is taken before the run (socket-scope.ts). */
  baselineNode?(step: R): string | undefined;
  /** Only reads a table of a node: consecutive such steps are taken at the same moment (stepGroups). */
  readsOnly?(step: R): boolean;
  /**
   * Problems of meaning in a step of this kind as written (references, combinations), found when the lab is
   * loaded: what the schema cannot say. It also records the names the step defines (`ctx.names`, `ctx.started`)
   * for the steps and checks after it.
   */
  lint?(step: StepDefOf<K, V, O>, ctx: StepLintContext): void;
  /** What `lab up` does with the step among the leading ones (setupSteps): `run` it, `skip` it; absent: setup ends here. */
  atSetup?(step: R): 'run' | 'skip' | 'end';
}

export function defineStepKind<
  K extends string,
  V extends TSchema,
  O extends TObject,
  R extends { kind: K; index: number },
  P,
  D extends object,
>(kind: StepKind<K, V, O, R, P, D>): StepKind<K, V, O, R, P, D> {
  return kind;
}

/** Names the exercise defines, in the order steps define them; checks resolve their references against these. */
export interface ExerciseNames {
  /** Runs of programs and commands whose output, exit code and pid are kept: name → step index. */
  outputs: Map<string, { step: number; kind: 'start' | 'run' | 'command'; node: string }>;
  captures: Map<string, { step: number; node: string }>;
  probes: Map<string, { step: number; node: string; kind: ProbeKind }>;
}

type Path = (string | number)[];

/** What a step kind's `lint` checks a step with (src/lab/exercise-semantics.ts). Paths are relative to the step (`exercise[i]`). */
export interface StepLintContext {
  /** The step's position in `exercise`. */
  index: number;
  problem(path: Path, message: string): void;
  /** `value`, when given, must be a node of the lab. */
  node(path: Path, value: string | undefined): void;
  /** The lab's programs, and the node each runs in. */
  programs: string[];
  programNode(program: string): string;
  /** The networks a node is on. */
  networksOf(node: string): string[];
  nodes: string[];
  /** The files a student submits (`submission.files`). */
  submissionFiles: string[];
  /** A file named by the lab: inside the lab folder and present; else why not. */
  labFileProblem(file: string): string | undefined;
  /** Why `value` is not a regular expression, or undefined. */
  regexProblem(value: string): string | undefined;
  /** A run's output name (start, run, command): a problem when it is taken already. */
  addOutput(name: string, kind: 'start' | 'run' | 'command', node: string, path: Path): void;
  suggest(value: string, known: string[]): string;
  names: ExerciseNames;
  /** Background programs started at an earlier step and not stopped since. */
  started: Set<string>;
}

/** Where a failed step records itself. */
export interface FailedRun {
  obs: Observations;
  /** The node a program of the lab runs in ('' for an unknown one). */
  nodeOf(program: string): string;
}

/** `{ key: value }`, or `{}` when the value is undefined (an optional field left out rather than set to undefined). */
export function opt<K extends string, V>(key: K, value: V | undefined): { [Q in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [Q in K]?: V };
}

/** Seconds (a resolved step's timeout) in milliseconds. */
export const ms = (seconds: number): number => seconds * 1000;

/** What a run or command that failed before it could record itself leaves: no output, and the step's reason. */
export function failedRun(node: string, kind: 'program' | 'command', message: string): ProgramObservation {
  return { node, kind, stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, error: message };
}

/** The run of a program (start, run): the name its output, exit code and pid are kept under. */
export interface ProgramRun {
  /** The step's position in `exercise`. */
  index: number;
  program: string;
  /** The name its output, exit code and pid are kept under. */
  name: string;
  args?: string[];
  env?: Record<string, string>;
}

/** Run names' documentation, shared by start and run. */
export const RUN_NAME_DESCRIPTION =
  "start/run: the name this run's output, exit code and pid are kept under (default: the program's name). Give one when the same program runs more than once.";

/** The idle rule's window when a lab gives none, seconds (DEFAULTS.idleS; src/exercise/idle.ts, docs/lab-format.md). */
export const IDLE_DEFAULT_S = 0.5;

/**
 * The idle rule of a wait for a program (`ready.idle`, `wait.idle`): seconds, or false to turn it off. Half a
 * second: a Node.js program that is booting, computing, or has a reply to handle is runnable or uses CPU time;
 * what sleeps that long on its own is waiting for nothing the lab will give it (measured: docs/benchmarks.md).
 */
const IDLE_HINT = 'a number of seconds (more than 0, at most 60), or false to turn the idle rule off';
export const IdleSchema = Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 60 }), Type.Literal(false, { 'x-hint': IDLE_HINT })], {
  'x-hint': IDLE_HINT,
  description: `The idle rule: once the program, and every other program of the run still running, has been asleep without using CPU time for this many seconds, it has done all it will do on its own, and the wait ends as not met (default ${IDLE_DEFAULT_S}). \`false\`: wait until \`timeout\` whatever they do. Give more to a program that sleeps on a timer before it does what is awaited.`,
});
