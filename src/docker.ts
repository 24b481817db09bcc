/**
 * The composition root of the engine: the one module that imports toplab's Docker implementation
 * (src/runtime/docker/). Commands, the workshop server and the engine pool get their engine, and the lab image
 * on it, from here; everything else works on the `Runtime` interface (src/runtime/runtime.ts). The layer lint
 * (.dependency-cruiser.cjs) holds this.
 */
import type Docker from 'dockerode';
import { DockerRuntime } from './runtime/docker/docker-runtime.js';
import { loadDockerode } from './runtime/docker/load-dockerode.js';

export type { DockerRuntime } from './runtime/docker/docker-runtime.js';
export { ensureLabImage, removeOldLabImages, type EnsureLabImageResult, type LabImageBuilder } from './runtime/docker/image.js';

/** The engine at DOCKER_HOST or the default socket (not contacted yet: `ping()` it). dockerode loads now, not at start-up. */
export function connectDocker(): Promise<DockerRuntime> {
  return DockerRuntime.connect();
}

/** dockerode's client class (loaded without what toplab never uses at start-up), for clients of other engines. */
export function dockerClientClass(): new (opts?: Record<string, unknown>) => Docker {
  return loadDockerode() as unknown as new (opts?: Record<string, unknown>) => Docker;
}

/** The Runtime over one dockerode client (an engine of a pool). */
export function dockerRuntime(docker: Docker): DockerRuntime {
  return new DockerRuntime(docker);
}
