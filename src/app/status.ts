import { listOrphans, type Orphan } from '../deploy/sweep.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';
import { poolOrphans, sweepPool } from '../engines/use.js';
import { labNameOf } from './down.js';
import type { EngineAccess } from './engine-access.js';

/** A lab instance as Docker's labels and networks describe it. */
export interface LabInstanceStatus {
  lab: string;
  instance: string;
  /** Set when a crashed or killed command left it: why, and whether every command's sweep now removes it. */
  orphan?: { reason: string; expired: boolean };
  /** With an engines file: the engine that holds it. */
  engine?: string;
  networks: { name: string; subnet?: string; subnet6?: string; declaredSubnet?: string; declaredSubnet6?: string; dockerName: string }[];
  nodes: { name: string; running: boolean; container: string; interfaces: { network: string; address?: string; address6?: string }[] }[];
}

/** Running instances, read from Docker's labels and the networks' own subnets alone: no state file. */
export async function instanceStatuses(
  runtime: Runtime,
  lab: string | undefined,
  instance: string | undefined,
): Promise<LabInstanceStatus[]> {
  const [containers, networks] = await Promise.all([
    runtime.listContainers(labelFilter(lab, instance)),
    runtime.listNetworks(labelFilter(lab, instance)),
  ]);
  const byKey = new Map<string, LabInstanceStatus>();
  const get = (labels: Record<string, string>): LabInstanceStatus | undefined => {
    const l = labels[LABEL.lab];
    const i = labels[LABEL.instance];
    if (l === undefined || i === undefined) return undefined;
    const key = `${l}\u0000${i}`;
    let st = byKey.get(key);
    if (!st) byKey.set(key, (st = { lab: l, instance: i, networks: [], nodes: [] }));
    return st;
  };
  const netName = new Map<string, string>();
  for (const n of networks) {
    const st = get(n.labels);
    const name = n.labels[LABEL.network] ?? n.name;
    netName.set(n.name, name);
    st?.networks.push({
      name,
      dockerName: n.name,
      ...(n.subnet !== undefined ? { subnet: n.subnet } : {}),
      ...(n.subnet6 !== undefined ? { subnet6: n.subnet6 } : {}),
      ...(n.labels[LABEL.declaredSubnet] !== undefined ? { declaredSubnet: n.labels[LABEL.declaredSubnet] } : {}),
      ...(n.labels[LABEL.declaredSubnet6] !== undefined ? { declaredSubnet6: n.labels[LABEL.declaredSubnet6] } : {}),
    });
  }
  for (const c of containers.filter((x) => x.labels[LABEL.role] === 'node')) {
    const st = get(c.labels);
    st?.nodes.push({
      name: c.labels[LABEL.node] ?? c.name,
      running: c.running ?? false,
      container: c.name,
      interfaces: Object.entries(c.addresses ?? {}).map(([docker, address]) => ({
        network: netName.get(docker) ?? docker,
        ...(address !== '' ? { address } : {}),
        ...(c.addresses6?.[docker] !== undefined ? { address6: c.addresses6[docker] } : {}),
      })),
    });
  }
  const list = [...byKey.values()].sort((x, y) => x.lab.localeCompare(y.lab) || x.instance.localeCompare(y.instance));
  for (const st of list) {
    st.networks.sort((x, y) => x.name.localeCompare(y.name));
    st.nodes.sort((x, y) => x.name.localeCompare(y.name));
  }
  return list.filter((st) => st.nodes.length > 0 || st.networks.length > 0);
}

export function markOrphans(list: LabInstanceStatus[], orphans: Orphan[]): void {
  for (const o of orphans) {
    const st = list.find((x) => x.lab === o.lab && x.instance === o.instance);
    if (st) st.orphan = { reason: o.reason, expired: o.expired };
    else list.push({ lab: o.lab, instance: o.instance, orphan: { reason: o.reason, expired: o.expired }, networks: [], nodes: [] });
  }
}

/**
 * The running toplab instances on one engine, optionally of one lab (by its name) and one instance, read from
 * Docker's labels alone (no state file), orphans marked. (An engine pool's status: statusOf, which asks each
 * engine of the pool this.)
 */
export async function labStatus(opts: {
  runtime: Runtime;
  lab?: string | undefined;
  instance?: string | undefined;
}): Promise<LabInstanceStatus[]> {
  const { lab, instance } = opts;
  // Both read the engine: asked together, one round trip instead of two.
  const [list, orphans] = await Promise.all([instanceStatuses(opts.runtime, lab, instance), listOrphans(opts.runtime)]);
  markOrphans(
    list,
    orphans.filter((o) => orphanOf(o, lab, instance)),
  );
  return list;
}

/** The orphan belongs to the lab and instance asked for (undefined: any). */
export function orphanOf(o: Orphan, lab: string | undefined, instance: string | undefined): boolean {
  return (lab === undefined || o.lab === lab) && (instance === undefined || o.instance === instance);
}

export interface StatusOptions {
  /** The lab as typed (a name, a folder or a lab.yaml path); undefined: every lab. */
  lab?: string | undefined;
  /** One instance (checked: see instanceName); undefined: every instance. */
  instance?: string | undefined;
  engines: EngineAccess;
  onProgress?: (line: string) => void;
}

/** What `lab status` found. */
export interface StatusReport {
  /** Whether an engine pool was asked (then each instance names its engine). */
  pooled: boolean;
  instances: LabInstanceStatus[];
  /** Engines of the pool that did not answer: their instances are not listed. */
  unreachable: { engine: string; error: string }[];
}

/**
 * `lab status`: the running instances (of one lab, one instance) on the local engine, or on each engine of the
 * pool that answers (swept first, as every command does), orphans marked per engine, and the engines that do
 * not answer.
 */
export async function statusOf(opts: StatusOptions): Promise<StatusReport> {
  const lab = opts.lab === undefined ? undefined : labNameOf(opts.lab);
  const { instance } = opts;
  const pool = opts.engines.pool;
  if (!pool)
    return { pooled: false, instances: await labStatus({ runtime: await opts.engines.connect(), lab, instance }), unreachable: [] };
  const health = await pool.probe();
  pool.loseDown(health);
  const unreachable = health.filter((h) => !h.up).map((h) => ({ engine: h.name, error: h.error ?? `engine ${h.name} unreachable` }));
  for (const o of (await sweepPool(pool)).removed)
    opts.onProgress?.(`removed an orphaned instance ${o.lab}/${o.instance} on engine ${o.engine} (${o.reason})`);
  const live = pool.engines.filter((e) => !e.runtime.lost);
  const [per, orphans] = await Promise.all([Promise.all(live.map((e) => instanceStatuses(e.runtime, lab, instance))), poolOrphans(pool)]);
  const instances: LabInstanceStatus[] = [];
  // Orphans marked per engine, as on the local engine: each engine's own list, so one on e2 never marks e1's.
  for (const [i, e] of live.entries()) {
    const list = per[i] ?? [];
    markOrphans(
      list,
      (orphans.get(e.spec.name) ?? []).filter((o) => orphanOf(o, lab, instance)),
    );
    instances.push(...list.map((st) => ({ ...st, engine: e.spec.name })));
  }
  return { pooled: true, instances, unreachable };
}
