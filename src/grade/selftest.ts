/**
 * A lab's self-test: the reference must score full marks, and every mistake under `mistakes/<m>/` must fail
 * exactly the checks its `expect.yaml` declares (in the lab's order; every other check passes). What an
 * author runs before publishing a lab (`lab selftest`), and what the labs' Docker tests run.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { errorMessage, InterruptedError, LabValidationError, UsageError } from '../errors.js';
import type { Lab } from '../lab/model.js';
import type { Runtime } from '../runtime/runtime.js';
import type { GradeResult } from '../report/result.js';
import { gradeInstanceName, gradeSubmission } from './session.js';

/** The name of the file beside each mistake that declares which checks it fails. */
export const EXPECT_FILE = 'expect.yaml';

/** One thing to grade: the reference (the lab folder itself) or one mistake. */
export interface SelftestCase {
  lab: string;
  /** `reference`, or the mistake's folder name. */
  name: string;
  /** The folder graded as the submission. */
  submission: string;
  /** Check ids that must fail, in the lab's order; empty for the reference. */
  expectFails: string[];
  /** The mistake's one-line explanation from expect.yaml. */
  why?: string;
  /** Why the case cannot be run as declared (no expect.yaml, unknown check ids): a mismatch without grading. */
  problem?: string;
  /** The mistake's folder holds none of the lab's files: there is nothing to grade (a mismatch, not a tool failure). */
  empty?: boolean;
}

export interface SelftestRow {
  lab: string;
  case: string;
  /** The case behaved as declared. */
  ok: boolean;
  expectFails: string[];
  /** Check ids that did not pass, in the lab's order (absent when the case was not graded). */
  actualFails?: string[];
  status?: GradeResult['status'];
  score?: number;
  maxScore?: number;
  durationMs: number;
  /** What differs, in words; absent when ok. */
  mismatch?: string;
  /** The grading result, for explanations (evidence of each check). */
  result?: GradeResult;
}

export interface SelftestReport {
  ok: boolean;
  rows: SelftestRow[];
  durationMs: number;
}

/** Reads a mistake's expect.yaml: `fails: [check ids]` and an optional `why`. Throws LabValidationError on a bad file. */
export function readExpect(file: string): { fails: string[]; why?: string } {
  let doc: unknown;
  try {
    // yaml is loaded here, on first use, so that commands that never read an expect.yaml do not pay for it.
    const yaml = createRequire(import.meta.url)('yaml') as typeof import('yaml');
    doc = yaml.parse(readFileSync(file, 'utf8'), { merge: true });
  } catch (e) {
    throw new LabValidationError([
      { file, path: '', message: `not valid YAML: ${(errorMessage(e).split('\n')[0] ?? '').replace(/:$/, '')}` },
    ]);
  }
  const d = doc as { fails?: unknown; why?: unknown } | null;
  if (
    d === null ||
    typeof d !== 'object' ||
    !Array.isArray(d.fails) ||
    !d.fails.every((x) => typeof x === 'string') ||
    d.fails.length === 0
  ) {
    throw new LabValidationError([
      { file, path: 'fails', message: 'needs `fails:`, the list of check ids this mistake fails (at least one)' },
    ]);
  }
  return { fails: d.fails as string[], ...(typeof d.why === 'string' ? { why: d.why } : {}) };
}

/** The reference and every mistake of a lab, with what each must fail. Never throws for a bad expect.yaml: the case carries the problem. */
export function selftestCases(lab: Lab): SelftestCase[] {
  const ids = lab.checks.map((c) => c.id);
  const cases: SelftestCase[] = [{ lab: lab.name, name: 'reference', submission: lab.dir, expectFails: [] }];
  const dir = join(lab.dir, 'mistakes');
  const mistakes = existsSync(dir)
    ? readdirSync(dir)
        .filter((m) => !m.startsWith('.') && statSync(join(dir, m)).isDirectory())
        .sort()
    : [];
  for (const m of mistakes) {
    const folder = join(dir, m);
    const file = join(folder, EXPECT_FILE);
    const c: SelftestCase = { lab: lab.name, name: m, submission: folder, expectFails: [] };
    const extra = lab.submissionFiles.filter((f) => !f.endsWith('.ts'));
    const own = readdirSync(folder).filter((f) => (f.endsWith('.ts') || extra.includes(f)) && statSync(join(folder, f)).isFile());
    if (!existsSync(file)) {
      c.problem = `no ${relative(lab.dir, file)}: declare the checks this mistake fails (fails: [check ids])`;
    } else {
      try {
        const e = readExpect(file);
        const unknown = e.fails.filter((id) => !ids.includes(id));
        if (unknown.length > 0)
          c.problem = `${relative(lab.dir, file)} names check(s) the lab does not have: ${unknown.join(', ')} (checks: ${ids.join(', ')})`;
        // The lab's order, so a declaration in any order compares equal.
        c.expectFails = ids.filter((id) => e.fails.includes(id));
        if (e.why !== undefined) c.why = e.why;
      } catch (err) {
        c.problem =
          err instanceof LabValidationError
            ? err.problems.map((p) => `${relative(lab.dir, p.file)}: ${p.message}`).join('; ')
            : errorMessage(err);
      }
    }
    if (own.length === 0) {
      c.empty = true;
      c.problem = `mistakes/${m}/ holds none of the lab's files (.ts files${extra.length ? ', ' + extra.join(', ') : ''}): a mistake replaces some of the reference's files`;
    }
    cases.push(c);
  }
  return cases;
}

