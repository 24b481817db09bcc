import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { LABEL, labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

/**
 * The trials of "nothing left behind, nothing hung": the real CLI, real signals at several points of `up`,
 * `check`, `grade` and a batch, SIGKILL and the next command's sweep, two `up` of one instance at once, and an
 * engine that accepts connections and never answers. After each: the exit code, and nothing left on the
 * engine (found by the owner-pid label every created resource carries) or in the temp folder.
 */
const runtime = await DockerRuntime.connect();
// Made in beforeAll, not at load: a run filtered to other files' tests (-t) runs no hook, and would leave it.
let work = '';
const LAB = 'tcp-handshake';
const SUBMISSIONS = join(ROOT, 'test/fixtures/submissions/batch-tcp-handshake');
const BASIC = join(ROOT, 'test/fixtures/labs/tcp-handshake-basic');
const made: { lab: string; instance: string }[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'toplab-reliability-'));
});

afterAll(async () => {
  for (const m of made) await removeInstance(runtime, m.lab, m.instance).catch(() => undefined);
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  pid: number;
  /** Resolves once stderr has shown a line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ['bin/lab.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { re: RegExp; resolve: () => void }[] = [];
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const w of [...watchers])
      if (w.re.test(stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return {
    child,
    pid: child.pid ?? -1,
    done,
    waitFor: (re, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stderr)) return resolve();
        const t = setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs} ms; stderr so far:\n${stderr}`)), timeoutMs);
        watchers.push({ re, resolve: () => (clearTimeout(t), resolve()) });
      }),
  };
}

/** Everything on the engine that process `pid` created (nodes, observers, networks, its creation lock). */
async function leftBy(pid: number): Promise<string[]> {
  const f = [`${LABEL.managed}=true`, `${LABEL.ownerPid}=${pid}`];
  const [c, n] = await Promise.all([runtime.listContainers(f), runtime.listNetworks(f)]);
  return [...c.map((x) => `container ${x.name}`), ...n.map((x) => `network ${x.name}`)];
}

async function leftIn(lab: string, instance: string): Promise<string[]> {
  const [c, n, locks] = await Promise.all([
    runtime.listContainers(labelFilter(lab, instance)),
    runtime.listNetworks(labelFilter(lab, instance)),
    runtime.listContainers([`${LABEL.role}=lock`, `${LABEL.lockInstance}=${instance}`]),
  ]);
  return [...c, ...n, ...locks].map((x) => x.name);
}

function tempLeftBy(pid: number): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith(`toplab-submission-${pid}-`));
}

const EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

