import { execFileSync } from 'node:child_process';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { ensureLabImage } from '../../src/runtime/docker/image.js';
import { ROOT } from '../helpers/cli.js';

/** Docker-backed tests need a running engine, the lab image and the built CLI. */
export default async function setup(): Promise<void> {
  const runtime = await DockerRuntime.connect();
  await runtime.ping();
  await ensureLabImage(runtime.docker, { onProgress: (l) => process.stderr.write(`[image] ${l}\n`) });
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
}
