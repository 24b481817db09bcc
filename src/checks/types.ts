import type { Observations } from '../exercise/observations.js';

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
  message: string;
  evidence?: string[];
}

export type CheckFn<K> = (spec: K, obs: Observations) => Verdict;