// The clean-up logic behind these (deploy's rollback, the step runner's and grading's handling of an interruption)
// is also unit-tested without an engine: test/unit/deploy/deploy-rollback.test.ts, test/unit/exercise/step-runner.test.ts,
// test/unit/grade/grade-cleanup.test.ts and test/unit/grade/interrupt.test.ts. Here: real processes, signals and containers.
describe('signals: each command removes what it created and exits 128+n', () => {
  const upPoints: [NodeJS.Signals, RegExp, string][] = [
    ['SIGINT', /bringing up/, 'while the containers are being created'],
    ['SIGINT', /start server/, 'during the setup steps'],
    ['SIGTERM', /start server/, 'during the setup steps'],
    ['SIGHUP', /bringing up/, 'while the containers are being created'],
  ];
  for (const [sig, at, when] of upPoints) {
    it(`lab up, ${sig} ${when}: exit ${EXIT[sig]}, nothing left, and the instance is not up`, async () => {
      const instance = uniqueInstance('rel-up');
      made.push({ lab: LAB, instance });
      const r = start(['up', LAB, '--instance', instance]);
      await r.waitFor(at);
      r.child.kill(sig);
      const out = await r.done;
      expect(out.code, out.stderr).toBe(EXIT[sig]);
      expect(out.stdout).not.toMatch(/is up/);
      expect(await leftIn(LAB, instance)).toEqual([]);
      expect(await leftBy(r.pid)).toEqual([]);
    });
  }

  it('lab check of an instance that is not up, SIGINT mid-exercise: exit 130, the instance it made is gone', async () => {
    const instance = uniqueInstance('rel-check');
    made.push({ lab: LAB, instance });
    const r = start([
      'check',
      LAB,
      '--instance',
      instance,
      '--results',
      join(work, 'results'),
      '--format',
      'json',
      '-o',
      join(work, `${instance}.json`),
    ]);
    await r.waitFor(/capture wire/);
    r.child.kill('SIGINT');
    const out = await r.done;
    expect(out.code, out.stderr).toBe(130);
    expect(await leftIn(LAB, instance)).toEqual([]);
    const report = JSON.parse(readFileSync(join(work, `${instance}.json`), 'utf8')) as { status: string; message: string };
    expect(report.status).toBe('error');
    expect(report.message).toMatch(/interrupted by SIGINT; not graded/);
  });

  it("lab check of a running lab, SIGINT mid-exercise: exit 130, and the user's lab stays up", async () => {
    const instance = uniqueInstance('rel-keep');
    made.push({ lab: LAB, instance });
    expect((await lab(['up', LAB, '--instance', instance])).code).toBe(0);
    const r = start(['check', LAB, '--instance', instance, '--results', join(work, 'results')]);
    await r.waitFor(/capture wire/);
    r.child.kill('SIGINT');
    const out = await r.done;
    expect(out.code, out.stderr).toBe(130);
    const nodes = await runtime.listContainers([...labelFilter(LAB, instance), `${LABEL.role}=node`]);
    expect(nodes.filter((c) => c.running)).toHaveLength(2);
    expect((await lab(['down', LAB, '--instance', instance])).code).toBe(0);
  });

  const gradePoints: [NodeJS.Signals, RegExp, boolean][] = [
    ['SIGINT', /start client/, false],
    ['SIGTERM', /start server/, false],
    ['SIGINT', /capture wire/, true],
  ];
  for (const [sig, at, twice] of gradePoints) {
    it(`lab grade, ${sig}${twice ? ' twice (0.2 s apart)' : ''} at ${at.source}: exit ${EXIT[sig]}, an error report, nothing left`, async () => {
      const instance = uniqueInstance('rel-grade');
      made.push({ lab: LAB, instance });
      const report = join(work, `${instance}.json`);
      const r = start([
        'grade',
        LAB,
        '--submission',
        join(SUBMISSIONS, 'ok-reference'),
        '--instance',
        instance,
        '--results',
        join(work, 'results'),
        '--format',
        'json',
        '-o',
        report,
      ]);
      await r.waitFor(at);
      r.child.kill(sig);
      if (twice) setTimeout(() => r.child.kill(sig), 200);
      const out = await r.done;
      expect(out.code, out.stderr).toBe(EXIT[sig]);
      // The reference solution, interrupted: never `failed`, never a score that blames it.
      const json = JSON.parse(readFileSync(report, 'utf8')) as { status: string; message: string; checks: unknown[] };
      expect(json.status).toBe('error');
      expect(json.message).toBe(`interrupted by ${sig}; not graded`);
      expect(await leftIn(LAB, instance)).toEqual([]);
      expect(await leftBy(r.pid)).toEqual([]);
      expect(tempLeftBy(r.pid)).toEqual([]);
    });
  }

  it('a batch, SIGINT after the first student: exit 130, no student started after it, no `failed` for the interrupted, nothing left', async () => {
    const outDir = join(work, 'batch');
    const r = start(['grade', BASIC, '--submissions', SUBMISSIONS, '--parallel', '2', '--output', outDir]);
    await r.waitFor(/\[1\/20\]/, 120_000);
    r.child.kill('SIGINT');
    const out = await r.done;
    expect(out.code, out.stderr).toBe(130);
    expect(await leftBy(r.pid)).toEqual([]);
    expect(tempLeftBy(r.pid)).toEqual([]);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as {
      students: { student: string; status: string; message?: string }[];
    };
    const notGraded = summary.students.filter((s) => s.status === 'error');
    // At most the two in progress and the one just reported were graded after the signal could land.
    expect(notGraded.length).toBeGreaterThanOrEqual(20 - 4);
    for (const s of notGraded) expect(s.message ?? '').toMatch(/interrupted by SIGINT/);
  });
});

