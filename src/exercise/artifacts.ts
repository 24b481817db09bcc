import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Creates the artifacts folder of one run and returns its path: `wanted` when no folder of that name exists
 * yet, else `wanted-2`, `wanted-3`, … The leaf is created with a plain mkdir, which fails when it exists: two
 * runs asking for the same folder at once (two grades of submissions whose folders share a last name, in the
 * same second) get two folders, and a run never writes among an earlier run's files.
 * Throws what mkdir throws for anything but an existing folder (no permission, a file in the way).
 */
export function claimRunFolder(wanted: string): string {
  mkdirSync(dirname(wanted), { recursive: true });
  for (let i = 1; ; i++) {
    const path = i === 1 ? wanted : `${wanted}-${i}`;
    try {
      mkdirSync(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}
