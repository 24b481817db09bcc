// The lab image on an engine: found by its content-addressed tag (src/runtime/lab-image.ts), else built with
// one of two builders, offline (debootstrap + docker import, no registry; image-offline.ts) or from the
// Dockerfile (needs a registry for debian:bookworm-slim; image-dockerfile.ts), one build at a time per
// definition on this machine (build-lock.ts); and old lab images pruned.
import type Docker from 'dockerode';
import { errorMessage } from '../../errors.js';
import { LABEL } from '../labels.js';
import { LAB_IMAGE_REPO, LabImageError, imageDefinitionHash, labImageDir, labImageTag } from '../lab-image.js';
import { acquireBuildLock } from './build-lock.js';
import { buildFromDockerfile } from './image-dockerfile.js';
import { buildOffline, findExecutable, isRoot } from './image-offline.js';

export type LabImageBuilder = 'auto' | 'offline' | 'dockerfile';

export interface EnsureLabImageOptions {
  builder?: LabImageBuilder;
  force?: boolean;
  onProgress?: (line: string) => void;
}

export interface EnsureLabImageResult {
  tag: string;
  built: boolean;
  seconds: number;
}

function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

async function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new LabImageError(
      `cannot ask the Docker engine about image ${ref}: ${errorMessage(err)} (is the engine running? try scripts/ensure-docker.sh)`,
    );
  }
}

function chooseBuilder(builder: LabImageBuilder): 'offline' | 'dockerfile' {
  if (builder !== 'auto') return builder;
  return findExecutable('debootstrap') && isRoot() ? 'offline' : 'dockerfile';
}

/**
 * Makes sure the lab image for the current definition exists, building it if needed.
 * When it exists already (and force is not set) this is one inspect call.
 */
export async function ensureLabImage(docker: Docker, opts: EnsureLabImageOptions = {}): Promise<EnsureLabImageResult> {
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;
  const dir = labImageDir();
  const hash = imageDefinitionHash(dir);
  const tag = `${LAB_IMAGE_REPO}:${hash}`;
  const progress = opts.onProgress ?? ((): void => {});

  const existing = await inspectImage(docker, tag);
  if (existing && !opts.force) return { tag, built: false, seconds: seconds() };

  const builder = chooseBuilder(opts.builder ?? 'auto');
  const lock = await acquireBuildLock(hash, progress);
  try {
    let previousId = existing?.Id;
    if (lock.waited) {
      // Someone else built while we waited: their fresh image serves a forced build as well.
      const now = await inspectImage(docker, tag);
      if (now && (!opts.force || now.Id !== previousId)) return { tag, built: false, seconds: seconds() };
      previousId = now?.Id;
    }
    progress(`building ${tag} with the ${builder} builder`);
    if (builder === 'offline') await buildOffline(docker, dir, hash, progress);
    else await buildFromDockerfile(docker, dir, hash, opts.force === true, progress);
    if (previousId) await removeReplacedImage(docker, previousId, tag);
    progress(`built ${tag} in ${Math.round(seconds())} s`);
    return { tag, built: true, seconds: seconds() };
  } finally {
    await lock.release();
  }
}

/** After a forced rebuild the old image is left without a tag: remove it if nothing uses it. */
async function removeReplacedImage(docker: Docker, previousId: string, tag: string): Promise<void> {
  const now = await inspectImage(docker, tag);
  if (!now || now.Id === previousId) return;
  try {
    const old = await docker.getImage(previousId).inspect();
    if (old.Config?.Labels?.[LABEL.managed] !== 'true' || (old.RepoTags ?? []).length > 0) return;
    await docker.getImage(previousId).remove();
  } catch {
    // in use by a container, or already gone: `lab image prune` can deal with it later
  }
}

export interface RemoveOldLabImagesResult {
  removed: string[];
  kept: { ref: string; reason: string }[];
}

/**
 * Removes toplab-managed lab images other than the current tag: older toplab/lab tags, and
 * managed images left without any tag. Images still used by containers are kept and reported.
 */
export async function removeOldLabImages(docker: Docker): Promise<RemoveOldLabImagesResult> {
  const current = labImageTag();
  const result: RemoveOldLabImagesResult = { removed: [], kept: [] };
  const images = await docker.listImages({ filters: { label: [`${LABEL.managed}=true`] } });
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const refs = tags.length === 0 ? [img.Id] : tags.filter((t) => t.startsWith(`${LAB_IMAGE_REPO}:`) && t !== current);
    for (const ref of refs) {
      try {
        await docker.getImage(ref).remove();
        result.removed.push(ref);
      } catch (err) {
        const reason = statusCode(err) === 409 ? 'in use by a container' : errorMessage(err);
        result.kept.push({ ref, reason });
      }
    }
  }
  return result;
}
