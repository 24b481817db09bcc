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
  await pingAlongside(runtime, opts.sweep !== false ? [sweepNow(runtime)] : []);
  return runtime;
}

/**
 * `engine()` and the lab image's tag (`image`), for the commands that create: the ping, the sweep's lists and
 * the image's inspection go to the engine together (one round trip before the first creation, not three).
 */
export async function engineAndImage(): Promise<{ runtime: DockerRuntime; tag: string }> {
  const runtime = await connectDocker();
  const [, tag] = await pingAlongside(runtime, [sweepNow(runtime), image(runtime)] as const);
  return { runtime, tag };
}

/**
 * Waits for the ping and, at the same moment, for `alongside`. When the engine does not answer, the ping's
 * error (it names the engine and says how to start one) is the one thrown, whatever the others ran into.
 */
async function pingAlongside<T extends readonly Promise<unknown>[]>(
  runtime: DockerRuntime,
  alongside: T,
): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const rest = Promise.all(alongside);
  rest.catch(() => undefined); // awaited below, once the ping has answered
  await runtime.ping();
  return (await rest) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

async function sweepNow(runtime: DockerRuntime): Promise<void> {
  const gone = await sweep(runtime).catch((e: unknown) => {
    if (e instanceof EngineError) throw e;
    return [];
  });
  for (const o of gone) progress(`removed an orphaned instance ${o.lab}/${o.instance} (${o.reason})`);
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
