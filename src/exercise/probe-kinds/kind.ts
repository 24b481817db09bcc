/**
 * A probe kind (`probe.kind` of a probe step, or an end-of-run probe), declared once in its own module and
 * listed in registry.ts: its name, what runs in the node's observer (and the docs' words for it), and how its
 * output becomes the observation's parsed field. The lab schema's `probe.kind` enum and description, the table
 * in docs/lab-format.md, the ProbeKind type and ProbeObservation's fields all come from the registry.
 *
 * A kind module is a declaration: it imports only pure code (the parsers of src/observe, util), never the
 * engine, so the lab format (src/lab, src/schema) can be built from it without importing the step runner.
 */

/** What a probe's command reads of the resolved probe (its defaults applied by the probe step's `resolve`). */
export interface ProbeParams {
  node: string;
  /** ping/traceroute: the node aimed at. */
  target?: string;
  network?: string;
  family: 4 | 6;
  count: number;
  size: number;
  /** lsof: only sockets on this port. */
  port?: number;
}

export interface ProbeKindModule<K extends string = string, R extends object = object> {
  name: K;
  /** What it reads, in messages: `could not read the <noun> of server`. */
  noun: string;
  /** What runs in the observer, in Markdown: the docs' table (`runs`), and the schema's description without its parenthesis. */
  runs: string;
  /** The probe step's fields it reads beyond `name` and `node`, in Markdown for the docs' table ('' when none). */
  options: string;
  /**
   * Only reads a table of the node (sockets, interfaces, routes, lsof, neighbours): consecutive such probes are taken at
   * the same moment (stepGroups). A probe that sends packets (ping, traceroute) runs alone.
   */
  readsOnly: boolean;
  /** Seconds the probe may take unless the step says (default: the probe step's, 10). */
  timeoutS?: number;
  /** The `sh -c` line run in the observer. `target`: the address aimed at (ping, traceroute); throws StepError when there is none. */
  command(p: ProbeParams, target: () => string): string;
  /** The parsed fields of the observation, from the command's stdout (`raw`: stdout, then stderr when it said anything). */
  parse(stdout: string, raw: string): R;
}

export function defineProbeKind<K extends string, R extends object>(k: ProbeKindModule<K, R>): ProbeKindModule<K, R> {
  return k;
}
