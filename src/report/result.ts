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

export function summarize(base: Omit<GradeResult, 'status' | 'score' | 'maxScore'>): GradeResult {
  const score = base.checks.reduce((s, c) => s + c.points, 0);
  const maxScore = base.checks.reduce((s, c) => s + c.maxPoints, 0);
  const passed = maxScore === 0 ? base.checks.every((c) => c.status === 'passed') : score >= base.passMark * maxScore - 1e-9;
  return { ...base, status: passed ? 'passed' : 'failed', score, maxScore };
}

export function exitCodeFor(result: GradeResult): number {
  return result.status === 'passed' ? 0 : result.status === 'failed' ? 1 : 4;
}
