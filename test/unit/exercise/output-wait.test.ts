// A wait for a program's output ends on the output, whatever grep in the node makes of it: a program that
// prints its answer with a full-width colon (as a Chinese input method types it) matches `^key\s*[:=]` the way
// the checks read it, as soon as it has printed it; before, each such wait ran to its time limit. The node is
// this machine's shell here (the scripts are the ones the node runs).
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningLab } from '../../../src/deploy/running-lab.js';
import { outputMatches, waitForOutput, waitForOutputScript, type LaunchSpec } from '../../../src/exercise/programs.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-output-wait-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A running lab whose one node is this machine's shell; counts the execs. */
function localLab(): { running: RunningLab; execs: () => number } {
  let n = 0;
  const runtime = {
    exec: (_c: string, argv: string[]) =>
      new Promise((resolve) => {
        n++;
        execFile(argv[0] ?? 'sh', argv.slice(1), { encoding: 'buffer' }, (err, stdout, stderr) =>
          resolve({ exitCode: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, timedOut: false }),
        );
      }),
  };
  return { running: { runtime } as unknown as RunningLab, execs: () => n };
}

function run(name: string, stdout: string): LaunchSpec {
  const spec = { name, container: 'node', runDir: work, token: 'run1', argv: [] } as unknown as LaunchSpec;
  mkdirSync(join(work, name, 'run1'), { recursive: true });
  writeFileSync(join(work, name, 'run1', 'stdout'), stdout);
  return spec;
}

describe('waiting for output', () => {
  it('reads typed text as the checks do', () => {
    expect(outputMatches(/^address-bytes\s*[:=]/m, 'family: AF_INET6\naddress-bytes：0a000114\n')).toBe(true);
    expect(outputMatches(/^port\s*[:=]\s*\d+$/m, 'port：５１２３４\n')).toBe(true);
    expect(outputMatches(/^port\s*[:=]/m, 'address: ::1\n')).toBe(false);
  });

  it('the script in the node ends on new output, not only on a grep match', () => {
    const spec = run('grow', 'address-bytes：0a000114\n');
    const sh = (script: string): Promise<string> => new Promise((r) => execFile('sh', ['-c', script], (_e, out) => r(out)));
    return Promise.all([
      sh(waitForOutputScript(spec, '^address-bytes\\s*[:=]', 0.3)).then((out) => expect(out).toBe('@@waiting\n')),
      sh(waitForOutputScript(spec, '^address-bytes\\s*[:=]', 5, 0)).then((out) =>
        expect(out).toBe(`@@grew ${Buffer.byteLength('address-bytes：0a000114\n')}\n`),
      ),
      // Nothing printed yet (no stdout file): nothing grew.
      sh(waitForOutputScript({ ...spec, name: 'silent' }, '^x', 0.3, 0)).then((out) => expect(out).toBe('@@waiting\n')),
    ]);
  });

  it('a full-width colon matches at once, not at the time limit', async () => {
    const { running, execs } = localLab();
    const spec = run('fullwidth', 'family: AF_INET\naddress-bytes：0a000114\n');
    const r = await waitForOutput(running, spec, /^address-bytes\s*[:=]/m, 10_000);
    expect(r.outcome).toBe('matched');
    // One wait in the node and one read of the output: no polling until the time limit.
    expect(execs()).toBeLessThanOrEqual(2);
  });

  it('output that comes later, and does not match, keeps the wait going until the line that does', async () => {
    const { running } = localLab();
    const spec = run('later', 'starting\n');
    setTimeout(() => appendFileSync(join(work, 'later', 'run1', 'stdout'), 'port：５１２３４\n'), 300);
    expect((await waitForOutput(running, spec, /^port\s*[:=]\s*\d+$/m, 10_000)).outcome).toBe('matched');
  });

  it('a run that ended without the line is reported as such', async () => {
    const { running } = localLab();
    const spec = run('ended', 'bye\n');
    writeFileSync(join(work, 'ended', 'run1', 'exit'), '0\n');
    expect((await waitForOutput(running, spec, /^port\s*[:=]/m, 10_000)).outcome).toBe('exited');
  });
});
