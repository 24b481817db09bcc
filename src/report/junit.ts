import type { GradeResult } from './result.js';

function esc(s: string): string {
  // XML 1.0 allows neither most control characters nor unpaired surrogates; program output may hold them.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

/**
 * JUnit XML: one testsuite per lab, one testcase per check; `failure` for a failed check, `error` when the
 * tool could not run (then one testcase says why), `skipped` for skipped checks. Times in seconds.
 */
export function renderJunit(r: GradeResult): string {
  const name = r.submission ? `${r.lab} (${r.submission})` : r.lab;
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  if (r.status === 'error') {
    errors++;
    cases.push(`    <testcase classname="${esc(r.lab)}" name="toplab" time="${secs(r.durationMs)}">\n      <error message="${esc(r.message ?? 'the tool could not run')}" type="toplab.error">${esc(r.message ?? '')}</error>\n    </testcase>`);
  }
  for (const c of r.checks) {
    const head = `    <testcase classname="${esc(r.lab)}" name="${esc(`${c.id}: ${c.title}`)}" time="0.000">`;
    const props = `      <properties><property name="points" value="${c.points}"/><property name="maxPoints" value="${c.maxPoints}"/></properties>`;
    const out = c.evidence.length ? `\n      <system-out>${esc(c.evidence.join('\n'))}</system-out>` : '';
    if (c.status === 'failed') {
      failures++;
      cases.push(`${head}\n${props}\n      <failure message="${esc(c.message)}" type="${esc(c.kind)}">${esc([c.message, ...c.evidence].join('\n'))}</failure>${out}\n    </testcase>`);
    } else if (c.status === 'skipped') {
      skipped++;
      cases.push(`${head}\n${props}\n      <skipped message="${esc(c.message)}"/>\n    </testcase>`);
    } else {
      cases.push(`${head}\n${props}${out}\n    </testcase>`);
    }
  }
  const tests = cases.length;
  const attrs = `name="${esc(name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${secs(r.durationMs)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites ${attrs}>`,
    `  <testsuite ${attrs} timestamp="${esc(r.startedAt.replace(/Z$/, ''))}">`,
    `    <properties><property name="score" value="${r.score}"/><property name="maxScore" value="${r.maxScore}"/><property name="status" value="${r.status}"/><property name="instance" value="${esc(r.instance)}"/></properties>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
