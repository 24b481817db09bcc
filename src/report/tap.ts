import type { ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

/** A YAML scalar that is safe on one line: a JSON string is a YAML double-quoted scalar. */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** A test point's description: one line, `#` escaped (it would start a directive). */
function description(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').replace(/#/g, '\\#');
}

/**
 * TAP, as version 13: readers of TAP 14 accept version 13 documents (TAP 14 is a superset), while TAP 13
 * readers such as Perl's `prove` refuse a document that says version 14. Nothing here needs 14.
 * - One test point per check; a failed one carries a YAML diagnostic (message, points, evidence).
 * - A submission that could not be exercised as given (does not compile, lacks a file) is test point 1,
 *   `not ok 1 - submission: ...`, before the checks.
 * - When the tool could not run: no plan, no test point, only `Bail out!` with the reason. A TAP reader
 *   reports a bailout as an aborted run (node-tap's parser: `ok: false, bailout: reason`; prove: "FAILED--
 *   Further testing stopped"), never as a pass or as a failed test of the student's.
 */
export function renderTap(r: GradeResult): string {
  const lines = ['TAP version 13', `# ${r.lab}${r.submission ? ` — ${r.submission}` : ''}: ${r.status}, score ${r.score}/${r.maxScore}`];
  if (r.status === 'error') {
    lines.push(
      `Bail out! ${description(`the grader could not run (not the student's fault; not graded): ${(r.message ?? 'toplab could not run').split('\n')[0] ?? ''}`)}`,
    );
    return lines.join('\n') + '\n';
  }
  const points: string[] = [];
  if (r.message) {
    points.push(`not ok 1 - ${description(`submission: ${r.message.split('\n')[0] ?? ''}`)}`);
    const diag = [
      '  ---',
      `  message: ${yamlString(r.message)}`,
      '  severity: fail',
      ...(r.files?.missing.length ? [`  missing: ${yamlString(r.files.missing.join(', '))}`] : []),
      '  ...',
    ];
    points.push(...diag);
  }
  let n = r.message ? 1 : 0;
  for (const c of r.checks) {
    n++;
    const desc = description(`${c.id}: ${c.title}`);
    if (c.status === 'skipped') {
      points.push(`ok ${n} - ${desc} # SKIP ${description(c.message)}`);
      continue;
    }
    points.push(`${c.status === 'passed' ? 'ok' : 'not ok'} ${n} - ${desc}`);
    if (c.status === 'failed') {
      points.push(
        '  ---',
        `  message: ${yamlString(c.message)}`,
        `  severity: fail`,
        `  points: ${c.points}`,
        `  maxPoints: ${c.maxPoints}`,
      );
      if (c.evidence.length) points.push('  evidence:', ...c.evidence.map((e) => `    - ${yamlString(e)}`));
      points.push('  ...');
    }
  }
  lines.push(`1..${n}`, ...points);
  return lines.join('\n') + '\n';
}

export const tapFormat: ReportFormat<'tap'> = {
  name: 'tap',
  description: 'TAP version 13, for TAP readers (prove, node-tap)',
  ext: 'txt',
  batchFile: 'report.tap',
  inBundle: true,
  render: (r) => renderTap(r),
};
