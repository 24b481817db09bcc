import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, isGoneError, signalExitCode, ToplabError } from '../../../src/errors.js';
import { findOrphans, sweepTempFolders } from '../../../src/deploy/sweep.js';
import { lockIsLive, refuseWhileBeingCreated } from '../../../src/deploy/lock.js';
import { LABEL, leaseExpired, ownerLabels, ownerState } from '../../../src/plan/labels.js';
import { abortableRuntime } from '../../../src/runtime/abortable.js';
import { timed } from '../../../src/runtime/docker/docker-runtime.js';
import type { ExecOptions, ExecResult, ResourceSummary, Runtime } from '../../../src/runtime/runtime.js';
import { pruneRuns } from '../../../src/app/results.js';

// Made in beforeAll, not at load: a run filtered by -t to no test here runs no hook, and would leave it.
let work = '';
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'toplab-reliability-unit-'));
});
afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

const NOW = new Date('2026-11-29T12:00:00Z');
const owner = (pid: number, host: string, startedMinutesAgo: number, leaseSeconds: number): Record<string, string> =>
  ownerLabels({ command: 'grade', host, pid, started: new Date(NOW.getTime() - startedMinutesAgo * 60_000), leaseSeconds });
const alive = (pid: number): boolean => pid === 100;

function resource(labels: Record<string, string>, name = 'x'): ResourceSummary {
  return { id: name, name, labels };
}

describe('exit codes and errors', () => {
  it('a signal gives 128 + its number', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGHUP')).toBe(129);
    expect(new InterruptedError('SIGTERM').exitCode).toBe(143);
    expect(new InterruptedError('SIGTERM').message).toBe('interrupted by SIGTERM; not graded');
  });

  it('engine 404, and 409 for a container that is not running or being removed, mean gone; other 409s do not', () => {
    expect(isGoneError({ statusCode: 404, message: 'no such container' })).toBe(true);
    expect(
      isGoneError(Object.assign(new Error('(HTTP code 409) container stopped/paused - Container abc is not running'), { statusCode: 409 })),
    ).toBe(true);
    expect(
      isGoneError(Object.assign(new Error('(HTTP code 409) removal of container abc is already in progress'), { statusCode: 409 })),
    ).toBe(false);
    expect(isGoneError(Object.assign(new Error('Conflict. The container name "/x" is already in use'), { statusCode: 409 }))).toBe(false);
    expect(isGoneError(new Error('boom'))).toBe(false);
  });
});

describe('ownership and leases', () => {
  it('an owner is alive or gone only on its own host; elsewhere it cannot be known', () => {
    expect(ownerState(owner(100, 'h1', 0, 60), 'h1', alive)).toBe('alive');
    expect(ownerState(owner(101, 'h1', 0, 60), 'h1', alive)).toBe('gone');
    expect(ownerState(owner(101, 'h2', 0, 60), 'h1', alive)).toBe('unknown');
    expect(ownerState({}, 'h1', alive)).toBe('unknown');
  });

  it('a lease runs out at start + lease; a lab without a lease never does', () => {
    expect(leaseExpired(owner(1, 'h', 2, 60), NOW)).toBe(true);
    expect(leaseExpired(owner(1, 'h', 0.5, 60), NOW)).toBe(false);
    expect(leaseExpired({ [LABEL.ownerPid]: '1' }, NOW)).toBe(false);
  });

  it('a creation lock holds while its owner runs, or, on another host, until its lease ends', () => {
    expect(lockIsLive(owner(100, 'h1', 60, 60), NOW, 'h1', alive)).toBe(true);
    expect(lockIsLive(owner(101, 'h1', 0, 60), NOW, 'h1', alive)).toBe(false);
    expect(lockIsLive(owner(101, 'h2', 0, 60), NOW, 'h1', alive)).toBe(true);
    expect(lockIsLive(owner(101, 'h2', 2, 60), NOW, 'h1', alive)).toBe(false);
  });
});

