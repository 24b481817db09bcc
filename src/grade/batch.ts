import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Lab } from '../lab/model.js';
import type { Runtime } from '../runtime/runtime.js';
import { abortReason, errorMessage } from '../errors.js';
import { render, type Format } from '../report/formats.js';
import { renderJson } from '../report/json.js';
import { errorResult, type GradeResult } from '../report/result.js';
import { mapLimit } from '../util/retry.js';
import { gradeSubmission } from './session.js';

export interface BatchOptions {
  runtime: Runtime;
  image: string;
  /** Folder holding one subfolder per student. */
  submissions: string;
  /** Where each student's report and artifacts, and the class summary, go. */
  outDir: string;
  parallel: number;
  /** Also write each student's report in this format (report.<ext>). */
  format?: Format;
  onProgress?: (line: string) => void;
  /** Stops the batch: no student is started after it, the ones in progress end as `error` (interrupted; not graded). */
  signal?: AbortSignal;
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

const EXT: Record<Format, string> = { terminal: 'txt', json: 'json', junit: 'xml', gradescope: 'gradescope.json', classroom: 'classroom.json', tap: 'tap' };

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function summaryCsv(rows: SummaryRow[]): string {
  const lines = ['student,score,max_score,status,failed_checks,seconds,message'];
  for (const r of rows) lines.push([r.student, String(r.score), String(r.maxScore), r.status, r.failedChecks.join(' '), (r.durationMs / 1000).toFixed(1), r.message ?? ''].map(csvField).join(','));
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
    ...(r.status === 'error' && r.message ? { message: r.message.split('\n')[0] ?? '' } : {}),
  };
}

/** Grades every subfolder of `submissions` as one student's work, `parallel` at a time, each in its own instance. */
export async function gradeBatch(lab: Lab, opts: BatchOptions): Promise<BatchResult> {
  const started = Date.now();
  const dir = resolve(opts.submissions);
  const students = readdirSync(dir).filter((d) => !d.startsWith('.') && statSync(join(dir, d)).isDirectory()).sort();
  mkdirSync(opts.outDir, { recursive: true });
  const maxScore = lab.def.checks.reduce((s, c) => s + c.points, 0);
  let done = 0;
  const results = await mapLimit(students, Math.max(1, opts.parallel), async (student, i) => {
    const studentDir = join(opts.outDir, student);
    mkdirSync(studentDir, { recursive: true });
    const startedAt = new Date();
    let r: GradeResult;
    try {
      if (opts.signal?.aborted) throw new Error(`${errorMessage(abortReason(opts.signal))}: the batch stopped before this submission`);
      r = await gradeSubmission(lab, join(dir, student), {
        ...(opts.signal ? { signal: opts.signal } : {}),
        runtime: opts.runtime,
        image: opts.image,
        instance: `g${i}-${Math.random().toString(36).slice(2, 7)}`,
        artifactsDir: join(studentDir, 'artifacts'),
      });
      r = { ...r, submission: student };
    } catch (e) {
      r = errorResult({ lab: lab.def.name, submission: student, maxScore, passMark: lab.def.passMark ?? 1, startedAt, message: errorMessage(e) });
    }
    writeFileSync(join(studentDir, 'report.json'), renderJson(r));
    if (opts.format && opts.format !== 'json') writeFileSync(join(studentDir, `report.${EXT[opts.format]}`), render(r, opts.format));
    done++;
    opts.onProgress?.(`[${done}/${students.length}] ${student}: ${r.status} ${r.score}/${r.maxScore} (${(r.durationMs / 1000).toFixed(1)}s)`);
    return r;
  });
  const rows = results.map((r, i) => summaryRow(students[i] ?? '', r));
  const csv = summaryCsv(rows);
  const json = JSON.stringify({ lab: lab.def.name, submissions: dir, graded: rows.length, durationMs: Date.now() - started, students: rows }, null, 2) + '\n';
  writeFileSync(join(opts.outDir, 'summary.csv'), csv);
  writeFileSync(join(opts.outDir, 'summary.json'), json);
  return { rows, results, durationMs: Date.now() - started, summaryCsv: csv, summaryJson: json };
}
