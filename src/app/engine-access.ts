import { UsageError } from '../errors.js';
import type { EnginePool } from '../engines/pool.js';
import { holderOf, placeInstance } from '../engines/use.js';
import { DEFAULT_INSTANCE, INSTANCE_PATTERN, subnetPools } from '../plan/plan.js';
import type { Runtime } from '../runtime/runtime.js';

/**
 * Where a use case finds its engine: an engine pool (an engines file: `--engines` or TOPLAB_ENGINES), or else
 * the local engine (DOCKER_HOST or /var/run/docker.sock). The caller builds it (the CLI from src/docker.ts);
 * a test gives an in-memory engine.
 */
export interface EngineAccess {
  /** The pool of the engines file, when one is given; then the local engine is not used. */
  pool?: EnginePool | undefined;
  /** The local engine, answering; swept of expired orphans first unless `sweep: false`. */
  connect(opts?: { sweep?: boolean }): Promise<Runtime>;
  /** The local engine and the lab image's tag there (built first when missing). */
  connectWithImage(): Promise<{ runtime: Runtime; tag: string }>;
  /** Hears what the user should know about a placement on the pool (a possible second copy of an instance). */
  onWarning?: (line: string) => void;
}

/**
 * The engine for an instance to bring up or check, and the lab image tag there: with a pool, the engine that
 * holds the instance or a new placement; without one, the local engine.
 */
export async function engineForInstance(
  engines: EngineAccess,
  lab: string,
  instance: string,
  onProgress?: (line: string) => void,
): Promise<{ runtime: Runtime; tag: string }> {
  if (engines.pool) return placeInstance(engines.pool, lab, instance, onProgress, engines.onWarning);
  return engines.connectWithImage();
}

/** The engine that holds a running instance (with a pool: a UsageError with `hint` when none does); without one, the local engine. */
export async function engineHolding(
  engines: EngineAccess,
  lab: string,
  instance: string,
  hint: string,
  onProgress?: (line: string) => void,
): Promise<Runtime> {
  return engines.pool ? holderOf(engines.pool, lab, instance, hint, onProgress) : engines.connect();
}

/** An instance name as typed (undefined: the default instance), or a UsageError saying what a name may be. */
export function instanceName(v: string | undefined): string {
  const instance = v ?? DEFAULT_INSTANCE;
  if (!INSTANCE_PATTERN.test(instance))
    throw new UsageError(`'${instance}' is not a valid instance name: use lower-case letters, digits and hyphens (at most 32)`);
  return instance;
}

/**
 * The subnet pools of a run: `flag` (--subnet-pool) when given, else TOPLAB_SUBNET_POOL and TOPLAB_SUBNET_POOL6
 * of `env`, else the defaults. A UsageError when a pool is not a usable range.
 */
export function subnetPoolsOf(flag: string | undefined, env: Record<string, string | undefined>): { pool: string; pool6: string } {
  return subnetPools(flag === undefined ? env : { ...env, TOPLAB_SUBNET_POOL: flag });
}

/** `lab up LAB` (with ` --instance NAME` unless the default), as the user can paste it in a hint. */
export function upCommand(lab: string, instance: string): string {
  return `lab up ${lab}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}`;
}
