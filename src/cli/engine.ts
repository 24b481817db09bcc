import { EngineError } from '../errors.js';
import { sweep } from '../deploy/sweep.js';
import { connectDocker, ensureLabImage, type DockerRuntime, type LabImageBuilder } from '../docker.js';
import { LabImageError } from '../runtime/lab-image.js';

/** Progress lines for the user, on stderr, so stdout stays the command's result. */
export const progress = (line: string): void => {
  process.stderr.write(`› ${line}\n`);
};

/**
 * The engine (DOCKER_HOST or the local socket), answering, or an EngineError saying so; then the cheap sweep
 * every command does first: orphans whose owner is gone and whose lease has run out are removed.
 */
export async function engine(opts: { sweep?: boolean } = {}): Promise<DockerRuntime> {
  const runtime = await connectDocker();
  await runtime.ping();
  if (opts.sweep !== false) {
    const gone = await sweep(runtime).catch((e: unknown) => {
      if (e instanceof EngineError) throw e;
      return [];
    });
    for (const o of gone) progress(`removed an orphaned instance ${o.lab}/${o.instance} (${o.reason})`);
  }
  return runtime;
}

/** The lab image's tag, built first when missing (with progress). */
export async function image(runtime: DockerRuntime, opts: { builder?: LabImageBuilder; force?: boolean } = {}): Promise<string> {
  try {
    const r = await ensureLabImage(runtime.docker, { ...opts, onProgress: progress });
    if (r.built) progress(`built the lab image ${r.tag} in ${r.seconds.toFixed(0)}s`);
    return r.tag;
  } catch (e) {
    if (e instanceof LabImageError) throw new EngineError(e.message, { cause: e });
    throw e;
  }
}
