import { removeInstance } from '../deploy/down.js';
import { lockFilter, lockIsLive, refuseWhileBeingCreated } from '../deploy/lock.js';
import type { EnginePool } from '../engines/pool.js';
import { removeStaleLocks } from '../engines/use.js';
import { UsageError } from '../errors.js';
import { LABEL } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';

/** What `lab down` removed: in all, per engine of a pool, and the engines of a pool that did not answer (their part is left). */
export interface DownReport {
  containers: number;
  networks: number;
  perEngine: { engine: string; containers: number; networks: number }[];
  unreachable: { engine: string; error: string }[];
}

/**
 * Removes an instance of a lab (`lab` and `instance`), or every toplab lab (both undefined), found by toplab's
 * labels alone: on one engine (`runtime`; stale creation locks too), or on every engine of a pool that holds any
 * of it. Refuses (InstanceBusyError) while another command creates the instance. When nothing was found and the
 * lab's file (`labFile`) made an instance under another name (its `name:` was edited since `up`), throws a
 * UsageError naming it.
 */
export async function downLab(
  opts: ({ runtime: Runtime; pool?: undefined } | { pool: EnginePool; runtime?: undefined }) & { lab?: string | undefined; instance?: string | undefined; labFile?: string | undefined },
): Promise<DownReport> {
  const { lab, instance } = opts;
  if (opts.pool) {
    const found = await opts.pool.locate(lab, instance);
    if (lab !== undefined && instance !== undefined) for (const e of found.holders) await refuseWhileBeingCreated(e.runtime, lab, instance);
    const perEngine = await Promise.all(found.holders.map(async (e) => ({ engine: e.spec.name, ...(await removeInstance(e.runtime, lab, instance)) })));
    // As on the local engine: creation locks left by commands that are gone go too, on every engine that answers.
    await Promise.all(opts.pool.engines.filter((e) => !e.runtime.lost).map((e) => removeStaleLocks(e.runtime, lab, instance)));
    return {
      containers: perEngine.reduce((n, x) => n + x.containers, 0),
      networks: perEngine.reduce((n, x) => n + x.networks, 0),
      perEngine,
      unreachable: found.unreachable.map((h) => ({ engine: h.name, error: h.error ?? `engine ${h.name} unreachable` })),
    };
  }
  const runtime = opts.runtime;
  if (lab !== undefined && instance !== undefined) await refuseWhileBeingCreated(runtime, lab, instance);
  const r = await removeInstance(runtime, lab, instance);
  // A creation lock left by a command that is gone goes too; one whose owner still runs stays (it is creating).
  const staleLocks = (await runtime.listContainers(lockFilter(lab, instance))).filter((l) => !lockIsLive(l.labels, new Date()));
  await runtime.removeContainers(staleLocks.map((l) => l.id));
  if (r.containers === 0 && r.networks === 0 && lab !== undefined && opts.labFile !== undefined) {
    // Made from this lab file under a name it no longer has (the file's `name:` was edited since `up`)?
    const other = (await runtime.listContainers([`${LABEL.managed}=true`, `${LABEL.labFile}=${opts.labFile}`, `${LABEL.instance}=${instance ?? ''}`])).map((c) => c.labels[LABEL.lab]);
    const names = [...new Set(other.filter((x): x is string => x !== undefined && x !== lab))];
    if (names.length > 0) {
      throw new UsageError(`nothing of ${lab} (instance ${instance ?? ''}) runs, but ${names.join(', ')} (instance ${instance ?? ''}) runs from the same lab file ${opts.labFile}`, {
        hint: `its lab file was renamed since \`lab up\`: lab down ${names[0] ?? ''} --instance ${instance ?? ''}`,
      });
    }
  }
  return { ...r, perEngine: [], unreachable: [] };
}
