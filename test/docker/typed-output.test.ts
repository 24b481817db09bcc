import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GradeResult } from '../../src/report/result.js';
import { lab, ROOT } from '../helpers/cli.js';

// A program that prints its answers as typed with a Chinese input method (`address-bytes：…`, a full-width
// colon) is graded right, and the exercise's waits for those lines end on them: no step runs into its time
// limit (before, each wait for `^address-bytes\s*[:=]` failed after 10 s, though the checks then passed).
const work = mkdtempSync(join(tmpdir(), 'toplab-typed-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('output typed with full-width punctuation', () => {
  it('socket-addresses: every wait ends on the line, every check passes', async () => {
    const reference = readFileSync(join(ROOT, 'labs/socket-addresses/server.ts'), 'utf8');
    const typed = reference.replace(/console\.log\(`([a-z-]+): /g, 'console.log(`$1： ');
    expect(typed).not.toBe(reference);
    writeFileSync(join(work, 'server.ts'), typed);
    const r = await lab(['grade', 'socket-addresses', '--submission', work, '--format', 'json'], { timeoutMs: 170_000 });
    const report = JSON.parse(r.stdout) as GradeResult;
    const failedSteps = report.steps.filter((s) => s.status !== 'ok').map((s) => `${s.description}: ${s.message ?? ''}`);
    expect(failedSteps, r.stderr).toEqual([]);
    expect(report.status, JSON.stringify(report.checks.filter((c) => c.status !== 'passed'))).toBe('passed');
    expect(r.code).toBe(0);
  }, 180_000);
});
