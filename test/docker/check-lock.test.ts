// Two `lab check`s started at once on one running instance (two terminals): each run has the instance to
// itself (the run lock, src/deploy/run-lock.ts), so the unmodified reference gets full marks both times and
// one of them says it waited. Before the lock, they stopped and probed each other's programs (0/15, 11/15).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeInstance } from '../../src/deploy/down.js';
import { runLockFilter } from '../../src/deploy/run-lock.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const LAB = 'socket-addresses';
const instance = uniqueInstance('checklock');
const results = mkdtempSync(join(tmpdir(), 'toplab-check-lock-'));

interface Report {
  status: string;
  score: number;
  maxScore: number;
  checks: { id: string; status: string; message: string }[];
}

describe('two lab checks at once on one instance', () => {
  afterAll(async () => {
    await removeInstance(runtime, LAB, instance);
    rmSync(results, { recursive: true, force: true });
  });

  it('gives the reference full marks in both, one after the other, and the second says it waited', async () => {
    const up = await lab(['up', LAB, '--instance', instance], { timeoutMs: 300_000 });
    expect(up.code, up.stderr).toBe(0);
    const runs = await Promise.all(
      [1, 2].map((i) =>
        lab(['check', LAB, '--instance', instance, '--format', 'json', '--results', join(results, String(i))], { timeoutMs: 600_000 }),
      ),
    );
    const seen = runs.map((r) => {
      const report = JSON.parse(r.stdout) as Report;
      return `${report.status} ${report.score}/${report.maxScore} ${report.checks
        .filter((c) => c.status !== 'passed')
        .map((c) => `${c.id}: ${c.message}`)
        .join('; ')}`;
    });
    expect(
      seen.filter((s) => !/^passed (\d+)\/\1 $/.test(s)),
      seen.join('\n'),
    ).toEqual([]);
    const waited = runs.filter((r) => r.stderr.includes(`waiting for another check on ${LAB}/${instance} (pid `));
    expect(waited.length, runs.map((r) => r.stderr).join('\n---\n')).toBe(1);
    // Neither left its lock behind.
    expect(await runtime.listContainers(runLockFilter(LAB, instance))).toEqual([]);
  }, 1_200_000);
});
