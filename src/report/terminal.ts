import type { ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

export interface TerminalOptions {
  color: boolean;
  verbose: boolean;
}

/** Colour only on a terminal, and never when NO_COLOR is set. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function renderTerminal(r: GradeResult, opts: TerminalOptions): string {
  const c = (code: string, s: string): string => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const lines: string[] = [];
  lines.push(c('1', `${r.lab}${r.instance !== 'default' ? ` (${r.instance})` : ''}${r.submission ? ` — ${r.submission}` : ''}`));
  if (r.reference)
    lines.push(
      c(
        '33',
        `graded the lab's own reference files, not yours: \`lab init ${r.lab}\` makes a workspace of your own, and \`lab check\` in it grades your files`,
      ),
    );
  if (r.message) lines.push(c('33', r.message));
  for (const s of r.steps.filter((s) => s.status === 'failed'))
    lines.push(c('33', `  step ${s.index + 1} (${s.description}) failed: ${s.message ?? ''}`.replace(/\n/g, '\n    ')));
  const width = Math.max(...r.checks.map((x) => x.id.length), 4);
  for (const ch of r.checks) {
    const mark = ch.status === 'passed' ? c('32', 'PASS') : ch.status === 'failed' ? c('31', 'FAIL') : c('90', 'SKIP');
    const pts = `${fmt(ch.points)}/${fmt(ch.maxPoints)}`.padStart(5);
    lines.push(`  ${mark} ${ch.id.padEnd(width)} ${pts}  ${ch.message}`);
    const evidence =
      opts.verbose || ch.kind === 'handshake' || ch.kind === 'teardown'
        ? ch.evidence
        : ch.status === 'failed'
          ? ch.evidence.slice(0, 2)
          : [];
    for (const e of evidence) lines.push(c('90', `         ${' '.repeat(width)}        ${e}`));
  }
  const verdict = r.status === 'passed' ? c('32;1', 'PASSED') : r.status === 'failed' ? c('31;1', 'FAILED') : c('35;1', 'ERROR');
  lines.push(`  ${verdict}  score ${fmt(r.score)}/${fmt(r.maxScore)}  (${(r.durationMs / 1000).toFixed(1)}s)`);
  if (r.artifactsDir) lines.push(c('90', `  captures and program output: ${r.artifactsDir}`));
  return lines.join('\n') + '\n';
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export const terminalFormat: ReportFormat<'terminal'> = {
  name: 'terminal',
  description: 'people at a terminal: a summary, each check and its evidence',
  ext: 'txt',
  batchFile: 'report.txt',
  inBundle: false,
  render: (r, opts) => renderTerminal(r, opts),
};