describe('lab down while another command creates the instance', () => {
  // Only listContainers is used; the lock is listed when the filter names it.
  const runtimeListing = (locks: ResourceSummary[], seen: string[][]): Runtime =>
    ({ listContainers: async (filter: string[]) => (seen.push(filter), locks) }) as unknown as Runtime;
  const lockOf = (pid: number, started: Date): ResourceSummary =>
    resource(
      {
        [LABEL.managed]: 'true',
        [LABEL.role]: 'lock',
        ...ownerLabels({ command: 'up', host: hostname(), pid, started, leaseSeconds: 900 }),
      },
      'tl-lock.l.i',
    );

  it("is refused, naming the creator, while the lock's owner runs; touches nothing", async () => {
    const seen: string[][] = [];
    const live = runtimeListing([lockOf(process.pid, new Date())], seen);
    await expect(refuseWhileBeingCreated(live, 'udp-echo', 'x')).rejects.toThrow(
      new RegExp(`instance x of udp-echo is being created by another command \\(pid ${process.pid}, \`lab up\``),
    );
    expect(seen[0]).toContain(`${LABEL.role}=lock`);
  });

  it('goes ahead when there is no lock, or its owner is gone', async () => {
    await expect(refuseWhileBeingCreated(runtimeListing([], []), 'udp-echo', 'x')).resolves.toBeUndefined();
    // A pid that cannot be running: above the kernel's pid_max limit (4194304).
    await expect(refuseWhileBeingCreated(runtimeListing([lockOf(4_194_305, new Date())], []), 'udp-echo', 'x')).resolves.toBeUndefined();
  });
});

describe('findOrphans', () => {
  const grading = (pid: number, host: string, ago: number, instance: string): Record<string, string> => ({
    [LABEL.managed]: 'true',
    [LABEL.lab]: 'tcp-handshake',
    [LABEL.instance]: instance,
    [LABEL.role]: 'node',
    [LABEL.purpose]: 'grading',
    ...owner(pid, host, ago, 60),
  });
  const ctx = { now: NOW, host: 'h1', isAlive: alive };

  it("never a live owner's instance, a user's lab, or anything without ownership labels", () => {
    const userLab: Record<string, string> = {
      [LABEL.managed]: 'true',
      [LABEL.lab]: 'tcp-handshake',
      [LABEL.instance]: 'default',
      [LABEL.purpose]: 'lab',
      ...owner(101, 'h1', 600, 60),
    };
    delete userLab[LABEL.leaseUntil];
    const old = { [LABEL.managed]: 'true', [LABEL.lab]: 'tcp-handshake', [LABEL.instance]: 'old' };
    const liveLate = grading(100, 'h1', 600, 'live');
    expect(findOrphans([resource(userLab), resource(old), resource(liveLate)], [], ctx)).toEqual([]);
  });

  it('a grading instance whose owner is gone is an orphan; the sweep takes it once the lease has run out', () => {
    const [fresh] = findOrphans([resource(grading(101, 'h1', 0, 'g1'))], [], ctx);
    expect(fresh).toMatchObject({ instance: 'g1', kind: 'grading', owner: 'gone', expired: false });
    const [late] = findOrphans([], [resource(grading(101, 'h1', 5, 'g2'))], ctx);
    expect(late).toMatchObject({ instance: 'g2', owner: 'gone', expired: true });
    expect(late?.reason).toMatch(
      /its owner \(pid 101 on host h1, `lab grade`, since 11:55:00 UTC\) is gone; lease ended 2026-11-29T11:56:00.000Z/,
    );
  });

  it('on another host: an orphan only once the lease has run out', () => {
    expect(findOrphans([resource(grading(101, 'h2', 0, 'g1'))], [], ctx)).toEqual([]);
    expect(findOrphans([resource(grading(101, 'h2', 5, 'g1'))], [], ctx)).toMatchObject([{ owner: 'unknown', expired: true }]);
  });

  it('a creation lock left by a dead `up` makes its instance an orphan, with the lock to remove', () => {
    const lock = {
      [LABEL.managed]: 'true',
      [LABEL.role]: 'lock',
      [LABEL.lockLab]: 'tcp-handshake',
      [LABEL.lockInstance]: 'default',
      ...owner(101, 'h1', 20, 60),
    };
    const node = {
      [LABEL.managed]: 'true',
      [LABEL.lab]: 'tcp-handshake',
      [LABEL.instance]: 'default',
      [LABEL.purpose]: 'lab',
      [LABEL.ownerPid]: '101',
      [LABEL.ownerHost]: 'h1',
    };
    expect(findOrphans([resource(node, 'n'), resource(lock, 'lockid')], [], ctx)).toMatchObject([
      { instance: 'default', kind: 'creating', lockId: 'lockid', expired: true },
    ]);
  });
});

