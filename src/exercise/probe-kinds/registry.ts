/**
 * Every probe kind, one module each (see kind.ts), in the order the docs list them; the first is the default.
 * A new kind is one module and one line here: the schema's `probe.kind`, the docs' table, ProbeKind and the
 * observation's fields follow.
 */
import type { ProbeKindModule } from './kind.js';
import { interfacesProbe } from './interfaces.js';
import { lsofProbe } from './lsof.js';
import { neighboursProbe } from './neighbours.js';
import { pingProbe } from './ping.js';
import { routesProbe } from './routes.js';
import { socketsProbe } from './sockets.js';
import { tracerouteProbe } from './traceroute.js';

export const PROBE_KINDS_LIST = [
  socketsProbe,
  interfacesProbe,
  routesProbe,
  lsofProbe,
  pingProbe,
  tracerouteProbe,
  neighboursProbe,
] as const;

type Module = (typeof PROBE_KINDS_LIST)[number];
export type ProbeKind = Module['name'];
/** The kinds' names, the default first. */
export const PROBE_KINDS = PROBE_KINDS_LIST.map((k) => k.name) as ProbeKind[];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The parsed fields a probe observation may hold: each kind's own (`sockets`, `interfaces`, `ping` ...). */
export type ProbeReadings = Partial<UnionToIntersection<ReturnType<Module['parse']>>>;

export const PROBE_KIND_MODULES = Object.fromEntries(PROBE_KINDS_LIST.map((k) => [k.name, k])) as {
  [K in ProbeKind]: Extract<Module, { name: K }>;
};

export function probeKind(kind: ProbeKind): ProbeKindModule {
  return PROBE_KIND_MODULES[kind];
}

/** The table of probe kinds in docs/lab-format.md. */
export function probeKindsTable(): string {
  return [
    '| kind | what runs (in the observer) | options |',
    '|---|---|---|',
    ...PROBE_KINDS_LIST.map((k) => `| \`${k.name}\` | ${k.runs} | ${k.options} |`),
  ].join('\n');
}
