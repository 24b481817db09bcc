import { setMaxListeners } from 'node:events';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Lab } from '../lab/model.js';
import type { Runtime } from '../runtime/runtime.js';
import { abortReason, errorMessage } from '../errors.js';
import { render, type Format } from '../report/formats.js';
import { REPORT_FORMATS } from '../report/registry.js';
import { renderJson } from '../report/json.js';
import { errorResult, type GradeResult } from '../report/result.js';
import { mapLimit } from '../util/retry.js';
import { gradeSubmission } from './session.js';
import { csvRow } from '../report/csv.js';

/**
 * Runs the grading of every student somewhere and returns the results in order (undefined: could not be graded).
 * `grade` never throws; `done` is called as each result is final. The default runs `parallel` at once on one engine.
 */
export type BatchRunner = (
  students: string[],
  grade: (student: string, index: number, runtime: Runtime, image: string) => Promise<GradeResult>,
  done: (index: number, r: GradeResult) => void,
) => Promise<{ results: (GradeResult | undefined)[]; summary?: Record<string, unknown> }>;

export interface BatchOptions {
  runtime: Runtime;
  image: string;
  /** Where the grading runs instead of `runtime` (an engine pool); its summary goes into summary.json. */
  runner?: BatchRunner;
  /** Folder holding one subfolder per student. */
  submissions: string;
  /** Where each student's report and artifacts, and the class summary, go. */
  outDir: string;
  parallel: number;
  /** Also write each student's report in this format (REPORT_FILE: report.<ext>, or results.json for Gradescope). */
  format?: Format;
  onProgress?: (line: string) => void;
  /** Stops the batch: no student is started after it, the ones in progress end as `error` (interrupted; not graded). */
  signal?: AbortSignal;
  /** The ranges the instances' subnets come from (see SessionOptions). */
  subnetPools?: { pool: string; pool6: string };
}

export interface SummaryRow {
  student: string;
  score: number;
  maxScore: number;
  status: GradeResult['status'];
  failedChecks: string[];
  durationMs: number;
  message?: string;
}

export interface BatchResult {
  rows: SummaryRow[];
  results: GradeResult[];
  durationMs: number;
  summaryCsv: string;
  summaryJson: string;
}

/** Each student's report file in a format: named as its consumer reads it (Gradescope reads results.json). */
/** The file each student's report in a format goes to (the format's `batchFile`: src/report/registry.ts). */
export const REPORT_FILE = Object.fromEntries(REPORT_FORMATS.map((f) => [f.name, f.batchFile])) as Record<Format, string>;

/** summary.csv: one row per submission; cells through csvRow (quoted, spreadsheet formulas defused). */
export function summaryCsv(rows: SummaryRow[]): string {
  const lines = ['student,score,max_score,status,failed_checks,seconds,message'];
  for (const r of rows)
    lines.push(
      // A submission the tool could not grade has no score (empty, not 0): a gradebook must not record one.
      csvRow([
        r.student,
        r.status === 'error' ? '' : r.score,
        r.maxScore,
        r.status,
        r.failedChecks.join(' '),
        (r.durationMs / 1000).toFixed(1),
        r.message ?? '',
      ]),
    );
  return lines.join('\n') + '\n';
}

export function summaryRow(student: string, r: GradeResult): SummaryRow {
  return {
    student,
    score: r.score,
    maxScore: r.maxScore,
    status: r.status,
    failedChecks: r.checks.filter((c) => c.status === 'failed').map((c) => c.id),
    durationMs: r.durationMs,
    // Why the tool could not run, or why the submission could not be exercised as given (compile errors, a
    // missing file): one line, so a spreadsheet shows it.
    ...(r.message
      ? {
          message: r.message
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .join(' '),
        }
      : {}),
  };
}

/**
 * How many submissions a batch grades at once on one engine when not told: 4 per CPU, from 4 to 16, and no
 * more than free memory allows at 256 MiB each (a running tcp-handshake instance measured 16.5 MiB in its
 * containers, plus its two Node.js programs; a node may use up to its 512 MiB limit, which only a hostile
 * submission reaches). A grade spends most of its time waiting (on the engine's container starts and execs, on Node.js
 * booting in a node, on the lab's own timeouts), not on this machine's CPUs: measured on 2 cores, 20
 * submissions took 118 s two at a time and 43 s eight at a time, with the same verdicts.
 */
