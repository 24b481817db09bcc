import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { selftestCases } from '../../src/grade/selftest.js';
import { loadLab } from '../../src/lab/load.js';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { spawn } from 'node:child_process';
import { ROOT, uniqueInstance } from './cli.js';

const runtime = await DockerRuntime.connect();

/**
 * Runs the built CLI. At the time limit it sends SIGINT first, like Ctrl-C, so `lab selftest` removes its
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

interface SelftestJsonRow {
  lab: string;
  case: string;
  ok: boolean;
  expectFails: string[];
  actualFails?: string[];
  status?: string;
  mismatch?: string;
  instance?: string;
  message?: string;
  checks?: { id: string; status: string; message: string; evidence: string[] }[];
}

/**
 * `lab selftest <lab> --case <name>` as an author runs it, in a fresh instance of a name of ours: asserts the
 * instance left nothing behind, and removes it anyway (by label) if it did.
 */
export async function selftestCase(
  labRef: string,
  labName: string,
  caseName: string,
): Promise<{ code: number | null; row: SelftestJsonRow; explain: string }> {
  const instance = uniqueInstance('s');
  try {
    const r = await runCli(
      ['selftest', labRef, '--case', caseName, '--instance', instance, '--parallel', '1', '--format', 'json'],
      150_000,
    );
    let parsed: { ok: boolean; rows: SelftestJsonRow[] };
    try {
      parsed = JSON.parse(r.stdout) as { ok: boolean; rows: SelftestJsonRow[] };
    } catch {
      throw new Error(`lab selftest ${labRef} --case ${caseName} printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    const row = parsed.rows[0];
    if (row === undefined) throw new Error(`lab selftest ${labRef} --case ${caseName} reported no case:\n${r.stdout}`);
    const explain = [
      `${labName} ${caseName}: ${row.ok ? 'ok' : 'MISMATCH'} ${row.mismatch ?? ''} (status ${row.status ?? '-'}, exit ${r.code}, ${r.ms} ms)${row.message ? ' ' + row.message : ''}`,
      ...(row.checks ?? []).map(
        (c) => `  ${c.status.padEnd(7)} ${c.id}: ${c.message}${c.evidence.length ? '\n      ' + c.evidence.join('\n      ') : ''}`,
      ),
      r.stderr.trim() ? `  stderr: ${r.stderr.trim().split('\n').slice(-5).join('\n          ')}` : '',
    ].join('\n');
    expect(row.instance ?? instance, explain).toBe(instance);
    expect(await runtime.listContainers(labelFilter(labName, instance)), `containers left by ${instance}`).toEqual([]);
    expect(await runtime.listNetworks(labelFilter(labName, instance)), `networks left by ${instance}`).toEqual([]);
    return { code: r.code, row, explain };
  } finally {
    await removeInstance(runtime, labName, instance).catch(() => undefined);
  }
}

/**
 * The usual Docker test of a lab, through \`lab selftest\` (the code path an author runs): the reference scores
 * full marks, and each mistake (every folder under mistakes/) fails exactly the checks its expect.yaml declares,
 * in the lab's order. The cases are read from the lab folder, so a new lab or mistake needs no test edit.
 * \`concurrent\`: the cases run at once, each in its own instance.
 */
export function describeLabGrading(
  labRef: string,
  ...args: [opts?: { concurrent?: boolean }] | [legacy: Record<string, string[]>, opts?: { concurrent?: boolean }]
): void {
  // The older form also listed each mistake's failing checks here: still accepted, and held to its expect.yaml.
  const legacy =
    args.length === 2 || (args[0] !== undefined && !('concurrent' in args[0])) ? (args[0] as Record<string, string[]>) : undefined;
  const opts = ((legacy ? args[1] : args[0]) as { concurrent?: boolean } | undefined) ?? {};
  const lab = loadLab(labRef.includes('/') ? labRef : join(ROOT, 'labs', labRef));
  const labName = lab.name;
  const cases = selftestCases(lab);
  (opts.concurrent ? describe.concurrent : describe)(`${labName} graded on a real engine (lab selftest)`, () => {
    it('declares what each mistake fails', () => {
      for (const c of cases) expect(c.problem, `${labName} ${c.name}`).toBeUndefined();
      expect(cases.length, 'a reference and at least one mistake').toBeGreaterThanOrEqual(2);
      if (legacy)
        expect(Object.fromEntries(cases.filter((c) => c.name !== 'reference').map((c) => [c.name, c.expectFails]))).toEqual(legacy);
    });

    for (const c of cases) {
      const title =
        c.name === 'reference' ? 'the reference scores full marks' : `mistakes/${c.name} fails exactly ${c.expectFails.join(', ')}`;
      it(title, async () => {
        const { code, row, explain } = await selftestCase(labRef, labName, c.name);
        expect(row.actualFails, explain).toEqual(c.expectFails);
        expect(row.status, explain).toBe(c.name === 'reference' ? 'passed' : 'failed');
        expect(row.ok, explain).toBe(true);
        expect(code, explain).toBe(0);
      });
    }
  });
}
