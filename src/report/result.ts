import type { CheckResult } from '../checks/types.js';
import type { StepRecord } from '../exercise/observations.js';
import type { CaptureLadder } from '../observe/ladder.js';

/**
 * The one result model every reporter reads. `error` means the tool could not run (no engine, invalid lab)
 * and is never counted against the student; `failed` means the submission failed a check.
 */
export interface GradeResult {
  lab: string;
  instance: string;
  submission?: string;
  status: 'passed' | 'failed' | 'error';
  score: number;
  maxScore: number;
  /** Share of maxScore needed to pass. */
  passMark: number;
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
  steps: StepRecord[];
  /** Why the submission could not be exercised (compile errors), or why the tool failed (status error). */
  message?: string;
  artifactsDir?: string;
  /** Files kept for this run (pcaps, program outputs), relative to artifactsDir. */
  artifacts?: string[];
  /** For a graded submission: which files were the student's, which the lab's, which were missing. */
  files?: { submission: string[]; lab: string[]; missing: string[]; ignored: string[] };
  /**
   * `lab check` outside a workspace: the lab's own reference programs and files were graded, not a student's
   * (`lab init <lab>` makes a workspace whose files `lab check` grades).
   */
  reference?: boolean;
  /** With --ladder: each capture's exchanges between the lab's nodes, segment by segment (src/observe/ladder.ts). */
  ladder?: CaptureLadder[];
}

/** The result when the tool itself failed: status error, never counted against the student. */
export function errorResult(base: {
  lab: string;
  instance?: string;
  submission?: string;
  maxScore: number;
  passMark: number;
  startedAt: Date;
  message: string;
  checks?: CheckResult[];
  steps?: StepRecord[];
}): GradeResult {
  return {
    lab: base.lab,
    instance: base.instance ?? '',
    ...(base.submission !== undefined ? { submission: base.submission } : {}),
    status: 'error',
    score: 0,
    maxScore: base.maxScore,
    passMark: base.passMark,
    startedAt: base.startedAt.toISOString(),
    durationMs: Date.now() - base.startedAt.getTime(),
    checks: base.checks ?? [],
    steps: base.steps ?? [],
    message: base.message,
  };
}

/**
 * The result of a run whose checks were evaluated: `passed` when the score reaches `passMark` × `maxScore`
 * (every check passed when the lab gives no points), else `failed`. A check that was not judged (`skipped`:
 * what it judges was not observed) counts for neither side: when the verdict would differ had it passed,
 * the result is `error` ("not graded"), since what decides it was not seen. A verdict the judged checks
 * already settle stands.
 */
export function summarize(base: Omit<GradeResult, 'status' | 'score' | 'maxScore'>): GradeResult {
  const score = base.checks.reduce((s, c) => s + c.points, 0);
  const maxScore = base.checks.reduce((s, c) => s + c.maxPoints, 0);
  const skipped = base.checks.filter((c) => c.status === 'skipped');
  const reaches = (points: number): boolean => points >= base.passMark * maxScore - 1e-9;
  const passed = maxScore === 0 ? base.checks.every((c) => c.status === 'passed') : reaches(score);
  const couldPass =
    maxScore === 0 ? base.checks.every((c) => c.status !== 'failed') : reaches(score + skipped.reduce((s, c) => s + c.maxPoints, 0));
  if (!passed && couldPass && skipped.length > 0) {
    const ids = skipped.map((c) => c.id).join(', ');
    return {
      ...base,
      status: 'error',
      score,
      maxScore,
      message: `not graded: ${skipped.length === 1 ? 'the check' : 'the checks'} ${ids} could not be judged (what ${skipped.length === 1 ? 'it judges' : 'they judge'} was not observed in this run), and the verdict depends on ${skipped.length === 1 ? 'it' : 'them'}; run it again`,
    };
  }
  return { ...base, status: passed ? 'passed' : 'failed', score, maxScore };
}

export function exitCodeFor(result: GradeResult): number {
  return result.status === 'passed' ? 0 : result.status === 'failed' ? 1 : 4;
}
