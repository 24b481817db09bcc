import { listInstance, removeInstance } from '../deploy/down.js';
import { sweep, type Orphan } from '../deploy/sweep.js';
import { removeStaleLocks, sweepPool } from '../engines/use.js';
import { readLabName, resolveLabFile } from '../lab/load.js';
import { lockFilter, lockIsLive, refuseIfLive } from '../deploy/lock.js';
import { runLockFilter } from '../deploy/run-lock.js';
import { UsageError } from '../errors.js';
import { LABEL } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';
import type { EngineAccess } from './engine-access.js';

/** What `lab down` removed on one engine. */
export interface DownReport {
  containers: number;
  networks: number;
}

/**
 * Removes an instance of a lab (`lab` and `instance`), or every toplab lab (both undefined), from one engine,
 * found by toplab's labels alone, and creation locks left by commands that are gone. Refuses
 * (InstanceBusyError) while another command creates the instance. When nothing was found and the lab's file
 * (`labFile`) made an instance under another name (its `name:` was edited since `up`), throws a UsageError
 * naming it. (An engine pool: takeDown.)
 */
export async function downLab(opts: {
  runtime: Runtime;
  lab?: string | undefined;
  instance?: string | undefined;
  labFile?: string | undefined;
}): Promise<DownReport> {
  const { lab, instance, runtime } = opts;
  // The creation locks, the instance's containers and networks and its run lock are asked together (one round
  // trip); nothing is removed unless no live command is creating the instance.
  const [locks, listed, runLocks] = await Promise.all([
    runtime.listContainers(lockFilter(lab, instance)),
    listInstance(runtime, lab, instance),
    lab !== undefined && instance !== undefined ? runtime.listContainers(runLockFilter(lab, instance)) : Promise.resolve([]),
  ]);
  if (lab !== undefined && instance !== undefined) refuseIfLive(locks, lab, instance);
  // A creation lock left by a command that is gone goes too, alongside; one whose owner still runs stays (it is creating).
  const staleLocks = locks.filter((l) => !lockIsLive(l.labels, new Date()));
  const [r] = await Promise.all([
    removeInstance(runtime, lab, instance, { ...listed, runLocks }),
    runtime.removeContainers(staleLocks.map((l) => l.id)),
  ]);
  if (r.containers === 0 && r.networks === 0 && lab !== undefined && opts.labFile !== undefined) {
    // Made from this lab file under a name it no longer has (the file's `name:` was edited since `up`)?
    const other = (
      await runtime.listContainers([`${LABEL.managed}=true`, `${LABEL.labFile}=${opts.labFile}`, `${LABEL.instance}=${instance ?? ''}`])
    ).map((c) => c.labels[LABEL.lab]);
    const names = [...new Set(other.filter((x): x is string => x !== undefined && x !== lab))];
    if (names.length > 0) {
      throw new UsageError(
        `nothing of ${lab} (instance ${instance ?? ''}) runs, but ${names.join(', ')} (instance ${instance ?? ''}) runs from the same lab file ${opts.labFile}`,
        {
          hint: `its lab file was renamed since \`lab up\`: lab down ${names[0] ?? ''} --instance ${instance ?? ''}`,
        },
      );
    }
  }
  return { containers: r.containers, networks: r.networks };
}

/**
 * A lab's name from what a user typed, the way `up` named it: the `name:` of the lab file the reference leads
 * to (a name, a folder or a lab.yaml path). Only when no lab file can be read, the last part of the path.
 */
export function labNameOf(ref: string): string {
  let name: string | undefined;
  try {
    // The name alone, unvalidated: a file edited since `up` still names its instance (and the validator stays unloaded).
    name = readLabName(resolveLabFile(ref));
  } catch {
    name = undefined;
  }
  return (
    name ??
    ref
      .replace(/\/+$/, '')
      .split('/')
      .filter((seg) => seg !== 'lab.yaml' && seg !== '')
      .pop() ??
    ref
  );
}

