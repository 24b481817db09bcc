import { resolve } from 'node:path';
import { EngineError, UsageError } from '../errors.js';
import { labImageTag } from '../runtime/docker/image.js';
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

function unreachableNote(unreachable: EngineHealth[]): string {
  return unreachable.map((h) => h.error ?? `engine ${h.name} unreachable`).join('; ');
}

/**
 * The engine for an instance about to be brought up or checked: the engine that already holds it, else a new
 * placement (with the lab image made present there). Returns its runtime and the lab image tag.
 */
export async function placeInstance(pool: EnginePool, lab: string, instance: string, onProgress?: (line: string) => void): Promise<{ runtime: EngineRuntime; tag: string }> {
  const tag = labImageTag();
  const found = await pool.locate(lab, instance);
  const holder = found.holders[0];
  if (holder) return { runtime: holder.runtime, tag };
  const health = await pool.probe({ image: tag });
  const engine = await pool.place(tag, { health, ...(onProgress ? { onProgress } : {}) });
  onProgress?.(`placing ${lab} (instance ${instance}) on engine ${engine.spec.name}`);
  if (found.unreachable.length > 0) {
    // The instance may be on an engine that did not answer: say that this makes a second one.
    const names = found.unreachable.map((h) => h.name).join(', ');
    process.stderr.write(
      `warning: ${lab} (instance ${instance}) was not found on the engines that answer, so a new one is placed on ${engine.spec.name}; ` +
        `if it was on ${names} (unreachable), that one is still there: \`lab down ${lab} --instance ${instance}\` when ${names} answers removes both, \`lab status\` shows where each is\n`,
    );
  }
  return { runtime: engine.runtime, tag };
}

/** The engine that holds a running instance; a clear error when none does, naming engines that did not answer. */
export async function holderOf(pool: EnginePool, lab: string, instance: string, hint: string): Promise<EngineRuntime> {
  const found = await pool.locate(lab, instance);
  const holder = found.holders[0];
  if (holder) return holder.runtime;
  if (found.unreachable.length > 0) {
    throw new EngineError(`${lab} (instance ${instance}) is on no engine that answers; it may be on one that does not: ${unreachableNote(found.unreachable)}`, {
      hint: `wait until ${found.unreachable.map((h) => h.name).join(', ')} answers (\`lab engines\`), or \`lab up ${lab} --instance ${instance}\` places a fresh instance on an engine that answers`,
    });
  }
  throw new UsageError(`${lab} (instance ${instance}) is not up on any engine of ${pool.file}`, { hint });
}
