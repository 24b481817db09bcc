import type { ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

/**
 * Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/): the autograder
 * writes it to /autograder/results/results.json. The spec makes `score` optional only when the tests carry
 * scores.
 */
export interface GradescopeResults {
  score?: number;
  max_score?: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  extra_data?: { toplab_status: GradeResult['status'] };
  tests?: {
    name: string;
    name_format: 'text';
    score: number;
    max_score: number;
    status: 'passed' | 'failed';
    output: string;
    output_format: 'text';
    tags: string[];
    visibility: 'visible';
  }[];
}

/**
 * A graded result: score, max_score and one test per check (a submission that could not be exercised as
 * given says so first in `output`). A tool error has no score and no tests, only the output saying the
 * grader could not run: a `score: 0` would be recorded as the student's score, while a file with neither a
 * score nor scored tests carries no grade at all (per the spec; Gradescope's own handling of it cannot be
 * checked offline), and `extra_data.toplab_status` says `error` for scripts that re-run such submissions.
 */
export function toGradescope(r: GradeResult): GradescopeResults {
  const base = {
    execution_time: Math.round(r.durationMs / 1000),
    output_format: 'text',
    visibility: 'visible',
    stdout_visibility: 'hidden',
  } as const;
  if (r.status === 'error') {
    return {
      ...base,
      output: `The grader could not run (this is not your fault; no score is recorded): ${r.message ?? ''}`,
      extra_data: { toplab_status: 'error' },
    };
  }
  const failedSteps = r.steps
    .filter((s) => s.status === 'failed')
    .map((s) => `step ${s.index + 1} (${s.description}) failed: ${s.message ?? ''}`);
  return {
    ...base,
    score: r.score,
    max_score: r.maxScore,
    output: [`${r.lab}: ${r.score}/${r.maxScore}`, ...(r.message ? [r.message] : []), ...failedSteps].join('\n'),
    extra_data: { toplab_status: r.status },
    tests: r.checks.map((c) => ({
      name: `${c.id}: ${c.title}`,
      name_format: 'text',
      score: c.points,
      max_score: c.maxPoints,
      status: c.status === 'passed' ? 'passed' : 'failed',
      output: [c.message, ...c.evidence].join('\n'),
      output_format: 'text',
      tags: [c.kind],
      visibility: 'visible',
    })),
  };
}

export function renderGradescope(r: GradeResult): string {
  return JSON.stringify(toGradescope(r), null, 2) + '\n';
}

export const gradescopeFormat: ReportFormat<'gradescope'> = {
  name: 'gradescope',
  description: "Gradescope's results.json",
  ext: 'json',
  batchFile: 'results.json',
  inBundle: true,
  render: (r) => renderGradescope(r),
};