describe('temp folders and results', () => {
  it('the sweep removes submission copies of graders that are gone, and no other folder', () => {
    const dir = join(work, 'tmp');
    for (const d of ['toplab-submission-100-aaa', 'toplab-submission-101-bbb', 'toplab-test-x', 'other'])
      mkdirSync(join(dir, d), { recursive: true });
    expect(sweepTempFolders(alive, dir)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['other', 'toplab-submission-100-aaa', 'toplab-test-x']);
  });

  it('results/<lab> keeps the newest N runs', () => {
    const dir = join(work, 'results', 'lab');
    for (let i = 0; i < 5; i++) {
      mkdirSync(join(dir, `run-${i}`), { recursive: true });
      writeFileSync(join(dir, `run-${i}`, 'report.json'), '{}');
      utimesSync(join(dir, `run-${i}`), new Date(1e12 + i * 1000), new Date(1e12 + i * 1000));
    }
    expect(pruneRuns(dir, 2)).toBe(3);
    expect(readdirSync(dir).sort()).toEqual(['run-3', 'run-4']);
    expect(pruneRuns(join(work, 'none'), 2)).toBe(0);
  });
});

describe('cancellation and timeouts', () => {
  function fakeRuntime(log: string[]): Runtime {
    const never = new Promise<never>(() => undefined);
    return {
      copyFiles: async () => void log.push('copy'),
      ping: async () => undefined,
      usedSubnets: async () => [],
      ensureHostRules: async () => undefined,
      removeHostRules: async () => void log.push('removeHostRules'),
      createNetwork: async () => void log.push('createNetwork'),
      createContainer: async () => (log.push('createContainer'), 'id'),
      createPlaceholder: async () => true,
      exec: (_c: string, _cmd: string[], opts?: ExecOptions): Promise<ExecResult> =>
        new Promise((_, reject) => {
          opts?.signal?.addEventListener('abort', () => reject(opts.signal?.reason as Error));
          void never;
        }),
      execAttached: async () => 0,
      readFile: async () => undefined,
      listContainers: async () => (log.push('list'), []),
      listNetworks: async () => [],
      removeContainers: async () => void log.push('removeContainers'),
      removeNetworks: async () => void log.push('removeNetworks'),
    };
  }

  it('after abort nothing is created or run, a running exec ends with the reason, and listing and removal still work', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const rt = abortableRuntime(fakeRuntime(log), controller.signal);
    await rt.createNetwork({ name: 'n', subnet: '10.0.0.0/24', bridge: 'b', labels: {} });
    const running = rt.exec('c', ['sleep', '9']);
    controller.abort(new InterruptedError('SIGINT'));
    await expect(running).rejects.toThrow('interrupted by SIGINT; not graded');
    await expect(rt.createContainer({ name: 'c', hostname: 'c', image: 'i', labels: {}, networks: [] })).rejects.toBeInstanceOf(
      InterruptedError,
    );
    await rt.listContainers([]);
    await rt.removeContainers(['id']);
    expect(log).toEqual(['createNetwork', 'list', 'removeContainers']);
  });

  it('a lock being made when the abort comes still reaches its maker (who alone can release it)', async () => {
    const log: string[] = [];
    let made: (v: boolean) => void = () => undefined;
    const inner = { ...fakeRuntime(log), createPlaceholder: () => new Promise<boolean>((r) => (made = r)) };
    const controller = new AbortController();
    const rt = abortableRuntime(inner, controller.signal);
    const lock = rt.createPlaceholder('tl-lock.x.y', 'img', {});
    controller.abort(new InterruptedError('SIGINT'));
    made(true);
    await expect(lock).resolves.toBe(true);
    await expect(rt.createPlaceholder('tl-lock.x.z', 'img', {})).rejects.toBeInstanceOf(InterruptedError);
  });

  it('a request to an engine that accepts and never answers ends with a message naming the engine and the request', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${port}`;
    try {
      const { DockerRuntime } = await import('../../../src/runtime/docker/docker-runtime.js');
      const rt = await DockerRuntime.connect();
      // Ended by its own 300 ms limit (the message says so), not by any later one.
      await expect(timed('listing containers', () => rt.docker.listContainers(), 300)).rejects.toThrow(
        `the Docker engine at tcp://127.0.0.1:${port} did not answer within 0.3s while listing containers`,
      );
      await expect(timed('x', () => Promise.resolve(1), 300)).resolves.toBe(1);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('the errors of an interruption are toplab errors the CLI maps to the signal code', () => {
    expect(new InterruptedError('SIGHUP')).toBeInstanceOf(ToplabError);
  });
});