describe('a killed command: its instance ends by itself, and the next command sweeps it away', () => {
  it('SIGKILL of lab grade with a CPU-spinning server: stopped at the end of the lease, removed by the next command, not before', async () => {
    const instance = uniqueInstance('rel-kill');
    made.push({ lab: LAB, instance });
    const lease = { TOPLAB_LEASE_SECONDS: '12' };
    const r = start(
      ['grade', LAB, '--submission', join(SUBMISSIONS, 'busy-server'), '--instance', instance, '--results', join(work, 'results')],
      lease,
    );
    await r.waitFor(/start client/);
    r.child.kill('SIGKILL');
    await r.done;
    const nodes = await runtime.listContainers([...labelFilter(LAB, instance), `${LABEL.role}=node`]);
    expect(nodes.length).toBe(2);
    // Before the lease ends: marked as an orphan, but left alone by a command's sweep.
    const status = await lab(['status', LAB, '--instance', instance], { env: lease });
    expect(status.stdout).toMatch(new RegExp(`${instance}\\)  ORPHAN: grading instance; its owner \\(pid ${r.pid}`));
    expect((await leftIn(LAB, instance)).length).toBeGreaterThan(0);
    // The lease is 12 s from creation: the nodes' main process ends, and the spinning server with it.
    const until = Date.parse(nodes[0]?.labels[LABEL.leaseUntil] ?? '');
    await new Promise((res) => setTimeout(res, Math.max(0, until - Date.now())));
    // The engine stops them within moments of the lease's end (polled: a busy engine reports a stop late).
    let running = nodes;
    for (let i = 0; i < 40 && running.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 250));
      running = (await runtime.listContainers([...labelFilter(LAB, instance), `${LABEL.role}=node`])).filter((c) => c.running);
    }
    expect(running).toEqual([]);
    // The next command to talk to the engine sweeps it: this one, or one run meanwhile by anyone on the engine.
    // Whether this command or another one swept it cannot be known beforehand (another command may run
    // between a look and this one): when this one names the instance, it must say it removed it as an orphan.
    const swept = await lab(['status', LAB, '--instance', instance], { env: lease });
    if (swept.stderr.includes(instance)) expect(swept.stderr).toMatch(new RegExp(`removed an orphaned instance ${LAB}/${instance}`));
    expect(await leftIn(LAB, instance)).toEqual([]);
    expect(tempLeftBy(r.pid)).toEqual([]);
  });

  it('SIGKILL of lab up half way: the instance is not up, and the next `lab up` rebuilds it, with its server listening', async () => {
    const instance = uniqueInstance('rel-half');
    made.push({ lab: LAB, instance });
    const r = start(['up', LAB, '--instance', instance]);
    await r.waitFor(/start server/);
    r.child.kill('SIGKILL');
    await r.done;
    const status = await lab(['status', LAB, '--instance', instance]);
    expect(status.stdout).toMatch(/ORPHAN: left half made; its owner \(pid \d+, `lab up`/);
    const again = await lab(['up', LAB, '--instance', instance]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/removing a half-made instance .* left by a command that is gone/);
    expect(again.stdout).toMatch(/is up/);
    const ss = await lab(['exec', LAB, '--instance', instance, 'server', '--', 'sh', '-c', 'ss -tln']);
    expect(ss.stdout).toMatch(/:9000 /);
    expect((await lab(['down', LAB, '--instance', instance])).code).toBe(0);
    expect(await leftIn(LAB, instance)).toEqual([]);
  });

  it("lab down --orphans removes a killed grader's instance at once, and leaves a live lab of another owner alone", async () => {
    const live = uniqueInstance('rel-live');
    const orphan = uniqueInstance('rel-orph');
    made.push({ lab: LAB, instance: live }, { lab: LAB, instance: orphan });
    expect((await lab(['up', LAB, '--instance', live])).code).toBe(0);
    const r = start([
      'grade',
      LAB,
      '--submission',
      join(SUBMISSIONS, 'ok-reference'),
      '--instance',
      orphan,
      '--results',
      join(work, 'results'),
    ]);
    await r.waitFor(/start client/);
    r.child.kill('SIGKILL');
    await r.done;
    const pruned = await lab(['down', '--orphans']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`removed ${LAB} \\(instance ${orphan}\\)`));
    expect(await leftIn(LAB, orphan)).toEqual([]);
    expect((await leftIn(LAB, live)).length).toBeGreaterThanOrEqual(3);
    expect((await lab(['down', LAB, '--instance', live])).code).toBe(0);
  });
});