/**
 * The lab's checks that no mistake declares it fails: nothing in the lab shows that they can fail. Cases with a
 * problem declare nothing. Empty when every check is some mistake's.
 */
export function uncoveredChecks(lab: Lab, cases: SelftestCase[]): string[] {
  const declared = new Set(cases.filter((c) => c.name !== 'reference' && c.problem === undefined).flatMap((c) => c.expectFails));
  return lab.checks.map((c) => c.id).filter((id) => !declared.has(id));
}

/** Compares one graded case with its declaration. */
export function judgeCase(c: SelftestCase, result: GradeResult, durationMs: number): SelftestRow {
  const actualFails = result.checks.filter((x) => x.status !== 'passed').map((x) => x.id);
  const base = {
    lab: c.lab,
    case: c.name,
    expectFails: c.expectFails,
    actualFails,
    status: result.status,
    score: result.score,
    maxScore: result.maxScore,
    durationMs,
    result,
  };
  let mismatch: string | undefined;
  if (result.status === 'error') mismatch = `could not be graded: ${result.message ?? 'the tool failed'}`;
  else if (c.problem) mismatch = c.problem;
  else if (c.name === 'reference') {
    if (actualFails.length > 0 || result.score !== result.maxScore || result.status !== 'passed')
      mismatch = `the reference must score full marks; it failed ${actualFails.join(', ') || 'nothing'} (${result.score}/${result.maxScore})`;
  } else {
    const extra = actualFails.filter((id) => !c.expectFails.includes(id));
    const missing = c.expectFails.filter((id) => !actualFails.includes(id));
    const parts = [
      ...(extra.length ? [`also failed ${extra.join(', ')}`] : []),
      ...(missing.length ? [`passed ${missing.join(', ')}, declared to fail`] : []),
    ];
    if (parts.length > 0) mismatch = parts.join('; ');
    else if (result.status !== 'failed') mismatch = `graded ${result.status}, not failed: the failing checks do not cost enough points`;
  }
  return { ...base, ok: mismatch === undefined, ...(mismatch !== undefined ? { mismatch } : {}) };
}

export interface SelftestOptions {
  runtime: Runtime;
  image: string;
  /** Cases graded at once, each in its own fresh instance (default 1). */
  parallel?: number;
  /** Instance name for a run of exactly one case (tests use it to check what was left behind). */
  instance?: string;
  /** Where captures and program output go; each case gets its own folder below it. */
  artifactsDir?: string;
  onProgress?: (line: string) => void;
  /** Called as each case finishes. */
  onRow?: (row: SelftestRow) => void;
  /** Stops the run: no case starts after it, and the one in progress ends as `error` (interrupted). */
  signal?: AbortSignal;
}

