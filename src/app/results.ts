import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** How many runs of a lab `results/<lab>/` keeps when TOPLAB_KEEP_RESULTS is not set. */
export const DEFAULT_KEEP_RESULTS = 20;

/** TOPLAB_KEEP_RESULTS of `env` when it is a whole number of at least 1, else DEFAULT_KEEP_RESULTS. */
export function keepResults(env: Record<string, string | undefined>): number {
  const n = Number(env.TOPLAB_KEEP_RESULTS);
  return Number.isInteger(n) && n >= 1 ? n : DEFAULT_KEEP_RESULTS;
}

/**
 * A new run's folder, `<base>/<lab>/<name>-<UTC time to the second>` (`base`, resolved against the current
 * folder, defaults to `results`); not created. The lab's oldest run folders beyond the newest `keep - 1` are
 * removed first, so with the new one `keep` remain and results/ does not grow without end.
 */
export function resultsDir(base: string | undefined, lab: string, name: string, keep: number, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  const labDir = resolve(base ?? 'results', lab);
  pruneRuns(labDir, keep - 1);
  return join(labDir, `${name}-${stamp}`);
}

/** Removes all but the `keep` newest run folders (by modification time) in `labDir`; returns how many went. */
export function pruneRuns(labDir: string, keep: number): number {
  let runs: { path: string; mtime: number }[];
  try {
    runs = readdirSync(labDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => ({ path: join(labDir, d.name), mtime: statSync(join(labDir, d.name)).mtimeMs }));
  } catch {
    return 0;
  }
  runs.sort((a, b) => b.mtime - a.mtime || b.path.localeCompare(a.path));
  const old = runs.slice(Math.max(0, keep));
  for (const r of old) rmSync(r.path, { recursive: true, force: true });
  return old.length;
}
