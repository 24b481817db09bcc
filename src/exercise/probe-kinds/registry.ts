/**
 * Every probe kind the step runner can take, one module each (see kind.ts). A new kind: its row in
 * PROBE_KIND_INFO (src/schema/steps.ts: name, docs, schema options), its module here, and one line below.
 */
import type { ProbeKind } from '../../lab/model.js';
import type { ProbeKindModule } from './kind.js';
import { interfacesProbe } from './interfaces.js';
import { lsofProbe } from './lsof.js';
import { pingProbe } from './ping.js';
import { routesProbe } from './routes.js';
import { socketsProbe } from './sockets.js';
import { tracerouteProbe } from './traceroute.js';

export const PROBE_KIND_MODULES: { [K in ProbeKind]: ProbeKindModule<K> } = {
  sockets: socketsProbe,
  interfaces: interfacesProbe,
  routes: routesProbe,
  lsof: lsofProbe,
  ping: pingProbe,
  traceroute: tracerouteProbe,
};

export function probeKind(kind: ProbeKind): ProbeKindModule {
  return PROBE_KIND_MODULES[kind];
}
