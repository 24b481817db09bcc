// One lab image build per definition hash at a time on this machine: a lock file holding the builder's pid,
// taken over when that process is gone.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { LabImageError } from '../lab-image.js';

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_WAIT_MS = 20 * 60_000;
const LOCK_POLL_MS = 1000;

export interface BuildLock {
  waited: boolean;
  release(): Promise<void>;
}

export function buildLockPath(hash: string): string {
  return join(tmpdir(), `toplab-image-${hash}.lock`);
}

export async function acquireBuildLock(hash: string, out: (line: string) => void, timeoutMs = LOCK_WAIT_MS): Promise<BuildLock> {
  const path = buildLockPath(hash);
  const started = Date.now();
  let waited = false;
  let lastNote = 0;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return {
        waited,
        release: async () => {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LabImageError(`cannot create the build lock ${path}: ${errorMessage(err)}`);
      }
    }
    // The lock exists: is its owner still alive?
    let owner = NaN;
    try {
      owner = Number((await readFile(path, 'utf8')).trim());
    } catch {
      continue; // removed meanwhile: try again
    }
    if (!Number.isNaN(owner) && owner > 0 && !pidAlive(owner)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Number.isNaN(owner) || owner <= 0) {
      // Being written right now, or garbage: treat an old unreadable lock as stale.
      const age = await stat(path).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 60_000) {
        await unlink(path).catch(() => undefined);
        continue;
      }
    }
    waited = true;
    const waitedMs = Date.now() - started;
    if (waitedMs > timeoutMs) {
      throw new LabImageError(
        `another toplab process (pid ${owner}) has been building the lab image for over ${Math.round(timeoutMs / 60_000)} min; ` +
          `if it is stuck, stop it or remove ${path}`,
      );
    }
    if (Date.now() - lastNote >= 5000) {
      lastNote = Date.now();
      out(`another toplab process (pid ${owner}) is building the lab image; waiting (${Math.round(waitedMs / 1000)} s)`);
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}
