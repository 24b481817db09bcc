import type { Observations } from '../exercise/observations.js';
import type { Static, TSchema } from '../schema/vocabulary.js';
import type { ProbeKind } from '../exercise/probe-kinds/registry.js';
import type { Verdict } from './types.js';

/** What of a run a check kind reads (see src/exercise/observations.ts). */
export type Observed = 'captures' | 'programs' | 'probes' | 'files' | 'end-of-run sockets' | 'addresses';

/**
 * One check kind, declared once in its own module and listed in src/checks/registry.ts: the lab schema's
 * `checks[].<name>` (validation, schema/lab.schema.json and docs/lab-format.md's table come from `schema`),
 * what it reads, and the pure function that gives its verdict.
 */
export interface CheckKind<N extends string = string, S extends TSchema = TSchema> {
  /** The key naming the kind in a check, e.g. `handshake`. */
  name: N;
  /** Its fields; its `description` is the kind's line in the docs. */
  schema: S;
  reads: readonly Observed[];
  evaluate(spec: Static<S>, obs: Observations): Verdict;
  /** Problems of meaning in a check of this kind (references, combinations), found when the lab is loaded. */
  lint?(spec: Static<S>, ctx: LintContext): void;
}

export function defineCheckKind<N extends string, S extends TSchema>(kind: CheckKind<N, S>): CheckKind<N, S> {
  return kind;
}

export type { ExerciseNames } from '../exercise/step-kinds/kind.js';
import type { ExerciseNames } from '../exercise/step-kinds/kind.js';

type Path = (string | number)[];

/**
 * What a kind's `lint` checks a check's fields with, beyond the schema: references to nodes, captures,
 * program runs, probes and files. Paths are relative to the kind's key (`checks[i].<kind>`).
 */
export interface LintContext {
  problem(path: Path, message: string): void;
  /** `value`, when given, must be one of `known` (a `what`, e.g. `capture`): else "unknown capture `x`; did you mean ...". */
  ref(path: Path, value: string | undefined, known: string[], what: string): void;
  node(path: Path, value: string | undefined): void;
  /** A probe named `probe`, when given, must be of one of `kinds` and read `onNode`. */
  probeOn(path: Path, probe: string | undefined, onNode: string, kinds: ProbeKind[], what: string): void;
  probesOf(kinds: ProbeKind[]): string[];
  regex(path: Path, value: string | undefined): void;
  /** `network`, when given, must be one of the node's networks. */
  networkOf(path: Path, node: string, network: string | undefined): void;
  /** A file a student submits: listed under `submission.files`, and in the lab folder. */
  submitted(path: Path, file: string): void;
  /** A process holding a port in a node: `{ node, tcp | udp, probe? }`. */
  portRef(path: Path, r: { node: string; tcp?: number; udp?: number; probe?: string }): void;
  suggest(value: string, known: string[]): string;
  /** Capture names and run names (programs and commands) the exercise defines. */
  captures: string[];
  outputs: string[];
  names: ExerciseNames;
}
