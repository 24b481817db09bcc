import { describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { labelFilter } from '../../src/plan/labels.js';
import { lab } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();

interface JsonReport {
  status: string;
  score: number;
  maxScore: number;
  instance: string;
  message?: string;
  steps: { description: string; status: string; message?: string }[];
  checks: { id: string; status: string; message: string }[];
}

async function grade(submission: string): Promise<{ code: number | null; report: JsonReport; ms: number }> {
  const r = await lab([
    'grade',
    'tcp-handshake',
    '--submission',
    `test/fixtures/submissions/tcp-handshake/${submission}`,
    '--format',
    'json',
  ]);
  let report: JsonReport;
  try {
    report = JSON.parse(r.stdout) as JsonReport;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  // Whatever the verdict, the grading instance is gone.
  expect(await runtime.listContainers(labelFilter('tcp-handshake', report.instance))).toEqual([]);
  expect(await runtime.listNetworks(labelFilter('tcp-handshake', report.instance))).toEqual([]);
  return { code: r.code, report, ms: r.ms };
}

function statuses(r: JsonReport): Record<string, string> {
  return Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
}

// The step runner's part of these verdicts (readiness timeouts, a program that ends before it is ready, a run
// killed at its timeout, a program that did not compile) and the clean-up whatever the verdict are also
// unit-tested on the in-memory engine: test/unit/exercise/step-runner.test.ts and test/unit/grade/grade-cleanup.test.ts.
// Here: the real programs, compiled and run in real containers.
describe('lab grade on a real engine', () => {
  it('fails a server that never listens on listen and handshake', async () => {
    const { code, report } = await grade('never-listens');
    expect(code).toBe(1);
    expect(report.status).toBe('failed');
    expect(statuses(report)).toMatchObject({ listen: 'failed', handshake: 'failed', echo: 'failed' });
    expect(report.checks.find((c) => c.id === 'handshake')?.message).toMatch(/RST|listening/);
  });

  it('fails a server that crashes, saying so, without waiting out its readiness timeout', async () => {
    const { code, report } = await grade('crashes');
    expect(code).toBe(1);
    expect(statuses(report)).toMatchObject({ listen: 'failed', handshake: 'failed' });
    // The start ended because the server exited, not because its readiness wait ran out.
    const start = report.steps[0];
    expect(start?.status).toBe('failed');
    expect(start?.message).toMatch(/exited with code 1/);
    expect(start?.message).not.toMatch(/not ready after/);
  });

  it('fails a client that does not compile, with the compiler message', async () => {
    const { code, report } = await grade('no-compile');
    expect(code).toBe(1);
    expect(report.message).toMatch(/client\.ts:4:\d+/);
    expect(statuses(report)).toMatchObject({ listen: 'passed', echo: 'failed' });
  });

  it('stops a client that never exits and fails it', async () => {
    const { code, report } = await grade('loops');
    expect(code).toBe(1);
    expect(statuses(report)).toMatchObject({ echo: 'failed' });
    // The wait for its echo ended at its own 10 s limit with the client still running, and the lab's stop step
    // then ended it: the reasons, in the steps.
    expect(report.steps.map((s) => s.message ?? '')).toContain(
      'client printed nothing matching /^hello$/ within 10s (it was still running)',
    );
    expect(report.steps.find((s) => s.description === 'stop client')?.status).toBe('ok');
  });
});
