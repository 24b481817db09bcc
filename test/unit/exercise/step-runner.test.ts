// The exercise's step runner (runExercise) on the in-memory engine, its programs simulated by the script table
// (test/fakes/node-programs.ts): step order, readiness and run timeouts, what a failed step leaves for the
// steps after it, and an interruption or a vanished instance ending the run as an error, never a failed step.
// The same logic against a real engine: test/docker/tcp-handshake.test.ts, kinds.test.ts, reliability.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deploy } from '../../../src/deploy/up.js';
import { EngineError, InstanceGoneError, InterruptedError } from '../../../src/errors.js';
import { endProbeName } from '../../../src/exercise/observations.js';
import { runExercise } from '../../../src/exercise/run.js';
import { describeStep } from '../../../src/exercise/step-text.js';
import { loadLab } from '../../../src/lab/load.js';
import type { Lab } from '../../../src/lab/model.js';
import { resolveLab } from '../../../src/lab/resolve.js';
import { MemoryRuntime, type ExecRule } from '../../fakes/memory-runtime.js';
import { NodePrograms, SETTLED, type ProgramBehaviour } from '../../fakes/node-programs.js';

const tmp = mkdtempSync(join(tmpdir(), 'toplab-step-runner-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LAB = `name: steps
title: Steps in order
networks: { lan: { subnet: 10.0.1.0/24 } }
nodes:
  server: { interfaces: { lan: 10.0.1.10 } }
  client: { interfaces: { lan: 10.0.1.20 } }
programs:
  server: { node: server, source: server.ts, env: { PORT: "9000" } }
  client: { node: client, source: client.ts, args: ["10.0.1.10"] }
exercise:
  - start: server
    ready: { tcp: 9000, timeout: 1 }
  - capture: { name: wire, node: server, filter: tcp port 9000 }
  - run: client
    timeout: 1
  - wait: { output: server, matches: "^listening", timeout: 1 }
  - command: { name: look, node: client, run: "echo look" }
  - stop: wire
checks:
  - { id: listen, points: 1, socket: { node: server, tcp: 9000, state: LISTEN } }
  - { id: echo, points: 2, output: { program: client, equals: hello } }
`;

function writeLab(folder: string, text: string): Lab {
  const dir = join(tmp, folder);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.yaml'), text);
  writeFileSync(join(dir, 'server.ts'), 'export {};\n');
  writeFileSync(join(dir, 'client.ts'), 'export {};\n');
  return loadLab(dir);
}
const lab = writeLab('steps', LAB);
/** The same lab with short timeouts, for the tests that wait them out. */
const quick = writeLab('steps-quick', LAB.replace(/timeout: 1\b/g, 'timeout: 0.3'));

const WORKING: Record<string, ProgramBehaviour> = {
  server: { stdout: 'listening on 9000\n', runsMs: Infinity, listens: { tcp: 9000 } },
  client: { stdout: 'hello\n', runsMs: 30 },
  look: { stdout: 'look\n' },
};

let n = 0;
async function up(
  behaviours: Record<string, ProgramBehaviour>,
  first: ExecRule[] = [],
  of: Lab = lab,
): Promise<{ engine: MemoryRuntime; programs: NodePrograms; running: Awaited<ReturnType<typeof deploy>>['running'] }> {
  const engine = new MemoryRuntime();
  const programs = new NodePrograms(engine, behaviours);
  engine.script(...first, ...programs.rules(), SETTLED);
  const { running } = await deploy(of, { runtime: engine, instance: `sr${n++}`, image: 'toplab/lab:test', programs: [] });
  return { engine, programs, running };
}

const descriptions = lab.steps.map((s) => describeStep(s));

describe('the step runner (runExercise)', () => {
  it('runs the steps in order, each once, and records what every program did', async () => {
    const { engine, programs, running } = await up(WORKING);
    const lines: string[] = [];
    const obs = await runExercise(running, { onStep: (l) => lines.push(l), fresh: true });
    expect(lines).toEqual(descriptions);
    expect(obs.steps.map((s) => [s.index, s.description, s.status, s.message])).toEqual(
      descriptions.map((d, i) => [i, d, 'ok', undefined]),
    );
    expect(programs.runs.map((r) => r.name)).toEqual(['server', 'client', 'look']);
    // Programs run as the student with node, their args and env; the command as the student with sh.
    const client = programs.runsOf('client')[0];
    expect(client?.argv).toEqual(['node', '--enable-source-maps', '/opt/toplab/programs/client.mjs', '10.0.1.10']);
    expect(client?.env).toMatchObject({ TOPLAB_LAB: 'steps', TOPLAB_INSTANCE: running.plan.instance, HOME: '/home/student' });
    expect(programs.runsOf('look')[0]?.argv).toEqual(['sh', '-c', 'echo look']);
    const launches = engine.calls.filter((c) => c.method === 'exec' && (c.args[1] as string[])[3] === 'toplab-launch');
    expect(launches.map((c) => (c.args[2] as { user?: string }).user)).toEqual(['1000:1000', '1000:1000', '1000:1000']);
    expect(obs.programs.client).toMatchObject({
      node: 'client',
      kind: 'program',
      stdout: 'hello\n',
      exitCode: 0,
      timedOut: false,
      running: false,
    });
    expect(obs.programs.look).toMatchObject({ node: 'client', kind: 'command', stdout: 'look\n', exitCode: 0 });
    // The server still runs at the end: its output so far, no exit code.
    expect(obs.programs.server).toMatchObject({ stdout: 'listening on 9000\n', running: true });
    expect(obs.programs.server?.exitCode).toBeUndefined();
    expect(obs.captures.wire).toEqual({ node: 'server', packets: [] });
    // The check on the server's socket gets an end-of-run probe, taken from the server's observer.
    expect(obs.probes[endProbeName('server', 'sockets')]?.sockets?.map((s) => [s.proto, s.localPort, s.state])).toEqual([
      ['tcp', 9000, 'LISTEN'],
    ]);
    expect(engine.leftovers().containers).toEqual(['tl-steps-sr0-client', 'tl-steps-sr0-server', 'tl-steps-sr0-server-observer']);
  });

  it('a program that never becomes ready: the start fails after its timeout, naming what it waited for; the later steps still run', async () => {
    const { engine, programs, running } = await up({ ...WORKING, server: { stdout: 'starting\n', runsMs: Infinity } }, [], quick);
    const obs = await runExercise(running, { fresh: true });
    expect(obs.steps.map((s) => s.status)).toEqual(['failed', 'ok', 'ok', 'failed', 'ok', 'ok']);
    expect(obs.steps[0]?.message).toBe(
      'server was not ready after 0.3s: there was still no TCP socket listening on port 9000 in node server; it printed:\n    starting',
    );
    expect(obs.steps[3]?.message).toBe(
      'server printed nothing matching /^listening/ within 0.3s (it was still running); it printed:\n    starting',
    );
    expect(programs.runs.map((r) => r.name)).toEqual(['server', 'client', 'look']);
    expect(obs.programs.client?.stdout).toBe('hello\n');
    // The waits in the node last no longer than the readiness timeout: 6 rounds of 50 ms for 0.3 s.
    const waits = engine
      .execs()
      .filter((c) => c.join(' ').includes('/proc/net/tcp /proc/net/tcp6'))
      .map((c) => Number(/while \[ \$i -lt (\d+) \]/.exec(c[2] ?? '')?.[1]));
    expect(waits.length).toBeGreaterThan(0);
    for (const rounds of waits) expect(rounds).toBeLessThanOrEqual(6);
  });

  it('a program that ends before it is ready: its exit code and the line that says why', async () => {
    const { running } = await up({
      ...WORKING,
      server: { stderr: 'node:events:497\n      throw er;\nError: listen EADDRINUSE: address already in use :::9000\n', exitCode: 1 },
    });
    const obs = await runExercise(running, { fresh: true });
    expect(obs.steps[0]?.message).toBe(
      'server exited with code 1 before it was ready (a TCP socket listening on port 9000 in node server); it printed:\n    Error: listen EADDRINUSE: address already in use :::9000',
    );
    expect(obs.steps[3]?.message).toMatch(/^server exited with code 1 without printing a line matching \/\^listening\//);
  });

  it('a run that outlives its timeout: killed, marked timed out, with no exit code; the next steps run', async () => {
    const { programs, running } = await up({ ...WORKING, client: { stdout: 'waiting for the server\n', runsMs: Infinity } }, [], quick);
    const obs = await runExercise(running, { fresh: true });
    expect(obs.steps.map((s) => s.status)).toEqual(['ok', 'ok', 'failed', 'ok', 'ok', 'ok']);
    expect(obs.steps[2]?.message).toBe('client did not finish within 0.3s and was stopped');
    expect(obs.programs.client).toMatchObject({ stdout: 'waiting for the server\n', timedOut: true, running: false });
    expect(obs.programs.client?.exitCode).toBeUndefined();
    expect(programs.runsOf('client')[0]?.signals).toEqual(['KILL']);
    expect(programs.runsOf('look')).toHaveLength(1);
  });

  it("a program that did not compile: its step fails with the compiler's message and it is never launched", async () => {
    const { programs, running } = await up(WORKING);
    const obs = await runExercise(running, {
      fresh: true,
      unavailable: { client: "client.ts:3:7 - error TS2322: Type 'number' is not assignable to type 'string'." },
    });
    expect(obs.steps[2]).toMatchObject({
      status: 'failed',
      message: "client.ts:3:7 - error TS2322: Type 'number' is not assignable to type 'string'.",
    });
    expect(obs.programs.client).toMatchObject({
      node: 'client',
      kind: 'program',
      stdout: '',
      error: "client.ts:3:7 - error TS2322: Type 'number' is not assignable to type 'string'.",
    });
    expect(programs.runsOf('client')).toEqual([]);
  });

  it('a stop step ends a background program with SIGTERM, and with SIGKILL when it ignores that', async () => {
    // The lab's file without its wait, and a stop at the end: resolved again, as loadLab would.
    const def = { ...lab.def, exercise: [...lab.def.exercise.filter((s) => !('wait' in s)), { stop: 'server' }] };
    const stopLab: Lab = { ...lab, ...resolveLab(def), def };
    for (const [behaviour, signals, exitCode] of [
      [{ runsMs: Infinity, listens: { tcp: 9000 } }, ['TERM'], 143],
      [{ runsMs: Infinity, listens: { tcp: 9000 }, ignoresTerm: true }, ['TERM', 'KILL'], 137],
    ] as const) {
      const { programs, running } = await up({ ...WORKING, server: behaviour });
      const obs = await runExercise({ ...running, lab: stopLab }, { fresh: true });
      expect(obs.steps.at(-1)).toMatchObject({ description: 'stop server', status: 'ok' });
      expect(programs.runsOf('server')[0]?.signals).toEqual(signals);
      expect(obs.programs.server).toMatchObject({ running: false, exitCode });
    }
  });

  it('a wait for a program to end that runs out: the program is stopped as `stop` does (not left running past the run), timed out, no exit code', async () => {
    const def = {
      ...quick.def,
      exercise: [{ start: 'server', ready: { tcp: 9000, timeout: 0.3 } }, { wait: { exit: 'server', timeout: 0.3 } }],
      checks: [],
    };
    const waitLab: Lab = { ...quick, ...resolveLab(def), def };
    for (const [behaviour, signals] of [
      [{ stdout: 'listening on 9000\n', runsMs: Infinity, listens: { tcp: 9000 } }, ['TERM']],
      [{ stdout: 'listening on 9000\n', runsMs: Infinity, listens: { tcp: 9000 }, ignoresTerm: true }, ['TERM', 'KILL']],
    ] as const) {
      const { programs, running } = await up({ ...WORKING, server: behaviour }, [], quick);
      const obs = await runExercise({ ...running, lab: waitLab }, { fresh: true });
      expect(obs.steps.map((s) => [s.status, s.message])).toEqual([
        ['ok', undefined],
        ['failed', 'server was still running after 0.3s and was stopped'],
      ]);
      const run = programs.runsOf('server')[0];
      expect(run?.signals).toEqual(signals);
      // Ended by the run, not left spinning on an instance that stays up after `lab check`.
      expect(run?.endedAt).toBeDefined();
      expect(obs.programs.server).toMatchObject({ stdout: 'listening on 9000\n', timedOut: true, running: false });
      expect(obs.programs.server?.exitCode).toBeUndefined();
    }
  });

  it('a wait for a program to end that it does end in time leaves it be: no signal', async () => {
    const def = { ...quick.def, exercise: [{ start: 'server' }, { wait: { exit: 'server', timeout: 1 } }], checks: [] };
    const waitLab: Lab = { ...quick, ...resolveLab(def), def };
    const { programs, running } = await up({ ...WORKING, server: { stdout: 'done\n', runsMs: 50 } }, [], quick);
    const obs = await runExercise({ ...running, lab: waitLab }, { fresh: true });
    expect(obs.steps.map((s) => s.status)).toEqual(['ok', 'ok']);
    expect(programs.runsOf('server')[0]?.signals).toEqual([]);
    expect(obs.programs.server).toMatchObject({ exitCode: 0, running: false, timedOut: false });
  });

  it('interrupted during a step: the run ends at once with the interruption (an error, not a failed step), and no later step starts', async () => {
    const { engine, programs, running } = await up({ ...WORKING, client: { runsMs: Infinity } });
    const controller = new AbortController();
    const run = runExercise(running, {
      fresh: true,
      signal: controller.signal,
      onStep: (l) => l.startsWith('run client') && setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 50),
    });
    await expect(run).rejects.toBeInstanceOf(InterruptedError);
    expect(programs.runs.map((r) => r.name)).toEqual(['server', 'client']);
    // The exec waiting for the client was dropped, not waited out.
    expect(engine.dropped.map((cmd) => [cmd[3], cmd.at(-1)])).toEqual([['toplab-launch', '10.0.1.10']]);
  });

  it('an instance removed during the run: InstanceGoneError naming the node, never a failed step', async () => {
    const { engine, running } = await up({ ...WORKING, client: { runsMs: Infinity } });
    const run = runExercise(running, {
      fresh: true,
      onStep: (l) => l.startsWith('run client') && setTimeout(() => engine.stop('tl-steps-sr' + (n - 1) + '-client'), 50),
    });
    const e = await run.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InstanceGoneError);
    expect((e as Error).message).toBe(
      `the instance steps/${running.plan.instance} went away during the exercise (node client's container stopped): another command may have removed it (lab down), the engine restarted, or its lease ran out; not graded`,
    );
  });

  it("an engine that stops answering during a step, a capture or a probe: the run ends with the engine's error, never a failed step or an empty observation", async () => {
    const noAnswer = new EngineError(
      'the Docker engine at memory:// did not answer within 60s while running `sh` in container ctr000000003',
    );
    const cases: [string, ExecRule][] = [
      [
        "the client's launch",
        { match: (c) => c.cmd[3] === 'toplab-launch' && c.cmd.at(-1) === '10.0.1.10', reply: () => Promise.reject(noAnswer) },
      ],
      ["the capture's stop", { match: /@@toplab-pcap@@/, reply: () => Promise.reject(noAnswer) }],
      ['the end-of-run socket probe', { match: /^sh -c ss -tanp; echo @@;/, reply: () => Promise.reject(noAnswer) }],
    ];
    for (const [what, rule] of cases) {
      const { running } = await up(WORKING, [rule]);
      const e = await runExercise(running, { fresh: true }).catch((x: unknown) => x);
      expect(e, what).toBe(noAnswer);
    }
  });
});
