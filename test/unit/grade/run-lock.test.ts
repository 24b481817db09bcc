// Exercise runs on one instance are one at a time (checkInstance's run lock), on the in-memory engine: two
// checks started at once never overlap and both give the verdict of the code alone; the lock goes on every
// ending (passed, failed, engine error, interruption); a lock left by a holder that is gone is taken over.
// The same against a real engine: test/docker/check-lock.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineError, InstanceBusyError, InterruptedError } from '../../../src/errors.js';
import { checkInstance, compileAll, type Compiled } from '../../../src/grade/session.js';
import { acquireRunLock, runLockName } from '../../../src/deploy/run-lock.js';
import { currentOwner } from '../../../src/deploy/up.js';
import { LABEL, ownerLabels } from '../../../src/plan/labels.js';
import { loadLab } from '../../../src/lab/load.js';
import { MemoryRuntime, type ExecRule } from '../../fakes/memory-runtime.js';
import { NodePrograms, SETTLED, type ProgramBehaviour } from '../../fakes/node-programs.js';

const tmp = mkdtempSync(join(tmpdir(), 'toplab-run-lock-'));
beforeAll(() => void vi.stubEnv('TOPLAB_CACHE_DIR', join(tmp, 'cache')));
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(tmp, { recursive: true, force: true });
});

const labDir = join(tmp, 'locked');
mkdirSync(labDir);
writeFileSync(
  join(labDir, 'lab.yaml'),
  `name: locked
title: A checked echo
networks: { lan: { subnet: 10.0.1.0/24 } }
nodes:
  server: { interfaces: { lan: 10.0.1.10 } }
  client: { interfaces: { lan: 10.0.1.20 } }
programs:
  server: { node: server, source: server.ts, env: { PORT: "9000" } }
  client: { node: client, source: client.ts }
exercise:
  - start: server
    ready: { tcp: 9000, timeout: 1 }
  - run: client
    timeout: 1
checks:
  - { id: listen, points: 1, socket: { node: server, tcp: 9000, state: LISTEN } }
  - { id: echo, points: 2, output: { program: client, equals: hello } }
`,
);
for (const f of ['server.ts', 'client.ts']) writeFileSync(join(labDir, f), 'export {};\n');
const lab = loadLab(labDir);
let compiled: Compiled;
beforeAll(async () => void (compiled = await compileAll(lab)));

const WORKING: Record<string, ProgramBehaviour> = {
  server: { runsMs: Infinity, listens: { tcp: 9000 } },
  client: { stdout: 'hello\n', runsMs: 20 },
};
function engineFor(behaviours: Record<string, ProgramBehaviour>, first: ExecRule[] = []): MemoryRuntime {
  const engine = new MemoryRuntime();
  engine.script(...first, ...new NodePrograms(engine, behaviours).rules(), SETTLED);
  return engine;
}
const base = { image: 'toplab/lab:test', instance: 'i1' };
const lockName = runLockName('locked', 'i1');
const lockHeld = (engine: MemoryRuntime): boolean => engine.find(lockName) !== undefined;

