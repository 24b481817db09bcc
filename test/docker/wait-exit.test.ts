import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

/**
 * A program a `wait: { exit }` step waits for, still running at the wait's timeout, is stopped by the run (as a
 * `stop` step would): after `lab check`, on the instance that stays up, nothing of it runs.
 */
const LAB = join(ROOT, 'test/fixtures/labs/wait-exit');
const instance = uniqueInstance('waitexit');
const runtime = await DockerRuntime.connect();

afterAll(async () => {
  await removeInstance(runtime, 'wait-exit', instance).catch(() => undefined);
});

describe('wait: { exit } that runs out', () => {
  it('stops the program: the step fails saying so, and after lab check no student process runs in the node', async () => {
    const r = await lab(['check', LAB, '--instance', instance, '--format', 'json'], { timeoutMs: 170_000 });
    const report = JSON.parse(r.stdout) as {
      status: string;
      steps: { description: string; status: string; message?: string }[];
      checks: { id: string; status: string }[];
    };
    expect(report.steps.map((s) => [s.status, s.message])).toEqual([
      ['ok', undefined],
      ['failed', 'server was still running after 1s and was stopped'],
    ]);
    // What the end-of-run socket table saw: the listener gone with its program.
    expect(report.checks).toEqual([expect.objectContaining({ id: 'gone', status: 'passed' })]);
    // The instance is still up (lab check leaves it so), and no process of the student user runs in it.
    const ps = spawnSync('docker', ['exec', `tl-wait-exit-${instance}-server`, 'ps', '-o', 'user=,args=', '-u', '1000'], {
      encoding: 'utf8',
    });
    expect(ps.stderr).toBe('');
    expect(ps.stdout.trim()).toBe('');
  });
});
