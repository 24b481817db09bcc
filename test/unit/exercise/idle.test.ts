// The idle rule (src/exercise/idle.ts): the sample the node takes each round, on /proc files captured from real
// processes (test/fixtures/proc-stat: a Node.js program asleep with a timer, a busy loop in R, the UDP table
// with and without a name lookup to the engine's DNS in flight); then the waits with it, run for real with sh on
// real processes started through the wrapper (test/helpers/local-runtime.ts). Before the rule each of these
// waits ran to its time limit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IDLE_SAMPLE_AWK, idleRule, takeIdleReport, type IdleProgram } from '../../../src/exercise/idle.js';
import {
  launchThen,
  processState,
  runToken,
  signalAndWait,
  waitForEnd,
  waitForOutput,
  type LaunchSpec,
} from '../../../src/exercise/programs.js';
import { startAndWait } from '../../../src/exercise/start.js';
import { resolveStep, type StepOfKind } from '../../../src/lab/resolve.js';
import { localLab } from '../../helpers/local-runtime.js';
import type { RunningLab } from '../../../src/deploy/running-lab.js';
import type { ExecResult } from '../../../src/runtime/runtime.js';

const FIX = join(import.meta.dirname, '../../fixtures/proc-stat');

/** The sample's awk on fixture files, as the node runs it: the UDP table, then stat files. */
function sample(udp: string, dir: string, own = ''): string {
  const pid = readdirSync(join(FIX, dir))[0] ?? '';
  const tasks = readdirSync(join(FIX, dir, pid, 'task')).map((t) => join(FIX, dir, pid, 'task', t, 'stat'));
  const stat = join(FIX, dir, pid, 'stat');
  return execFileSync('awk', [
    '-v',
    `need=${own ? 1 : 0}`,
    '-v',
    `r=${own === 'self' ? stat : own}`,
    IDLE_SAMPLE_AWK,
    join(FIX, udp, 'net/udp'),
    stat,
    ...tasks,
  ])
    .toString()
    .trim();
}

describe("the idle watch's sample", () => {
  it('a program asleep (every thread in S) gives its processes and CPU time as the signature', () => {
    // 13339: node with a 1 s setInterval, 7 threads all S; utime 4 ticks (40 ms), no stime, no children.
    expect(sample('quiet', 'sleeping')).toBe(',13339:4');
    expect(sample('quiet', 'sleeping', 'self')).toBe(',13339:4');
  });

  it('a thread in R is not idle, nor is a name lookup the engine has not answered', () => {
    expect(sample('quiet', 'busy')).toBe('busy');
    expect(sample('lookup', 'sleeping')).toBe('busy');
  });

  it('the awaited program must be among the processes (the window starts only once it has started)', () => {
    expect(sample('quiet', 'sleeping', '/proc/1/stat')).toBe('busy');
  });

  it('files that are gone are skipped (a process that ended between the listing and the read)', () => {
    const out = execFileSync('awk', [IDLE_SAMPLE_AWK, join(FIX, 'quiet/net/udp'), '/proc/0/stat', '/proc/0/task/*/stat']).toString();
    expect(out.trim()).toBe(':0');
  });

  it('reads the report line a wait prints first', () => {
    expect(takeIdleReport('@@idlewatch 1 2269271 2269327 ,18240:0\n@@running\n')).toEqual({
      report: { ended: true, since: 2269271, now: 2269327, sig: ',18240:0' },
      rest: '@@running\n',
    });
    expect(takeIdleReport('@@idlewatch 0 -1 5 \n@@exited\n').report).toEqual({ ended: false, since: -1, now: 5, sig: '' });
    expect(takeIdleReport('@@running\n')).toEqual({ rest: '@@running\n' });
  });
});

const work = mkdtempSync(join(tmpdir(), 'toplab-idle-'));
const running = localLab();
const launched: LaunchSpec[] = [];
afterAll(async () => {
  for (const s of launched) {
    const st = await processState(running, s);
    if (st.pid !== undefined && st.exitCode === undefined) await signalAndWait(running, s, 'KILL', 5000);
  }
  rmSync(work, { recursive: true, force: true });
}, 30_000);

let n = 0;
/** A program started through the wrapper, here, as a node starts it. */
async function start(name: string, argv: string[]): Promise<LaunchSpec> {
  const s: LaunchSpec = { name, container: 'local', runDir: join(work, `runs-${n++}`), argv, token: runToken(), env: {} };
  launched.push(s);
  await launchThen(running, s, 'sleep 0.2', 10_000);
  return s;
}
const SLEEPS = ['node', '-e', 'setInterval(() => {}, 1000)'];
const SPINS = ['sh', '-c', 'while :; do :; done'];
const program = (s: LaunchSpec): IdleProgram => s;

