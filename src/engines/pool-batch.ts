import { errorMessage, UsageError } from '../errors.js';
import { gradeBatch, type BatchResult } from '../grade/batch.js';
import type { Lab } from '../lab/model.js';
import type { Format } from '../report/formats.js';
import { labImageTag } from '../runtime/lab-image.js';
import type { GradeResult } from '../report/result.js';
import type { Runtime } from '../runtime/runtime.js';
import type { EnginePool, PoolEngine } from './pool.js';

/** How often a batch pings each engine, and how many missed pings in a row make it lost. */
export const WATCH_INTERVAL_MS = 1000;
export const WATCH_TIMEOUT_MS = 3000;
export const WATCH_MISSES = 3;
/** How many times one submission is started on engines that then failed to answer, before it is left as `error`. */
export const MAX_ATTEMPTS = 3;

export type GradeOn = (student: string, index: number, runtime: Runtime, image: string) => Promise<GradeResult>;

export interface PoolBatchReport {
  /** Engines that took part, with the slots (submissions at once) each was given. */
  engines: { name: string; slots: number; graded: number }[];
  /** Engines lost during the batch, and why. */
  lost: { engine: string; reason: string; atMs: number }[];
  /** Submissions whose grading was cut off by a lost engine and started again elsewhere. */
  requeued: { student: string; from: string; reason: string }[];
  /** Student → the engine that graded it. */
  placements: Record<string, string>;
}

/**
 * Grades submissions over every engine of the pool that answers, takes new instances and holds (or is given)
 * the lab image: each engine runs as many at once as its free capacity (at most `perEngine` when set).
 * Each engine is pinged every second; one that misses three pings in a row (3 s each) is declared lost: its submissions in
 * flight are abandoned (their results, whatever they were, are not kept: a lost engine says nothing about a
 * student) and go back in the queue for the other engines. A result is kept only when its engine answered
 * every ping while the job ran and answers one more after it; otherwise the submission is graded again
 * (at most MAX_ATTEMPTS starts in all). Submissions left when every engine is lost get
 * no result (undefined): the caller reports them as `error`, never `failed`.
 */