describe('one exercise run at a time on an instance (checkInstance)', () => {
  it('two checks started at once: the second waits (and says so), they never overlap, and both pass', async () => {
    const engine = engineFor(WORKING);
    const log: string[] = [];
    const check = (who: string): Promise<string> =>
      checkInstance(lab, compiled, { ...base, runtime: engine, onProgress: (l) => void log.push(`${who} ${l}`) }).then((r) => {
        log.push(`${who} done`);
        return `${r.status} ${r.score}/${r.maxScore}`;
      });
    expect(await Promise.all([check('A'), check('B')])).toEqual(['passed 3/3', 'passed 3/3']);
    // Whichever got the lock first runs all its steps before the other runs any.
    const first = log[0]?.[0] === 'A' || log.some((l) => l.startsWith('B waiting')) ? 'A' : 'B';
    const second = first === 'A' ? 'B' : 'A';
    const waited = log.filter((l) => l.startsWith(`${second} waiting`));
    expect(waited).toEqual([
      `${second} waiting for another check on locked/i1 (pid ${process.pid}, \`lab check\`, since ${waited[0]?.match(/since (\S+)/)?.[1] ?? '?'} UTC) to finish`,
    ]);
    const steps = log.filter((l) => !l.includes(' waiting '));
    const firstDone = steps.indexOf(`${first} done`);
    expect(steps.slice(0, firstDone + 1).every((l) => l.startsWith(first))).toBe(true);
    expect(steps.slice(firstDone + 1).every((l) => l.startsWith(second))).toBe(true);
    expect(steps.filter((l) => l.startsWith(second) && l.includes('start server'))).toHaveLength(1);
    // On the engine: the lock was made, removed, and only then made again.
    const lockCalls = engine.calls
      .map((c, i) => ({ i, c }))
      .filter(
        ({ c }) =>
          (c.method === 'createPlaceholder' && c.args[0] === lockName) ||
          (c.method === 'removeContainers' && (c.args[0] as string[]).includes(lockName)),
      );
    const made = lockCalls.filter(({ c }) => c.method === 'createPlaceholder');
    const removed = lockCalls.filter(({ c }) => c.method === 'removeContainers');
    expect(removed.length).toBe(2);
    const lastMade = made.at(-1)?.i ?? -1;
    expect(lastMade).toBeGreaterThan(removed[0]?.i ?? Infinity);
    // Every exec of the second run comes after the first released the lock.
    const execsBetween = engine.calls.slice(removed[0]?.i ?? 0, lastMade).filter((c) => c.method === 'exec');
    expect(execsBetween).toEqual([]);
    expect(lockHeld(engine)).toBe(false);
  });

  it('the lock goes whatever the ending: a failed verdict, an engine error, an interruption', async () => {
    const failing = engineFor({ ...WORKING, client: { stdout: 'goodbye\n' } });
    expect((await checkInstance(lab, compiled, { ...base, runtime: failing })).status).toBe('failed');
    expect(lockHeld(failing)).toBe(false);

    const noAnswer = new EngineError('the Docker engine at memory:// did not answer within 60s');
    const broken = engineFor(WORKING, [
      {
        match: (c) => c.cmd[3] === 'toplab-launch' && c.cmd.at(-1) === '/opt/toplab/programs/client.mjs',
        reply: () => Promise.reject(noAnswer),
      },
    ]);
    await expect(checkInstance(lab, compiled, { ...base, runtime: broken })).rejects.toBe(noAnswer);
    expect(lockHeld(broken)).toBe(false);

    const hanging = engineFor({ ...WORKING, client: { runsMs: Infinity } });
    const controller = new AbortController();
    const run = checkInstance(lab, compiled, {
      ...base,
      runtime: hanging,
      signal: controller.signal,
      onProgress: (l) => void (l.startsWith('run client') && setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 30)),
    });
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(lockHeld(hanging)).toBe(false);
  });

  it('a lock left by a holder that is gone is taken over; one whose holder runs is waited for, then refused with its holder named', async () => {
    const engine = engineFor(WORKING);
    const dead = { ...ownerLabels({ ...currentOwner('check'), pid: 2 ** 22 + 1 }), [LABEL.ownerHost]: hostname() };
    const labels = { [LABEL.managed]: 'true', [LABEL.role]: 'run-lock', [LABEL.lockLab]: 'locked', [LABEL.lockInstance]: 'i1' };
    expect(await engine.createPlaceholder(lockName, 'toplab/lab:test', { ...labels, ...dead })).toBe(true);
    const r = await checkInstance(lab, compiled, { ...base, runtime: engine });
    expect([r.status, r.score]).toEqual(['passed', 3]);
    expect(lockHeld(engine)).toBe(false);

    // Held by a live process (this one): a bounded wait, then an InstanceBusyError; the holder's lock stays.
    const held = await acquireRunLock(engine, 'locked', 'i1', 'toplab/lab:test', currentOwner('check'));
    const lines: string[] = [];
    const err = await acquireRunLock(engine, 'locked', 'i1', 'toplab/lab:test', currentOwner('check'), {
      waitMs: 100,
      pollMs: 20,
      onWait: (l) => void lines.push(l),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstanceBusyError);
    expect((err as Error).message).toMatch(
      new RegExp(`^another check is still running on instance i1 of locked \\(pid ${process.pid}, \`lab check\``),
    );
    expect(lines).toHaveLength(1);
    expect(lockHeld(engine)).toBe(true);
    await held.release();
    expect(lockHeld(engine)).toBe(false);
  });
});