export function defaultBatchParallel(cpus = availableParallelism(), freeBytes = freemem()): number {
  const byCpu = Math.min(16, Math.max(4, 4 * cpus));
  return Math.max(1, Math.min(byCpu, Math.floor(freeBytes / (256 * 1024 * 1024))));
}

/** Grades every subfolder of `submissions` as one student's work, `parallel` at a time, each in its own instance. */
export async function gradeBatch(lab: Lab, opts: BatchOptions): Promise<BatchResult> {
  const started = Date.now();
  const dir = resolve(opts.submissions);
  const students = readdirSync(dir)
    .filter((d) => !d.startsWith('.') && statSync(join(dir, d)).isDirectory())
    .sort();
  mkdirSync(opts.outDir, { recursive: true });
  // Every grade in progress listens on the batch's signal: a class graded many at a time is not a leak.
  if (opts.signal) setMaxListeners(Math.max(10, 4 * opts.parallel + 10), opts.signal);
  const maxScore = lab.maxScore;
  let done = 0;
  const removals: Promise<void>[] = [];
  const grade = async (student: string, i: number, runtime: Runtime, image: string): Promise<GradeResult> => {
    const studentDir = join(opts.outDir, student);
    mkdirSync(studentDir, { recursive: true });
    const startedAt = new Date();
    try {
      if (opts.signal?.aborted) throw new Error(`${errorMessage(abortReason(opts.signal))}: the batch stopped before this submission`);
      const r = await gradeSubmission(lab, join(dir, student), {
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.subnetPools ? { subnetPools: opts.subnetPools } : {}),
        runtime,
        image,
        instance: `g${i}-${Math.random().toString(36).slice(2, 7)}`,
        artifactsDir: join(studentDir, 'artifacts'),
        // The next student starts while this instance is removed; the batch returns once all are gone.
        removal: (p) => void removals.push(p),
      });
      return { ...r, submission: student };
    } catch (e) {
      // An interrupted class run stops; the students it had not finished get no report.
      return errorResult({ lab: lab.name, submission: student, maxScore, passMark: lab.passMark, startedAt, message: errorMessage(e) });
    }
  };
  const finish = (i: number, r: GradeResult): void => {
    const student = students[i] ?? '';
    const studentDir = join(opts.outDir, student);
    writeFileSync(join(studentDir, 'report.json'), renderJson(r));
    if (opts.format && opts.format !== 'json') writeFileSync(join(studentDir, REPORT_FILE[opts.format]), render(r, opts.format));
    done++;
    opts.onProgress?.(
      `[${done}/${students.length}] ${student}: ${r.status} ${r.score}/${r.maxScore} (${(r.durationMs / 1000).toFixed(1)}s)`,
    );
  };
  const ran = opts.runner
    ? await opts.runner(students, grade, finish)
    : {
        results: await mapLimit(students, Math.max(1, opts.parallel), async (student, i) => {
          const r = await grade(student, i, opts.runtime, opts.image);
          finish(i, r);
          return r;
        }),
      };
  // Nothing is reported as done while an instance of the batch is still being removed.
  await Promise.all(removals);
  const results = ran.results.map((r, i) => {
    if (r !== undefined) return r;
    const e = errorResult({
      lab: lab.name,
      submission: students[i] ?? '',
      maxScore,
      passMark: lab.passMark,
      startedAt: new Date(),
      message: 'not graded: no engine was left to grade it',
    });
    mkdirSync(join(opts.outDir, students[i] ?? ''), { recursive: true });
    finish(i, e);
    return e;
  });
  const rows = results.map((r, i) => summaryRow(students[i] ?? '', r));
  const csv = summaryCsv(rows);
  const json =
    JSON.stringify(
      {
        lab: lab.name,
        submissions: dir,
        graded: rows.length,
        durationMs: Date.now() - started,
        students: rows,
        ...(ran.summary ?? {}),
      },
      null,
      2,
    ) + '\n';
  writeFileSync(join(opts.outDir, 'summary.csv'), csv);
  writeFileSync(join(opts.outDir, 'summary.json'), json);
  return { rows, results, durationMs: Date.now() - started, summaryCsv: csv, summaryJson: json };
}
