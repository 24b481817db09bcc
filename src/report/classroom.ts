import type { GradeResult } from './result.js';

/**
 * GitHub Classroom's autograding result, as the autograding-grading-reporter action reads it (base64 of this
 * JSON in the `<RUNNER>_RESULTS` variable): version 1, status pass/fail/error, max_score, one test per check.
 */
export interface ClassroomResult {
  version: 1;
  status: 'pass' | 'fail' | 'error';
  max_score: number;
  tests: { name: string; status: 'pass' | 'fail' | 'error'; score: number; max_score: number; message: string; test_code: string; filename: string; line_no: number; execution_time: string }[];
}

export function toClassroom(r: GradeResult): ClassroomResult {
  const tests: ClassroomResult['tests'] = r.checks.map((c) => ({
    name: `${c.id}: ${c.title}`,
    status: c.status === 'passed' ? 'pass' : 'fail',
    score: c.points,
    max_score: c.maxPoints,
    message: [c.message, ...c.evidence].join('\n'),
    test_code: `${c.kind} check ${c.id}`,
    filename: '',
    line_no: 0,
    execution_time: '0s',
  }));
  if (r.status === 'error') {
    tests.unshift({ name: 'toplab', status: 'error', score: 0, max_score: 0, message: r.message ?? 'the grader could not run', test_code: `lab grade ${r.lab}`, filename: '', line_no: 0, execution_time: `${(r.durationMs / 1000).toFixed(1)}s` });
  }
  return { version: 1, status: r.status === 'passed' ? 'pass' : r.status === 'failed' ? 'fail' : 'error', max_score: r.maxScore, tests };
}

export function renderClassroom(r: GradeResult): string {
  return JSON.stringify(toClassroom(r)) + '\n';
}
