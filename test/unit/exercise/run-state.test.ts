import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  launchAndWait,
  signalAndWait,
  launchThen,
  processState,
  runToken,
  waitForExit,
  type LaunchSpec,
} from '../../../src/exercise/programs.js';
import { startAndWait } from '../../../src/exercise/start.js';
import { resolveStep, type StepOfKind } from '../../../src/lab/resolve.js';
import { localLab } from '../../helpers/local-runtime.js';

// The in-node pieces (the wrapper every program runs in, the waits, the reads) run here for real with sh, on
// real files, through a runtime that runs each exec on this machine. Tools on PATH are wrapped to widen the
// moments where one run can meet another's files: what the kernel's scheduler does now and then on a busy node.
const work = mkdtempSync(join(tmpdir(), 'toplab-run-state-'));
const hooks = join(work, 'bin');
mkdirSync(hooks);
function hook(tool: string, body: string): void {
  const file = join(hooks, tool);
  writeFileSync(file, `#!/bin/sh\n${body}\nexec /usr/bin/env -u TOPLAB_HOOKS PATH=/usr/sbin:/usr/bin:/sbin:/bin ${tool} "$@"\n`);
  chmodSync(file, 0o755);
}
// Each hook acts only when TOPLAB_HOOKS names it.
hook('cat', 'case "$TOPLAB_HOOKS:$*" in *slow-token-read*/token) sleep 0.5;; esac');
hook('rm', 'case "$TOPLAB_HOOKS" in *slow-rm*) sleep 0.2;; esac');
hook('date', 'case "$TOPLAB_HOOKS" in *slow-date*) sleep 0.5;; esac');

const running = localLab();
let n = 0;
const launched: LaunchSpec[] = [];
afterAll(async () => {
  // Ends what the tests left running (each by its own run directory), then removes their files.
  for (const s of launched) {
    const st = await processState(running, s);
    if (st.pid !== undefined && st.exitCode === undefined) await signalAndWait(running, s, 'KILL', 5000);
  }
  rmSync(work, { recursive: true, force: true });
}, 30_000);

function spec(argv: string[], hooksOn: string, runDir = join(work, `runs-${n++}`)): LaunchSpec {
  const s: LaunchSpec = {
    name: 'client',
    container: 'local',
    runDir,
    argv,
    token: runToken(),
    env: { PATH: `${hooks}:/usr/sbin:/usr/bin:/sbin:/bin`, TOPLAB_HOOKS: hooksOn },
  };
  launched.push(s);
  return s;
}

/** Gone, or a zombie (killed; where no init reaps orphans, it stays listed until its parent goes). */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(')')[1]?.trim().startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

describe('a run never sees an earlier run of the same name', () => {
  it("does not take the earlier run's exit marker for the new run's end (lab check run twice)", async () => {
    const earlier = spec(['true'], '');
    expect(await launchAndWait(running, earlier, 10_000)).toBe(true);
    // The new run starts while the wait already looks: the earlier exit marker is there when it looks, and the
    // new run's files are there a moment later.
    const next = spec(['sleep', '2'], 'slow-token-read slow-rm', earlier.runDir);
    expect(await launchAndWait(running, next, 1000)).toBe(false);
    expect((await processState(running, next)).exitCode).toBeUndefined();
    expect(await waitForExit(running, next, 10_000)).toBe(true);
    expect((await processState(running, next)).exitCode).toBe(0);
  }, 30_000);

  it('does not let the earlier run of a restarted program write its end into the new run', async () => {
    // A server from the previous check still runs; the next check starts it again. Its wrapper writes its end
    // (slowly here) after the kill.
    const earlier = spec(['sleep', '30'], 'slow-date');
    await launchThen(running, earlier, 'sleep 1', 10_000);
    const earlierPid = (await processState(running, earlier)).pid ?? 0;
    expect(earlierPid).toBeGreaterThan(0);
    const next = spec(['sleep', '30'], 'slow-date', earlier.runDir);
    const started = startAndWait(
      running,
      resolveStep({ start: 'server', ready: { tcp: 1, timeout: 2, idle: false } }, 0) as StepOfKind<'start'>,
      next,
    );
    await expect(started).rejects.toThrow(/was not ready after 2s/);
    const st = await processState(running, next);
    expect(st.exitCode).toBeUndefined();
    expect(st.pid).toBeGreaterThan(0);
    // And the earlier run was ended before this one started (its server would hold the port).
    expect(() => process.kill(earlierPid, 0)).toThrow(/ESRCH/);
  }, 30_000);

  it('ends what an earlier run started in a session of its own before the new run starts (a detached child)', async () => {
    // Last check's server started a child with `detached: true`: it left the run's session, and would still
    // hold the port (and answer) when the server is started again.
    const pidFile = join(work, `detached-${n}.pid`);
    // The child writes its pid once it is in its own session, and the server exits only then: a child still
    // starting when its parent's run ends is in the run's group yet, and goes with it (the wrapper's group kill).
    const earlier = spec(
      [
        'sh',
        '-c',
        'setsid sh -c \'echo $$ >"$1.tmp" && mv "$1.tmp" "$1" && exec sleep 300\' sh "$1" </dev/null >/dev/null 2>&1 & while [ ! -s "$1" ]; do sleep 0.01; done',
        'sh',
        pidFile,
      ],
      '',
    );
    expect(await launchAndWait(running, earlier, 10_000)).toBe(true);
    const child = Number(readFileSync(pidFile, 'utf8').trim());
    expect(child).toBeGreaterThan(0);
    // The earlier run has ended, and its detached child outlived it.
    expect(ended(child)).toBe(false);
    try {
      const next = spec(['true'], '', earlier.runDir);
      expect(await launchAndWait(running, next, 10_000)).toBe(true);
      expect(ended(child)).toBe(true);
    } finally {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 30_000);
});
