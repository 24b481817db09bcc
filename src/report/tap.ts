import type { GradeResult } from './result.js';

/** A YAML block scalar line-safe value. */
function yamlString(s: string): string {
  return JSON.stringify(s);
}

/** TAP 14: header, plan, one test point per check with a YAML diagnostic on failure; `Bail out!` when the tool failed. */
export function renderTap(r: GradeResult): string {
  const lines = ['TAP version 14', `# ${r.lab}${r.submission ? ` — ${r.submission}` : ''}: ${r.status}, score ${r.score}/${r.maxScore}`];
  if (r.status === 'error') {
    lines.push('1..0 # SKIP the tool could not run');
    lines.push(`Bail out! ${(r.message ?? 'toplab could not run').split('\n')[0] ?? ''}`);
    return lines.join('\n') + '\n';
  }
  lines.push(`1..${r.checks.length}`);
  r.checks.forEach((c, i) => {
    const desc = `${c.id}: ${c.title}`.replace(/#/g, '\\#');
    if (c.status === 'skipped') {
      lines.push(`ok ${i + 1} - ${desc} # SKIP ${c.message.replace(/\n/g, ' ')}`);
      return;
    }
    lines.push(`${c.status === 'passed' ? 'ok' : 'not ok'} ${i + 1} - ${desc}`);
    if (c.status === 'failed') {
      lines.push('  ---', `  message: ${yamlString(c.message)}`, `  severity: fail`, `  points: ${c.points}`, `  maxPoints: ${c.maxPoints}`);
      if (c.evidence.length) lines.push('  evidence:', ...c.evidence.map((e) => `    - ${yamlString(e)}`));
      lines.push('  ...');
    }
  });
  return lines.join('\n') + '\n';
}
