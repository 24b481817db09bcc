import type { GradeResult } from './result.js';

/** Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/). */
export interface GradescopeResults {
  score: number;
  max_score: number;
  execution_time: number;
  output: string;
  output_format: 'text';
  visibility: 'visible';
  stdout_visibility: 'hidden';
  tests: { name: string; name_format: 'text'; score: number; max_score: number; status: 'passed' | 'failed'; output: string; output_format: 'text'; tags: string[]; visibility: 'visible' }[];
}

export function toGradescope(r: GradeResult): GradescopeResults {
  const failedSteps = r.steps.filter((s) => s.status === 'failed').map((s) => `step ${s.index + 1} (${s.description}) failed: ${s.message ?? ''}`);
  const output =
    r.status === 'error'
      ? `The grader could not run (this is not your fault; it does not count against you): ${r.message ?? ''}`
      : [`${r.lab}: ${r.score}/${r.maxScore}`, ...(r.message ? [r.message] : []), ...failedSteps].join('\n');
  return {
    score: r.status === 'error' ? 0 : r.score,
    max_score: r.maxScore,
    execution_time: Math.round(r.durationMs / 1000),
    output,
    output_format: 'text',
    visibility: 'visible',
    stdout_visibility: 'hidden',
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
