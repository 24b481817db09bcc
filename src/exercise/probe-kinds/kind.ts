/**
 * A probe kind (`probe.kind` of a probe step, or an end-of-run probe): what runs in the node's observer, and
 * how its output becomes a ProbeObservation's parsed field. The kind's name, the text of its row in the
 * docs' table and its schema options are in PROBE_KIND_INFO (src/schema/steps.ts); registry.ts lists one module
 * per kind, and the type there fails to compile while a kind of PROBE_KIND_INFO has none.
 */
import type { ProbeKind } from '../../lab/model.js';
import type { ResolvedProbe } from '../../lab/resolve.js';
import type { ProbeObservation } from '../observations.js';

export interface ProbeKindModule<K extends ProbeKind = ProbeKind> {
  name: K;
  /**
   * Only reads a table of the node (sockets, interfaces, routes, lsof): consecutive such probes are taken at
   * the same moment (stepGroups). A probe that sends packets (ping, traceroute) runs alone.
   */
  readsOnly: boolean;
  /** The `sh -c` line run in the observer. `target`: the address aimed at (ping, traceroute); throws StepError when there is none. */
  command(p: ResolvedProbe, target: () => string): string;
  /** The parsed fields of the observation, from the command's stdout (`raw`: stdout, then stderr when it said anything). */
  parse(stdout: string, raw: string): Partial<ProbeObservation>;
}

export function defineProbeKind<K extends ProbeKind>(k: ProbeKindModule<K>): ProbeKindModule<K> {
  return k;
}
