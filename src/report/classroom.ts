import type { ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

/**
 * GitHub Classroom's autograding result, as classroom-resources/autograding-grading-reporter reads it: the
 * reporter takes the environment variable `<RUNNER>_RESULTS`, decodes it from base64, parses this JSON, sums
 * `tests[].score` over the runners' `max_score`, and fails the workflow when a runner's status is `fail` or
 * `error`. This format is the JSON itself: encode it (`base64 -w0`) into the variable (README, "GitHub Classroom").
 */
export interface ClassroomResult {
  version: 1;
  status: 'pass' | 'fail' | 'error';
  max_score: number;
  tests: {
    name: string;
    status: 'pass' | 'fail' | 'error';
    score: number;
    max_score: number;
    message: string;
    test_code: string;
    filename: string;
    line_no: number;
    execution_time: string;
  }[];
}

/**
 * One test per check. A submission that could not be exercised as given (does not compile, lacks a file)
 * adds a failing test `submission` worth 0 points, so its message is shown. When the tool could not run the
 * status is `error` and `max_score` is 0: the reporter then records no points at all (it skips a runner with
 * no max_score) and marks the run as errored, instead of recording 0 of N as the student's score.
 */
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
  const one = (name: string, status: 'fail' | 'error', message: string): ClassroomResult['tests'][number] => ({
    name,
    status,
    score: 0,
    max_score: 0,
    message,
    test_code: `lab grade ${r.lab}`,
    filename: '',
    line_no: 0,
    execution_time: `${(r.durationMs / 1000).toFixed(1)}s`,
  });
  if (r.status === 'error') {
    return {
      version: 1,
      status: 'error',
      max_score: 0,
      tests: [
        one('toplab', 'error', `the grader could not run (not the student's fault; not graded): ${r.message ?? ''}`),
        ...tests.map((t) => ({ ...t, score: 0, max_score: 0 })),
      ],
    };
  }
  if (r.message) tests.unshift(one('submission', 'fail', r.message));
  return { version: 1, status: r.status === 'passed' ? 'pass' : 'fail', max_score: r.maxScore, tests };
}

export function renderClassroom(r: GradeResult): string {
  return JSON.stringify(toClassroom(r)) + '\n';
}

export const classroomFormat: ReportFormat<'classroom'> = {
  name: 'classroom',
  description: "GitHub Classroom's autograding result JSON",
  ext: 'json',
  batchFile: 'report.classroom.json',
  inBundle: true,
  render: (r) => renderClassroom(r),
};
