import { UsageError } from '../errors.js';
import type { EngineHealth, EnginePool } from '../engines/pool.js';
import { labImageTag } from '../runtime/lab-image.js';

function poolOf(pool: EnginePool | undefined): EnginePool {
  if (!pool)
    throw new UsageError('no engines file: give --engines FILE or set TOPLAB_ENGINES (see docs/scale.md)', {
      hint: 'without one, toplab uses the local engine alone',
    });
  return pool;
}

/**
 * `lab engines`: each engine of the pool, asked now: up or not (and why), draining, its Docker version, whether
 * it holds `image` (the lab image's tag), its instances and capacity. A UsageError without a pool.
 */
export async function engineHealth(opts: { pool: EnginePool | undefined }): Promise<{ image: string; engines: EngineHealth[] }> {
  const pool = poolOf(opts.pool);
  const image = labImageTag();
  return { image, engines: await pool.probe({ image, version: true }) };
}

/**
 * `lab engines drain|undrain NAME`: stops (`draining: true`) or resumes new placements on one engine of the pool;
 * its instances stay. A UsageError without a pool or without a name (the hint lists the engines).
 */
export async function setDraining(opts: { pool: EnginePool | undefined; name: string | undefined; draining: boolean }): Promise<void> {
  const pool = poolOf(opts.pool);
  if (opts.name === undefined)
    throw new UsageError(`which engine? lab engines ${opts.draining ? 'drain' : 'undrain'} NAME`, {
      hint: `engines: ${pool.engines.map((e) => e.spec.name).join(', ')}`,
    });
  await pool.setDraining(opts.name, opts.draining);
}