describe('two commands, one instance', () => {
  it('two `lab up` of one instance at once, three times: exactly one instance, the other says who is creating it', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const instance = uniqueInstance('rel-race');
      made.push({ lab: LAB, instance });
      const [a, b] = await Promise.all([lab(['up', LAB, '--instance', instance]), lab(['up', LAB, '--instance', instance])]);
      const codes = [a.code, b.code].sort();
      const loser = a.code === 0 ? b : a;
      if (codes[1] !== 0) {
        expect(codes).toEqual([0, 4]);
        expect(loser.stderr).toMatch(new RegExp(`instance ${instance} of ${LAB} is being created by another command \\(pid \\d+`));
      } else {
        expect(loser.stdout).toMatch(/already up/);
      }
      const nodes = await runtime.listContainers([...labelFilter(LAB, instance), `${LABEL.role}=node`]);
      expect(nodes.filter((c) => c.running).length).toBe(2);
      expect(await leftIn(LAB, instance)).toHaveLength(3);
      await removeInstance(runtime, LAB, instance);
    }
  });

  it('lab grade --instance refuses a name that is running, and leaves it running', async () => {
    const instance = uniqueInstance('rel-busy');
    made.push({ lab: LAB, instance });
    expect((await lab(['up', LAB, '--instance', instance])).code).toBe(0);
    const g = await lab([
      'grade',
      LAB,
      '--submission',
      join(SUBMISSIONS, 'ok-reference'),
      '--instance',
      instance,
      '--results',
      join(work, 'results'),
    ]);
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/already exists: a grade needs a fresh instance/);
    expect(await leftIn(LAB, instance)).toHaveLength(3);
    await removeInstance(runtime, LAB, instance);
  });

  // Logic also unit-tested: test/unit/exercise/step-runner.test.ts ('an instance removed during the run').
  it('containers removed mid-grade by another command: error "went away", never failed', async () => {
    const instance = uniqueInstance('rel-gone');
    made.push({ lab: LAB, instance });
    const report = join(work, `${instance}.json`);
    const r = start([
      'grade',
      LAB,
      '--submission',
      join(SUBMISSIONS, 'ok-reference'),
      '--instance',
      instance,
      '--results',
      join(work, 'results'),
      '--format',
      'json',
      '-o',
      report,
    ]);
    await r.waitFor(/start client/);
    await removeInstance(runtime, LAB, instance);
    const out = await r.done;
    expect(out.code, out.stderr).toBe(4);
    const json = JSON.parse(readFileSync(report, 'utf8')) as { status: string; message: string };
    expect(json.status).toBe('error');
    expect(json.message).toMatch(new RegExp(`the instance ${LAB}/${instance} went away during the exercise`));
  });
});