function labFileOf(ref: string): string | undefined {
  try {
    return resolveLabFile(ref);
  } catch {
    return undefined;
  }
}

export interface TakeDownOptions {
  /** The lab as typed (a name, a folder or a lab.yaml path); undefined: every toplab lab. */
  lab?: string | undefined;
  /** The instance (checked: see instanceName); undefined with every lab. */
  instance?: string | undefined;
  engines: EngineAccess;
}

/** What `lab down` removed. */
export interface TakeDownReport {
  /** What was asked for, for a person: `every toplab lab` or `LAB (instance NAME)`. */
  what: string;
  /** Containers and networks removed, on every engine together. */
  removed: DownReport;
  /** With a pool: what each engine that held some of it removed. */
  engines: (DownReport & { engine: string })[];
  /** With a pool: engines that did not answer (anything there is left). */
  unreachable: { engine: string; error: string }[];
  /** From the call to the end, in seconds. */
  seconds: number;
}

/**
 * `lab down`: removes an instance of a lab (`lab` and `instance`), or every toplab lab (both undefined), from
 * the local engine or from every engine of the pool that holds any of it, with the creation locks of commands
 * that are gone. An engine of the pool that does not answer keeps its part: it is in `unreachable`.
 * Throws as downLab does.
 */
export async function takeDown(opts: TakeDownOptions): Promise<TakeDownReport> {
  const started = Date.now();
  const labName = opts.lab === undefined ? undefined : labNameOf(opts.lab);
  const instance = opts.lab === undefined ? undefined : opts.instance;
  const what = labName === undefined ? 'every toplab lab' : `${labName} (instance ${instance ?? ''})`;
  const pool = opts.engines.pool;
  if (!pool) {
    const labFile = opts.lab === undefined ? undefined : labFileOf(opts.lab);
    const removed = await downLab({ runtime: await opts.engines.connect(), lab: labName, instance, labFile });
    return { what, removed, engines: [], unreachable: [], seconds: (Date.now() - started) / 1000 };
  }
  // Every engine that holds any of it; an engine that does not answer keeps its part, and says so.
  const found = await pool.locate(labName, instance);
  const each = await Promise.all(
    found.holders.map(async (e) => ({ engine: e.spec.name, ...(await downLab({ runtime: e.runtime, lab: labName, instance })) })),
  );
  // As on the local engine: creation locks left by commands that are gone go too, on every engine that answers.
  await Promise.all(pool.engines.filter((e) => !e.runtime.lost).map((e) => removeStaleLocks(e.runtime, labName, instance)));
  return {
    what,
    removed: { containers: each.reduce((n, x) => n + x.containers, 0), networks: each.reduce((n, x) => n + x.networks, 0) },
    engines: each,
    unreachable: found.unreachable.map((h) => ({ engine: h.name, error: h.error ?? `engine ${h.name} unreachable` })),
    seconds: (Date.now() - started) / 1000,
  };
}

/** What `lab prune` removed: each orphan (with its engine, over a pool), and the engines it could not clean. */
export interface PruneReport {
  removed: (Orphan & { engine?: string })[];
  /** Engines of the pool that did not answer: their orphans are left. */
  unreachable: string[];
  /** Engines of the pool where the sweep failed, and why. */
  failed: { engine: string; error: string }[];
}

/**
 * `lab prune` and `lab down --orphans`: removes what crashed or killed commands left, never a live owner's
 * lab, on the local engine or on every engine of the pool that answers.
 */
export async function pruneOrphans(opts: { engines: EngineAccess }): Promise<PruneReport> {
  const pool = opts.engines.pool;
  if (pool) {
    pool.loseDown(await pool.probe());
    const r = await sweepPool(pool, { all: true });
    return { removed: r.removed, unreachable: r.unreachable, failed: r.failed };
  }
  const runtime = await opts.engines.connect({ sweep: false });
  return { removed: await sweep(runtime, { all: true }), unreachable: [], failed: [] };
}
