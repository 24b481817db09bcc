import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { spawn } from 'node:child_process';
import { ROOT, uniqueInstance } from './cli.js';

export interface GradeReport {
  status: string;
  score: number;
  maxScore: number;
  instance: string;
  message?: string;
  checks: { id: string; status: string; points: number; maxPoints: number; message: string; evidence: string[] }[];
  steps: { description: string; status: string; message?: string }[];
}

export interface Graded {
  code: number | null;
  report: GradeReport;
  ms: number;
  /** Check id → passed / failed. */
  statuses: Record<string, string>;
  /** The ids of the checks that did not pass, in the lab's order. */
  failing: string[];
  /** The report, short, for assertion messages. */
  explain: string;
}

const runtime = await DockerRuntime.connect();

/**
 * Runs the built CLI. At the time limit it sends SIGINT first, like Ctrl-C, so `lab grade` removes its
 * grading instance before it exits; SIGKILL only if it has not gone 30 s later.
 */
function runCli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/lab.js', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let kill: NodeJS.Timeout | undefined;
    const interrupt = setTimeout(() => {
      child.kill('SIGINT');
      kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(interrupt);
      if (kill) clearTimeout(kill);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/**
 * `lab grade <lab> --submission <folder>` as a user runs it, in its own fresh instance and results folder.
 * Asserts that the grading instance left nothing behind, and removes it anyway (by label) if it did: the
 * instance has a name of ours, so that works even when the CLI had to be killed.
 */
export async function gradeLab(labName: string, submission: string): Promise<Graded> {
  const results = mkdtempSync(join(tmpdir(), `toplab-test-${labName}-`));
  const instance = uniqueInstance('g');
  try {
    const r = await runCli(['grade', labName, '--submission', submission, '--instance', instance, '--format', 'json', '--results', results], 120_000);
    let report: GradeReport;
    try {
      report = JSON.parse(r.stdout) as GradeReport;
    } catch {
      throw new Error(`lab grade ${labName} --submission ${submission} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    expect(report.instance).toBe(instance);
    const statuses = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    const failing = report.checks.filter((c) => c.status !== 'passed').map((c) => c.id);
    const explain = [
      `${labName} ${submission}: ${report.status} ${report.score}/${report.maxScore} (exit ${r.code}, ${r.ms} ms)${report.message ? ' ' + report.message : ''}`,
      ...report.checks.map((c) => `  ${c.status.padEnd(7)} ${c.id}: ${c.message}${c.evidence.length ? '\n      ' + c.evidence.join('\n      ') : ''}`),
      ...report.steps.filter((s) => s.status !== 'ok').map((s) => `  step ${s.description}: ${s.status} ${s.message ?? ''}`),
      r.stderr.trim() ? `  stderr: ${r.stderr.trim().split('\n').slice(-5).join('\n          ')}` : '',
    ].join('\n');
    expect(await runtime.listContainers(labelFilter(labName, instance)), `containers left by ${instance}`).toEqual([]);
    expect(await runtime.listNetworks(labelFilter(labName, instance)), `networks left by ${instance}`).toEqual([]);
    return { code: r.code, report, ms: r.ms, statuses, failing, explain };
  } finally {
    await removeInstance(runtime, labName, instance).catch(() => undefined);
    rmSync(results, { recursive: true, force: true });
  }
}

/**
 * The usual Docker test of a course lab: the reference scores full marks, and each of its mistakes (every
 * folder under mistakes/, none missing from `mistakes`) fails exactly the checks listed for it, in the lab's
 * order (every other check passes). `concurrent`: the grades run at once, each in its own instance.
 */
export function describeLabGrading(labName: string, mistakes: Record<string, string[]>, opts: { concurrent?: boolean } = {}): void {
  (opts.concurrent ? describe.concurrent : describe)(`${labName} graded on a real engine`, () => {
    it('ships the mistakes this test knows about', () => {
      expect(readdirSync(join(ROOT, 'labs', labName, 'mistakes')).sort()).toEqual(Object.keys(mistakes).sort());
    });

    it('the reference scores full marks', async () => {
      const g = await gradeLab(labName, `labs/${labName}`);
      expect(g.failing, g.explain).toEqual([]);
      expect(g.report.status, g.explain).toBe('passed');
      expect(g.report.score).toBe(g.report.maxScore);
      expect(g.code).toBe(0);
    });

    for (const [mistake, failing] of Object.entries(mistakes)) {
      it(`mistakes/${mistake} fails exactly ${failing.join(', ')}`, async () => {
        const g = await gradeLab(labName, `labs/${labName}/mistakes/${mistake}`);
        expect(g.failing, g.explain).toEqual(failing);
        expect(g.report.status).toBe('failed');
        expect(g.code).toBe(1);
      });
    }
  });
}