// Logic also unit-tested: an engine error mid-run is the run's error (test/unit/exercise/step-runner.test.ts), and the
// request timeout itself (test/unit/runtime/reliability.test.ts). Here: the whole CLI against a socket that never answers.
describe('an engine that accepts and never answers', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server?.close();
  });

  it('lab grade and lab up end with exit 4 within the timeout, naming the engine; grade writes its report', async () => {
    server = createServer((s) => void sockets.push(s));
    await new Promise<void>((res) => server?.listen(0, '127.0.0.1', res));
    const addr = server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
    const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, TOPLAB_ENGINE_TIMEOUT: '2' };
    const report = join(work, 'hung.json');
    const g = await lab(['grade', LAB, '--submission', join(SUBMISSIONS, 'ok-reference'), '--format', 'json', '-o', report], {
      env,
      timeoutMs: 30_000,
    });
    // Ended by the engine timeout (exit 4, and the report below names the 2 s wait), not killed by the test's limit.
    expect(g.code).toBe(4);
    const json = JSON.parse(readFileSync(report, 'utf8')) as { status: string; message: string };
    expect(json.status).toBe('error');
    expect(json.message).toMatch(
      new RegExp(`the Docker engine at tcp://127.0.0.1:${port} did not answer within 2s while checking that it answers`),
    );
    const u = await lab(['up', LAB, '--instance', uniqueInstance('rel-hung')], { env, timeoutMs: 30_000 });
    expect(u.code).toBe(4);
    expect(u.stderr).toMatch(/did not answer within 2s/);
  });
});

describe('the sandbox', () => {
  it('a client that fills its disk is stopped at the quota, and the report says so', async () => {
    const instance = uniqueInstance('rel-disk');
    made.push({ lab: 'tcp-handshake-basic', instance });
    const results = join(work, 'disk');
    const report = join(work, 'disk.json');
    const r = await lab([
      'grade',
      BASIC,
      '--submission',
      join(ROOT, 'test/fixtures/submissions/reliability/disk-fill'),
      '--instance',
      instance,
      '--results',
      results,
      '--format',
      'json',
      '-o',
      report,
    ]);
    const json = JSON.parse(readFileSync(report, 'utf8')) as { status: string; checks: { message: string }[]; artifactsDir: string };
    // The program did its job within the quota: the verdict is about its code; the notes say what was stopped.
    expect(r.code, r.stderr).toBe(0);
    expect(json.checks[0]?.message).toMatch(/in node client \/home\/student is full \(its quota is 64 MiB\)/);
    expect(json.checks[0]?.message).toMatch(/in node client \/tmp is full \(its quota is 64 MiB\)/);
    const stderr = readFileSync(join(json.artifactsDir, 'client.stderr'), 'utf8');
    expect(stderr).toMatch(/\/home\/student: ENOSPC: no space left on device/);
  });
});

describe('the lab named by its file, and a closed stdout', () => {
  it('lab down path/to/copy finds what `lab up path/to/copy` made (the lab file says another name)', async () => {
    const dir = join(work, 'my-lab');
    cpSync(join(ROOT, 'labs', LAB), dir, { recursive: true });
    const file = join(dir, 'lab.yaml');
    const text = readFileSync(file, 'utf8').replace(/^name: .*$/m, 'name: mylab-v2');
    (await import('node:fs')).writeFileSync(file, text);
    const instance = uniqueInstance('rel-name');
    made.push({ lab: 'mylab-v2', instance });
    expect((await lab(['up', dir, '--instance', instance])).code).toBe(0);
    const down = await lab(['down', dir, '--instance', instance]);
    expect(down.stdout).toMatch(/removed mylab-v2/);
    expect(await leftIn('mylab-v2', instance)).toEqual([]);
  });

  it('`lab list | head -1` ends quietly', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn('sh', ['-c', `"${process.execPath}" bin/lab.js list | head -1 >/dev/null`], {
        cwd: ROOT,
        env: { ...process.env, TOPLAB_LABS_DIR: join(ROOT, 'labs') },
      });
      let stderr = '';
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(ROOT)).toBe(true);
  });
});
