import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { defaultBatchParallel, gradeBatch, type BatchResult } from '../grade/batch.js';
import { gradeInstanceName, gradeSubmission } from '../grade/session.js';
import type { PoolBatchReport } from '../engines/pool-batch.js';
import { gradeBatchOverPool } from '../engines/pool-batch.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import type { Format } from '../report/formats.js';
import type { GradeResult } from '../report/result.js';
import { isUsersMistake, toolErrorResult } from './check.js';
import { engineForInstance, type EngineAccess } from './engine-access.js';
import { resultsDir } from './results.js';

interface GradeCommon {
  /** The lab: a name under labs/, a folder or a lab.yaml path, or a lab already loaded. */
  lab: string | Lab;
  engines: EngineAccess;
  subnetPools: { pool: string; pool6: string };
  /** How many runs of the lab results/ keeps (see keepResults). */
  keepResults: number;
  onProgress?: (line: string) => void;
  /** Stops the grading: what it created is removed; a submission it cut short is `error`, never `failed`. */
  signal?: AbortSignal;
}

export interface GradeOneOptions extends GradeCommon {
  /** The student's folder (or single file). */
  submission: string;
  /** The fresh instance's name (default: a new `grade-…` name). */
  instance?: string | undefined;
  /** The folder of results/<lab>/<run>/ (default ./results). */
  results?: string | undefined;
  /** Draw each capture's exchanges as ladders in the result. */
  ladder?: boolean;
}

/**
 * `lab grade --submission`: grades one submission on a fresh instance, removed after, its artifacts in a new
 * run folder `results/<lab>/grade-<name>-<time>/`. A failure of the tool or an interruption is a result with
 * status `error` (so a report is still written); a UsageError or LabValidationError is thrown.
 */
export async function gradeOne(opts: GradeOneOptions): Promise<GradeResult> {
  const lab = typeof opts.lab === 'string' ? loadLab(opts.lab) : opts.lab;
  const startedAt = new Date();
  const name = opts.submission.replace(/\/+$/, '').split('/').pop() ?? 'submission';
  const artifactsDir = resultsDir(opts.results, lab.name, `grade-${name}`, opts.keepResults);
  const say = opts.onProgress ?? ((): void => undefined);
  try {
    // A named instance lets a test or script remove it whatever happens to this process.
    const instance = opts.instance ?? gradeInstanceName();
    const { runtime, tag } = await engineForInstance(opts.engines, lab.name, instance, say);
    return await gradeSubmission(lab, opts.submission, {
      runtime,
      image: tag,
      instance,
      artifactsDir,
      subnetPools: opts.subnetPools,
      onProgress: say,
      ladder: opts.ladder ?? false,
      command: 'grade',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if (isUsersMistake(e, opts.signal)) throw e;
    // The tool failed, not the student: `error`, and the caller still writes the report.
    return toolErrorResult(lab, e, { startedAt, submission: opts.submission });
  }
}

export interface GradeClassOptions extends GradeCommon {
  /** A folder of one subfolder per student. */
  submissions: string;
  /** Submissions graded at once (default: defaultBatchParallel(); with a pool, at most this many per engine). */
  parallel?: number | undefined;
  /** Where the reports and the summary go (default: a new run folder results/<lab>/batch-<time>/). */
  outDir?: string | undefined;
  /** Each student's report is also written in this format. */
  format: Format;
}

/** What `lab grade --submissions` did. */
export interface ClassReport {
  lab: string;
  /** The folder of the summaries (summary.csv, summary.json) and each student's report. */
  outDir: string;
  /** Submissions at once (on one engine); absent over a pool, whose report says what each engine took. */
  parallel?: number;
  /** Per-submission rows and results, in the folder's order, and the summaries' text. */
  batch: BatchResult;
  /** Over an engine pool: the engines, those lost, the submissions graded again elsewhere. */
  pool?: PoolBatchReport | undefined;
}

/**
 * `lab grade --submissions`: grades every student's folder, each on a fresh instance (over the pool's engines
 * when there is one), and writes each report and the class summary in `outDir`. A submission the tool could not
 * grade, or one the signal cut short, is `error`; every instance is removed whatever happens. A UsageError when
 * `submissions` is not a folder or `parallel` is not a whole number from 1 to 64.
 */
export async function gradeClass(opts: GradeClassOptions): Promise<ClassReport> {
  const lab = typeof opts.lab === 'string' ? loadLab(opts.lab) : opts.lab;
  const { submissions } = opts;
  if (!existsSync(submissions) || !statSync(submissions).isDirectory())
    throw new UsageError(`no folder ${submissions}`, { hint: 'give a folder with one subfolder per student' });
  const parallel = opts.parallel ?? defaultBatchParallel();
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
    throw new UsageError(`the submissions graded at once must be a whole number from 1 to 64, not ${parallel}`);
  const say = opts.onProgress ?? ((): void => undefined);
  const signal = opts.signal ? { signal: opts.signal } : {};
  const outDir = opts.outDir !== undefined ? resolve(opts.outDir) : resultsDir(undefined, lab.name, 'batch', opts.keepResults);
  if (opts.engines.pool) {
    const r = await gradeBatchOverPool(lab, opts.engines.pool, {
      submissions,
      outDir,
      format: opts.format,
      ...(opts.parallel !== undefined ? { perEngine: parallel } : {}),
      onProgress: say,
      ...signal,
    });
    return { lab: lab.name, outDir, batch: r.batch, pool: r.report };
  }
  const { runtime, tag } = await opts.engines.connectWithImage();
  say(`grading ${submissions} with ${parallel} at a time; reports in ${outDir}`);
  const batch = await gradeBatch(lab, {
    runtime,
    image: tag,
    submissions,
    outDir,
    parallel,
    format: opts.format,
    subnetPools: opts.subnetPools,
    onProgress: say,
    ...signal,
  });
  return { lab: lab.name, outDir, parallel, batch };
}
