import { EngineError } from '../errors.js';
import { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import { ensureLabImage, LabImageError, type LabImageBuilder } from '../runtime/docker/image.js';

/** Progress lines for the user, on stderr, so stdout stays the command's result. */
export const progress = (line: string): void => {
  process.stderr.write(`› ${line}\n`);
};

/** The engine (DOCKER_HOST or the local socket), answering, or an EngineError saying so. */
export async function engine(): Promise<DockerRuntime> {
  const runtime = await DockerRuntime.connect();
  await runtime.ping();
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