/** Grades each case in its own fresh instance (removed afterwards) and compares it with its declaration. */
export async function runSelftest(labs: { lab: Lab; cases: SelftestCase[] }[], opts: SelftestOptions): Promise<SelftestReport> {
  const started = Date.now();
  const jobs = labs.flatMap(({ lab, cases }) => cases.map((c) => ({ lab, c })));
  if (opts.instance !== undefined && jobs.length !== 1)
    throw new UsageError(`--instance names the instance of one case; this run has ${jobs.length}`, {
      hint: 'add --case <reference|mistake>',
    });
  const rows: SelftestRow[] = new Array<SelftestRow>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const job = jobs[i];
      if (job === undefined || opts.signal?.aborted) return;
      const t0 = Date.now();
      opts.onProgress?.(`${job.lab.name}: grading ${job.c.name === 'reference' ? 'the reference' : `mistakes/${job.c.name}`}`);
      let row: SelftestRow;
      if (job.c.empty) {
        // Nothing to grade: the declaration's problem is the mismatch.
        row = {
          lab: job.lab.name,
          case: job.c.name,
          ok: false,
          expectFails: job.c.expectFails,
          durationMs: 0,
          mismatch: job.c.problem ?? 'nothing to grade',
        };
        rows[i] = row;
        opts.onRow?.(row);
        continue;
      }
      try {
        const result = await gradeSubmission(job.lab, job.c.submission, {
          runtime: opts.runtime,
          image: opts.image,
          instance: opts.instance ?? gradeInstanceName(),
          command: 'selftest',
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.artifactsDir ? { artifactsDir: join(opts.artifactsDir, job.lab.name, job.c.name) } : {}),
        });
        row = judgeCase(job.c, result, Date.now() - t0);
      } catch (e) {
        if (e instanceof LabValidationError || e instanceof InterruptedError) throw e;
        row = {
          lab: job.lab.name,
          case: job.c.name,
          ok: false,
          expectFails: job.c.expectFails,
          status: 'error',
          durationMs: Date.now() - t0,
          mismatch: `could not be graded: ${errorMessage(e)}`,
        };
      }
      rows[i] = row;
      opts.onRow?.(row);
    }
  };
  const parallel = Math.max(1, Math.min(opts.parallel ?? 1, jobs.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  // An interrupted run has cases it never started: it is not ok, and lists only what it graded.
  const graded = rows.filter((r): r is SelftestRow => r !== undefined);
  return { ok: graded.length === jobs.length && graded.every((r) => r.ok), rows: graded, durationMs: Date.now() - started };
}

/** The table `lab selftest` prints: one line per case, then what differs. */
export function renderSelftest(report: SelftestReport, opts: { color: boolean }): string {
  const c = (code: string, s: string): string => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const header = ['lab', 'case', 'result', 'score', 'expected to fail', 'failed', 'time'];
  const body = report.rows.map((r) => [
    r.lab,
    r.case,
    r.ok ? 'ok' : 'MISMATCH',
    r.score !== undefined ? `${fmt(r.score)}/${fmt(r.maxScore ?? 0)}` : '-',
    r.case === 'reference' ? '(none: full marks)' : r.expectFails.join(', ') || '-',
    // A case that behaved shows its failing checks once, under what was expected.
    r.actualFails === undefined ? '(not graded)' : r.ok && r.case !== 'reference' ? 'as declared' : r.actualFails.join(', ') || '(none)',
    `${(r.durationMs / 1000).toFixed(1)}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[], paint?: (i: number, s: string) => string): string =>
    cells
      .map((s, i) => (paint ? paint(i, s.padEnd(widths[i] ?? 0)) : s.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [c('1', line(header))];
  for (const [i, row] of body.entries()) out.push(line(row, (col, s) => (col === 2 ? c(report.rows[i]?.ok ? '32' : '31;1', s) : s)));
  const bad = report.rows.filter((r) => !r.ok);
  for (const r of bad) out.push(c('31', `${r.lab} ${r.case}: ${r.mismatch ?? ''}`));
  const labs = new Set(report.rows.map((r) => r.lab)).size;
  out.push(
    report.ok
      ? c(
          '32;1',
          `selftest passed: ${report.rows.length} case(s) of ${labs} lab(s) behave as declared (${(report.durationMs / 1000).toFixed(1)}s)`,
        )
      : c(
          '31;1',
          `selftest FAILED: ${bad.length} of ${report.rows.length} case(s) differ from their declaration (${(report.durationMs / 1000).toFixed(1)}s)`,
        ),
  );
  return out.join('\n') + '\n';
}

/** The JSON `lab selftest --format json` prints: rows without the full grading results, and their check lines. */
export function selftestJson(report: SelftestReport): object {
  return {
    ok: report.ok,
    durationMs: report.durationMs,
    rows: report.rows.map(({ result, ...r }) => ({
      ...r,
      ...(result
        ? {
            instance: result.instance,
            checks: result.checks.map((x) => ({ id: x.id, status: x.status, message: x.message, evidence: x.evidence })),
            ...(result.message ? { message: result.message } : {}),
          }
        : {}),
    })),
  };
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
