import type { ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

function esc(s: string): string {
  // XML 1.0 allows neither most control characters nor unpaired surrogates; program output may hold them.
  return (
    s
      // eslint-disable-next-line no-control-regex -- these control characters are exactly what XML 1.0 forbids
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * JUnit XML as Jenkins reads it (valid against the Jenkins xunit plugin's junit-10.xsd, kept in
 * test/fixtures/consumers): one testsuite per lab, one testcase per check; `failure` for a failed check,
 * `skipped` for a skipped one. A submission that could not be exercised as given (does not compile, lacks a
 * file) is a testcase `submission` with a `failure`; when the tool could not run, one testcase `toplab` has an
 * `error` (never a failure). Points go in each testcase's system-out (the XSD allows no properties there);
 * score, status and instance are properties of the testsuite. Times in seconds.
 */
export function renderJunit(r: GradeResult): string {
  const name = r.submission ? `${r.lab} (${r.submission})` : r.lab;
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  const testcase = (caseName: string, time: string): string =>
    `    <testcase classname="${esc(r.lab)}" name="${esc(caseName)}" time="${time}">`;
  if (r.status === 'error') {
    errors++;
    const msg = `the grader could not run (not the student's fault; not graded): ${r.message ?? 'the tool could not run'}`;
    cases.push(
      `${testcase('toplab', secs(r.durationMs))}\n      <error message="${esc(msg.split('\n')[0] ?? '')}" type="toplab.error">${esc(msg)}</error>\n    </testcase>`,
    );
  } else if (r.message) {
    failures++;
    cases.push(
      `${testcase('submission', '0.000')}\n      <failure message="${esc(r.message.split('\n')[0] ?? '')}" type="submission">${esc(r.message)}</failure>\n    </testcase>`,
    );
  }
  for (const c of r.checks) {
    const head = testcase(`${c.id}: ${c.title}`, '0.000');
    const out = `\n      <system-out>${esc([`points ${c.points}/${c.maxPoints}`, ...c.evidence].join('\n'))}</system-out>`;
    if (c.status === 'failed') {
      failures++;
      cases.push(
        `${head}\n      <failure message="${esc(c.message)}" type="${esc(c.kind)}">${esc([c.message, ...c.evidence].join('\n'))}</failure>${out}\n    </testcase>`,
      );
    } else if (c.status === 'skipped') {
      skipped++;
      cases.push(`${head}\n      <skipped message="${esc(c.message)}"/>${out}\n    </testcase>`);
    } else {
      cases.push(`${head}${out}\n    </testcase>`);
    }
  }
  const tests = cases.length;
  const counts = `tests="${tests}" failures="${failures}" errors="${errors}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${esc(name)}" ${counts} time="${secs(r.durationMs)}">`,
    `  <testsuite name="${esc(name)}" ${counts} skipped="${skipped}" time="${secs(r.durationMs)}" timestamp="${esc(r.startedAt.replace(/Z$/, ''))}">`,
    `    <properties><property name="score" value="${r.score}"/><property name="maxScore" value="${r.maxScore}"/><property name="status" value="${r.status}"/><property name="instance" value="${esc(r.instance)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

export const junitFormat: ReportFormat<'junit'> = {
  name: 'junit',
  description: 'JUnit XML, as CI servers (Jenkins, GitLab) read it',
  ext: 'xml',
  batchFile: 'report.xml',
  inBundle: true,
  render: (r) => renderJunit(r),
};
