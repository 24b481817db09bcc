import type { Observations } from '../exercise/observations.js';

/**
 * `skipped`: the check was not judged. What it judges was not observed in this run (a capture or probe that
 * failed, a transfer that never happened), so it is neither passed nor failed, and gives no points.
 */
export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  id: string;
  kind: string;
  title: string;
  status: CheckStatus;
  points: number;
  maxPoints: number;
  /** One or two sentences a student can act on. */
  message: string;
  /** The packets or lines that decided it, short. */
  evidence: string[];
}

/** What a check function returns; the id, points and title are filled in by the evaluator. */
export interface Verdict {
  passed: boolean;
  /**
   * true: what the check judges was not observed (see `notObserved`), so it could not be judged either way:
   * never passed (`passed` is false) and never failed (its status is `skipped`).
   */
  unobserved?: boolean;
  message: string;
  evidence?: string[];
}

export type CheckFn<K> = (spec: K, obs: Observations) => Verdict;