export async function gradeOverPool(
  pool: EnginePool,
  image: string,
  students: string[],
  grade: GradeOn,
  done: (index: number, r: GradeResult) => void,
  opts: { perEngine?: number; onProgress?: (line: string) => void } = {},
): Promise<{ results: (GradeResult | undefined)[]; report: PoolBatchReport }> {
  const started = Date.now();
  const say = opts.onProgress ?? ((): void => undefined);
  const report: PoolBatchReport = { engines: [], lost: [], requeued: [], placements: {} };
  const health = await pool.probe({ image });
  pool.loseDown(health);
  for (const h of health) if (!h.up) report.lost.push({ engine: h.name, reason: h.error ?? 'no answer', atMs: 0 });
  const usable: { engine: PoolEngine; slots: number }[] = [];
  for (const h of health) {
    if (!h.up || h.draining) continue;
    const free = Math.max(0, h.capacity - h.instances);
    const slots = Math.min(free, opts.perEngine ?? free);
    if (slots === 0) continue;
    const engine = pool.engine(h.name);
    try {
      await pool.ensureImage(engine, image, health, say);
      usable.push({ engine, slots });
    } catch (e) {
      say(`engine ${h.name} left out of this batch: ${errorMessage(e)}`);
    }
  }
  for (const u of usable) report.engines.push({ name: u.engine.spec.name, slots: u.slots, graded: 0 });
  say(
    `grading ${students.length} submission(s) over ${usable.length} engine(s): ${usable.map((u) => `${u.engine.spec.name} ×${u.slots}`).join(', ') || 'none'}`,
  );

  const results: (GradeResult | undefined)[] = new Array<GradeResult | undefined>(students.length).fill(undefined);
  const queue = students.map((_, i) => i);
  let inFlight = 0;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((r) => (wake = r));
  const notify = (): void => {
    wake();
    changed = new Promise<void>((r) => (wake = r));
  };

  // The watch: every engine in use pinged each second; WATCH_MISSES misses in a row and it is lost.
  // `missedTotal` counts every miss ever: a job during which the engine missed a ping is not trusted.
  const misses = new Map<string, number>();
  const missedTotal = new Map<string, number>();
  const pinging = new Set<string>();
  const ping = (engine: PoolEngine): Promise<boolean> => {
    const name = engine.spec.name;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`no answer to a ping within ${WATCH_TIMEOUT_MS / 1000}s`)), WATCH_TIMEOUT_MS)),
    );
    return Promise.race([engine.docker.ping(), timeout])
      .then(() => {
        misses.set(name, 0);
        return true;
      })
      .catch((e: unknown) => {
        const n = (misses.get(name) ?? 0) + 1;
        misses.set(name, n);
        missedTotal.set(name, (missedTotal.get(name) ?? 0) + 1);
        if (n >= WATCH_MISSES && !engine.runtime.lost) {
          const reason = `${n} pings in a row unanswered (${errorMessage(e)})`;
          report.lost.push({ engine: name, reason, atMs: Date.now() - started });
          say(`engine ${name} unreachable: ${reason}; its submissions in flight go to the other engines`);
          engine.runtime.lose(reason);
        }
        notify();
        return false;
      })
      .finally(() => clearTimeout(timer));
  };
  const watch = setInterval(() => {
    for (const { engine } of usable) {
      const name = engine.spec.name;
      if (engine.runtime.lost || pinging.has(name)) continue;
      pinging.add(name);
      void ping(engine).finally(() => pinging.delete(name));
    }
  }, WATCH_INTERVAL_MS);

  const attempts = new Map<number, number>();
  const worker = async (u: { engine: PoolEngine }): Promise<void> => {
    const name = u.engine.spec.name;
    for (;;) {
      if (u.engine.runtime.lost) return;
      const i = queue.shift();
      if (i === undefined) {
        if (inFlight === 0) return;
        // Work may come back from an engine that is lost: wait for any change.
        await changed;
        continue;
      }
      const student = students[i] as string;
      attempts.set(i, (attempts.get(i) ?? 0) + 1);
      inFlight++;
      const missedBefore = missedTotal.get(name) ?? 0;
      let r: GradeResult | undefined;
      try {
        // A job on an engine that is lost is abandoned at once, whatever it was waiting for.
        r = await Promise.race([grade(student, i, u.engine.runtime, image), u.engine.runtime.whenLost()]);
      } catch (e) {
        r = undefined;
        if (!u.engine.runtime.lost) say(`${student} on ${name}: ${errorMessage(e)}`);
      }
      // Trusted only if the engine answered every ping while the job ran, and answers one now: an engine that
      // hung for a while makes programs look slow or silent, which says nothing about the student.
      const steady = !u.engine.runtime.lost && (await ping(u.engine)) && (missedTotal.get(name) ?? 0) === missedBefore;
      inFlight--;
      const lost = u.engine.runtime.lost as Error | undefined;
      if (r === undefined && lost === undefined) {
        // Not the engine: the caller reports it as `error` (the tool failed), never against the student.
        notify();
        continue;
      }
      if (lost !== undefined || !steady) {
        const reason = lost?.message ?? `engine ${name} missed a ping while grading it`;
        if ((attempts.get(i) ?? 0) >= MAX_ATTEMPTS) {
          // Left without a result: reported as `error`, never as the student's failure.
          say(`${student}: not graded after ${MAX_ATTEMPTS} attempts on engines that did not answer steadily`);
        } else {
          queue.push(i);
          report.requeued.push({ student, from: name, reason });
          say(`${student}: ${reason}; it goes back in the queue`);
        }
        notify();
        if (lost !== undefined) return;
        continue;
      }
      if (r === undefined) continue;
      results[i] = r;
      report.placements[student] = name;
      const row = report.engines.find((x) => x.name === name);
      if (row) row.graded++;
      done(i, r);
      notify();
    }
  };
  try {
    await Promise.all(usable.flatMap((u) => Array.from({ length: u.slots }, () => worker(u))));
  } finally {
    clearInterval(watch);
  }
  return { results, report };
}

/**
 * `lab grade LAB --submissions DIR` over an engine pool: gradeBatch with gradeOverPool as its runner, the pool's
 * report in summary.json under `engines`. Returns the batch (per-submission rows and results, the summaries)
 * and the pool's report (engines used, lost, submissions graded again elsewhere); prints nothing.
 */
export async function gradeBatchOverPool(
  lab: Lab,
  pool: EnginePool,
  opts: {
    submissions: string;
    outDir: string;
    format: Format;
    perEngine?: number;
    onProgress: (line: string) => void;
    signal?: AbortSignal;
  },
): Promise<{ batch: BatchResult; report: PoolBatchReport | undefined }> {
  const tag = labImageTag();
  const first = pool.engines[0];
  if (!first) throw new UsageError(`${pool.file} lists no engine`);
  opts.onProgress(`grading ${opts.submissions} over the engines of ${pool.file}; reports in ${opts.outDir}`);
  let report: PoolBatchReport | undefined;
  const batch = await gradeBatch(lab, {
    runtime: first.runtime,
    image: tag,
    submissions: opts.submissions,
    outDir: opts.outDir,
    parallel: 1,
    format: opts.format,
    onProgress: opts.onProgress,
    ...(opts.signal ? { signal: opts.signal } : {}),
    runner: async (students, gradeOne, done) => {
      const x = await gradeOverPool(pool, tag, students, gradeOne, done, {
        ...(opts.perEngine !== undefined ? { perEngine: opts.perEngine } : {}),
        onProgress: opts.onProgress,
      });
      report = x.report;
      return { results: x.results, summary: { engines: x.report } };
    },
  });
  return { batch, report };
}