describe('sandbox notes', () => {
  // Captured from a node of the lab image (cgroup v1) after a fork bomb, an OOM kill and a disk fill.
  const after = [
    'oom_kill 1',
    'pids_refused 1254',
    'pids_max 256',
    'df tmpfs 65536 65536 0 100% /run/toplab',
    'df tmpfs 65536 65536 0 100% /tmp',
    'df tmpfs 65536 120 65416 1% /home/student',
    'df tmpfs 32768 0 32768 0% /opt',
  ].join('\n');

  it('reads OOM kills, refused forks and full tmpfs', async () => {
    const { parseSandbox, sandboxNotes } = await import('../../../src/exercise/sandbox.js');
    const st = parseSandbox(after);
    expect(st).toEqual({
      oomKills: 1,
      pidsRefused: 1254,
      pidsMax: 256,
      full: [
        { path: '/run/toplab', sizeKiB: 65536 },
        { path: '/tmp', sizeKiB: 65536 },
      ],
    });
    expect(sandboxNotes('client', st)).toEqual([
      "in node client the kernel's out-of-memory killer ended a process (the node's memory limit was reached)",
      'in node client 1254 forks were refused at the limit of 256 processes (a fork bomb?)',
      'in node client /run/toplab is full (its quota is 64 MiB): writes there failed with "No space left on device"',
      'in node client /tmp is full (its quota is 64 MiB): writes there failed with "No space left on device"',
    ]);
    // What an earlier run on the same lab had already counted is not this run's.
    expect(sandboxNotes('client', st, st)).toEqual([]);
    expect(parseSandbox('')).toEqual({ oomKills: 0, pidsRefused: 0, full: [] });
  });

  it('an output flood: how much was written and how much kept', async () => {
    const { floodNotes } = await import('../../../src/checks/evaluate.js');
    const kept = 'x'.repeat(1024 * 1024);
    expect(
      floodNotes({
        client: { node: 'client', kind: 'program', stdout: kept, stderr: '', timedOut: false, running: false, droppedBytes: 1024 ** 3 },
      }),
    ).toEqual(['client wrote 1.0 GiB of output; 1.0 MiB kept']);
  });
});