describe('waits with the idle rule, on real processes', () => {
  it('a program asleep with a timer that never prints: the wait for its output ends as idle', async () => {
    const s = await start('silent', SLEEPS);
    const r = await waitForOutput(running, s, /^hello$/m, 20_000, idleRule(running, 0.3, program(s), []));
    expect(r.outcome).toBe('idle');
  }, 30_000);

  it('a busy loop is never idle: the wait runs to its time limit', async () => {
    const s = await start('spinning', SPINS);
    expect(await waitForEnd(running, s, 1500, idleRule(running, 0.3, program(s), []))).toBe('running');
  }, 30_000);

  it('idle only when every other program still running is idle too', async () => {
    const awaited = await start('awaited', SLEEPS);
    const busyPeer = await start('peer-busy', SPINS);
    // The peer is another node's program here: its own watch, alongside.
    const peer = { ...program(busyPeer), container: 'other' };
    expect(await waitForEnd(running, awaited, 2500, idleRule(running, 0.3, program(awaited), [peer]))).toBe('running');
    const quietPeer = await start('peer-quiet', SLEEPS);
    expect(
      await waitForEnd(running, awaited, 20_000, idleRule(running, 0.3, program(awaited), [{ ...program(quietPeer), container: 'other' }])),
    ).toBe('idle');
  }, 60_000);

  it('a server that never listens fails its start saying why, instead of at the readiness timeout', async () => {
    const s: LaunchSpec = { name: 'server', container: 'local', runDir: join(work, 'server'), argv: SLEEPS, token: runToken(), env: {} };
    launched.push(s);
    const step = resolveStep({ start: 'server', ready: { tcp: 1, timeout: 20 } }, 0) as StepOfKind<'start'>;
    await expect(startAndWait(running, step, s)).rejects.toThrow(
      /^server did not listen on TCP port 1 in node : after starting it went idle \(asleep, no CPU time used\) for 0\.5 s without doing so; this lab takes that as never \(ready\.idle\)$/,
    );
    // Turned off, the same start waits for its timeout.
    const off: LaunchSpec = { ...s, token: runToken() };
    launched.push(off);
    const patient = resolveStep({ start: 'server', ready: { tcp: 1, timeout: 1.5, idle: false } }, 0) as StepOfKind<'start'>;
    await expect(startAndWait(running, patient, off)).rejects.toThrow(/^server was not ready after 1\.5s/);
  }, 60_000);
});

describe('the idle rule across nodes: when the common window ends', () => {
  /** A runtime whose every exec (a sample in the other node) answers this report line. */
  function answering(line: string): RunningLab {
    const exec = async (): Promise<ExecResult> => ({
      stdout: Buffer.from(line),
      stderr: Buffer.alloc(0),
      exitCode: 0,
      timedOut: false,
      droppedStdout: 0,
      droppedStderr: 0,
      durationMs: 1,
    });
    return { runtime: { exec } } as unknown as RunningLab;
  }
  const client: IdleProgram = { container: 'c', runDir: '/run/toplab/client', name: 'client', token: 't1' };
  const server: IdleProgram = { container: 's', runDir: '/run/toplab/server', name: 'server', token: 't2' };

  it('another node sampled idle as the wait began needs no second window once the awaited node is idle', async () => {
    // The server's node was asleep at 10.00 s (its first sample); the client's node has been idle from 10.20 to 10.70 s.
    const rule = idleRule(answering('@@idlewatch 0 1000 1000 ,7:0\n'), 0.5, client, [server]);
    expect(rule?.watch().until).toBe(0);
    expect(await rule?.decide({ ended: true, since: 1020, now: 1070, sig: ',9:3' })).toBe(false);
    // The confirmation runs up to now (10.70 s), not a whole window later (11.45 s before the first sample).
    expect(rule?.watch().until).toBe(1070);
  });

  it('another node not idle at the start: the confirmation waits a whole window after the awaited node', async () => {
    const rule = idleRule(answering('@@idlewatch 0 -1 1000 \n'), 0.5, client, [server]);
    rule?.watch();
    expect(await rule?.decide({ ended: true, since: 1020, now: 1070, sig: ',9:3' })).toBe(false);
    expect(rule?.watch().until).toBe(1070 + 50 + 25);
  });
});
