import type { Observations } from '../exercise/observations.js';
import type { Static, TSchema } from '../schema/vocabulary.js';
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
}

export function defineCheckKind<N extends string, S extends TSchema>(kind: CheckKind<N, S>): CheckKind<N, S> {
  return kind;
}
