import { resolve } from 'node:path';
import { EngineError, errorMessage, UsageError } from '../errors.js';
import { lockFilter, lockIsLive } from '../deploy/lock.js';
import { listOrphans, sweep, type Orphan, type SweepContext } from '../deploy/sweep.js';
import { labImageTag } from '../runtime/lab-image.js';
import type { EngineRuntime } from './engine-runtime.js';
import { loadEnginesFile } from './engines-file.js';
import { EnginePool, type EngineHealth } from './pool.js';

let cached: { path: string; pool: EnginePool } | undefined;

/**
 * The engine pool of an engines file (`--engines FILE`, whose default is TOPLAB_ENGINES: the CLI passes
 * either), or undefined when none is given: then toplab uses the local engine (DOCKER_HOST or
 * /var/run/docker.sock) exactly as without a pool.
 */
export function enginePool(file: string | undefined): EnginePool | undefined {
  const path = file === undefined || file === '' ? undefined : resolve(file);
  if (path === undefined) return undefined;
  if (cached?.path !== path) cached = { path, pool: new EnginePool(loadEnginesFile(path)) };
  return cached.pool;
}

/**
 * The sweep of src/deploy/sweep.ts on every engine of the pool that answers (those a probe found down are
 * skipped): with `all`, every orphan (`lab prune`); else those whose owner is gone and whose lease ran out (what
 * every command does first, as on the local engine). A failure on one engine does not stop the others: it is in
 * `failed`. Engines declared lost are in `unreachable`.
 */
export async function sweepPool(
  pool: EnginePool,
  opts: SweepContext & { all?: boolean } = {},
): Promise<{ removed: (Orphan & { engine: string })[]; failed: { engine: string; error: string }[]; unreachable: string[] }> {
  const removed: (Orphan & { engine: string })[] = [];
  const failed: { engine: string; error: string }[] = [];
  const unreachable: string[] = [];
  await Promise.all(
    pool.engines.map(async (e) => {
      if (e.runtime.lost) {
        unreachable.push(
          e.runtime.lostReason !== undefined && e.runtime.lostReason.startsWith(`engine ${e.spec.name} `)
            ? e.runtime.lostReason
            : e.runtime.lost.message,
        );
        return;
      }
      try {
        for (const o of await sweep(e.runtime, opts)) removed.push({ ...o, engine: e.spec.name });
      } catch (err) {
        failed.push({ engine: e.spec.name, error: errorMessage(err) });
      }
    }),
  );
  return { removed, failed, unreachable };
}

/** The orphans on each engine that answers, by engine (for `lab status`). */
export async function poolOrphans(pool: EnginePool): Promise<Map<string, Orphan[]>> {
  const out = new Map<string, Orphan[]>();
  await Promise.all(pool.engines.filter((e) => !e.runtime.lost).map(async (e) => out.set(e.spec.name, await listOrphans(e.runtime))));
  return out;
}

/** Creation locks on an engine whose owner is gone (a killed `lab up`): `lab down` removes them with the instance. */
export async function removeStaleLocks(runtime: EngineRuntime, lab?: string, instance?: string): Promise<number> {
  const stale = (await runtime.listContainers(lockFilter(lab, instance))).filter((l) => !lockIsLive(l.labels, new Date()));
  await runtime.removeContainers(stale.map((l) => l.id));
  return stale.length;
}

/** The cheap sweep before a command's work on the pool, its removals said as progress; it never stops the command. */
async function sweepFirst(pool: EnginePool, onProgress?: (line: string) => void): Promise<void> {
  const r = await sweepPool(pool).catch(() => undefined);
  for (const o of r?.removed ?? []) onProgress?.(`removed an orphaned instance ${o.lab}/${o.instance} on engine ${o.engine} (${o.reason})`);
}

function unreachableNote(unreachable: EngineHealth[]): string {
  return unreachable.map((h) => h.error ?? `engine ${h.name} unreachable`).join('; ');
}

/**
 * The engine for an instance about to be brought up or checked: the engine that already holds it, else a new
 * placement (with the lab image made present there). Returns its runtime and the lab image tag. `onWarning`
 * hears that a new placement may make a second copy (the instance may be on an engine that did not answer).
 */
export async function placeInstance(
  pool: EnginePool,
  lab: string,
  instance: string,
  onProgress?: (line: string) => void,
  onWarning?: (line: string) => void,
): Promise<{ runtime: EngineRuntime; tag: string }> {
  const tag = labImageTag();
  const found = await pool.locate(lab, instance);
  await sweepFirst(pool, onProgress);
  const holder = found.holders[0];
  if (holder) return { runtime: holder.runtime, tag };
  const health = await pool.probe({ image: tag });
  const engine = await pool.place(tag, { health, ...(onProgress ? { onProgress } : {}) });
  onProgress?.(`placing ${lab} (instance ${instance}) on engine ${engine.spec.name}`);
  if (found.unreachable.length > 0) {
    // The instance may be on an engine that did not answer: say that this makes a second one.
    const names = found.unreachable.map((h) => h.name).join(', ');
    onWarning?.(
      `${lab} (instance ${instance}) was not found on the engines that answer, so a new one is placed on ${engine.spec.name}; ` +
        `if it was on ${names} (unreachable), that one is still there: \`lab down ${lab} --instance ${instance}\` when ${names} answers removes both, \`lab status\` shows where each is`,
    );
  }
  return { runtime: engine.runtime, tag };
}

/** The engine that holds a running instance; a clear error when none does, naming engines that did not answer. */
export async function holderOf(
  pool: EnginePool,
  lab: string,
  instance: string,
  hint: string,
  onProgress?: (line: string) => void,
): Promise<EngineRuntime> {
  const found = await pool.locate(lab, instance);
  await sweepFirst(pool, onProgress);
  const holder = found.holders[0];
  if (holder) return holder.runtime;
  if (found.unreachable.length > 0) {
    throw new EngineError(
      `${lab} (instance ${instance}) is on no engine that answers; it may be on one that does not: ${unreachableNote(found.unreachable)}`,
      {
        hint: `wait until ${found.unreachable.map((h) => h.name).join(', ')} answers (\`lab engines\`), or \`lab up ${lab} --instance ${instance}\` places a fresh instance on an engine that answers`,
      },
    );
  }
  throw new UsageError(`${lab} (instance ${instance}) is not up on any engine of ${pool.file}`, { hint });
}
