// The toplab lab image's definition (images/lab: Dockerfile, packages.txt, setup.sh) and its content-addressed
// tag. No engine is asked: the Docker builders are in src/runtime/docker/.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../paths.js';

export const LAB_IMAGE_REPO = 'toplab/lab';
export const LABEL_IMAGE_HASH = 'org.toplab.image-hash';

/** The files that define the image; their contents make up the tag. */
export const LAB_IMAGE_FILES = ['Dockerfile', 'packages.txt', 'setup.sh'] as const;

/**
 * Bumped when the offline builder itself changes what it puts in the image (it lives in
 * src/runtime/docker/image-offline.ts, not in images/lab), so that such a change also gives a new tag.
 */
const OFFLINE_RECIPE_VERSION = '1';

/** A failure to build or find the lab image; the message says what failed and what to do. */
export class LabImageError extends Error {
  override name = 'LabImageError';
}

export function labImageDir(): string {
  return join(projectRoot(), 'images', 'lab');
}

/** sha256 over the image definition files (sorted by name, each with its name), first 12 hex. */
export function imageDefinitionHash(dir: string = labImageDir()): string {
  const h = createHash('sha256');
  h.update(`toplab-lab-image recipe ${OFFLINE_RECIPE_VERSION}\0`);
  for (const name of [...LAB_IMAGE_FILES].sort()) {
    let content: Buffer;
    try {
      content = readFileSync(join(dir, name));
    } catch {
      throw new LabImageError(`the lab image definition is incomplete: ${join(dir, name)} cannot be read`);
    }
    h.update(`${name}\0${content.length}\0`);
    h.update(content);
  }
  return h.digest('hex').slice(0, 12);
}

export function labImageTag(dir: string = labImageDir()): string {
  return `${LAB_IMAGE_REPO}:${imageDefinitionHash(dir)}`;
}

/** The package names in packages.txt: one per line, text after '#' ignored (as the Dockerfile's sed does). */
export function readLabPackages(dir: string = labImageDir()): string[] {
  const text = readFileSync(join(dir, 'packages.txt'), 'utf8');
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    for (const word of line.split(/\s+/)) {
      if (!/^[a-z0-9][a-z0-9+.-]+$/.test(word)) {
        throw new LabImageError(`packages.txt: "${word}" is not a Debian package name`);
      }
      names.push(word);
    }
  }
  if (names.length === 0) throw new LabImageError('packages.txt lists no packages');
  return names;
}
