import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_LABEL } from '../../../src/engines/engine-runtime.js';
import { LABEL, ownerLabels } from '../../../src/plan/labels.js';
import { labImageTag } from '../../../src/runtime/lab-image.js';
import { loadDockerode } from '../../../src/runtime/docker/load-dockerode.js';
import { lab, ROOT, uniqueInstance } from '../../helpers/cli.js';
import { startTestEngines, type TestEngines } from '../../helpers/engines.js';

const LAB = 'test/fixtures/labs/tcp-handshake-basic';
const LAB_NAME = 'tcp-handshake-basic';
const shared = new (loadDockerode())();

/** Toplab instances (lab/instance) on one engine, by its node containers' labels. */
async function instancesOn(docker: Docker): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, `${LABEL.role}=node`] } });
  return [...new Set(list.map((c) => `${c.Labels[LABEL.lab] ?? ''}/${c.Labels[LABEL.instance] ?? ''}`))].sort();
}

interface StatusJson {
  instances: { lab: string; instance: string; engine: string; nodes: { name: string; running: boolean }[] }[];
  unreachable: { engine: string; error: string }[];
}

// Three real Docker engines in containers, reached over TLS: every test here runs the CLI against them.
describe('an engine pool of three Docker engines over TLS', () => {
  let t: TestEngines;
  let file: string;
  const env = (): Record<string, string> => ({ TOPLAB_ENGINES: file });
  const prefix = uniqueInstance('pool');
  const instances = Array.from({ length: 6 }, (_, i) => `${prefix}-${i}`);

  beforeAll(async () => {
    t = await startTestEngines(3, labImageTag());
    // Capacities 1, 2 and 3: six instances fill the pool exactly.
    file = t.writeEnginesFile({ capacity: [1, 2, 3] });
  }, 600_000);

  afterAll(async () => {
    // The engines go with everything in them, whatever happened above.
    await t?.stop();
  }, 120_000);

  it('lab engines lists each engine: up, its version, the image, instances/capacity', async () => {
    const r = await lab(['engines'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ENGINE\s+ADDRESS\s+STATE\s+VERSION\s+IMAGE\s+INSTANCES/);
    for (const [i, e] of t.engines.entries()) {
      const line = lines.find((l) => l.startsWith(`${e.name} `)) ?? '';
      expect(line).toContain(e.address);
      expect(line).toMatch(new RegExp(`\\bup\\s+20\\.10\\.\\S+\\s+yes\\s+0/${i + 1}\\b`));
    }
  });

  it('a wrong client certificate is a clear error naming the engine', async () => {
    const e = t.engines[0];
    if (!e) throw new Error('no engine e1');
    const wrong = join(t.certDir, 'wrong-engines.yaml');
    writeFileSync(
      wrong,
      [
        'engines:',
        `  - name: badcert`,
        `    address: ${e.address}`,
        '    capacity: 1',
        '    tls:',
        `      ca: ${join(t.certDir, 'ca.pem')}`,
        `      cert: ${join(t.wrongCertDir, 'cert.pem')}`,
        `      key: ${join(t.wrongCertDir, 'key.pem')}`,
      ].join('\n') + '\n',
    );
    const r = await lab(['engines'], { env: { TOPLAB_ENGINES: wrong } });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/badcert .*unreachable/);
    expect(r.stdout).toMatch(
      new RegExp(
        `engine badcert \\(${e.address.replace(/\./g, '\\.')}\\) .*(TLS client certificate|TLS connection).*${join(t.wrongCertDir, 'cert.pem').replace(/\./g, '\\.')}`,
      ),
    );
    const up = await lab(['up', LAB, '--instance', `${prefix}-bad`], { env: { TOPLAB_ENGINES: wrong } });
    expect(up.code).toBe(4);
    expect(up.stderr).toMatch(/no engine can take a new instance: badcert unreachable/);
  });

  it('reaches an engine over ssh:// as well: engines, up, exec and down', async () => {
    const sshFile = t.writeEnginesFile({ capacity: [1, 1, 1], ssh: ['e1'] });
    expect(readFileSync(sshFile, 'utf8')).toMatch(/address: ssh:\/\/root@127\.0\.0\.1:\d+/);
    const listed = await lab(['engines'], { env: { TOPLAB_ENGINES: sshFile } });
    expect(listed.code, listed.stdout + listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^e1 +ssh:\/\/root@127\.0\.0\.1:\d+ +up +20\.10\.\S+ +yes +0\/1/m);
    const instance = `${prefix}-ssh`;
    try {
      const up = await lab(['up', LAB, '--instance', instance], { env: { TOPLAB_ENGINES: sshFile }, timeoutMs: 180_000 });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain(`placing ${LAB_NAME} (instance ${instance}) on engine e1`);
      const ex = await lab(['exec', LAB, '--instance', instance, 'client', '--', 'hostname'], { env: { TOPLAB_ENGINES: sshFile } });
      expect(ex.code, ex.stderr).toBe(0);
      expect(ex.stdout.trim()).toBe('client');
      expect(await instancesOn(t.engines[0]?.docker as Docker)).toEqual([`${LAB_NAME}/${instance}`]);
    } finally {
      const down = await lab(['down', LAB_NAME, '--instance', instance], { env: { TOPLAB_ENGINES: sshFile } });
      expect(down.code, down.stderr).toBe(0);
    }
    expect(await instancesOn(t.engines[0]?.docker as Docker)).toEqual([]);
  });

  it('places six instances over the three engines by capacity (1, 2, 3)', async () => {
    for (const instance of instances) {
      const r = await lab(['up', LAB, '--instance', instance], { env: env(), timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const counts = await Promise.all(t.engines.map(async (e) => (await instancesOn(e.docker)).length));
    expect(counts).toEqual([1, 2, 3]);
    // Nothing of it on the shared engine: the engines really are other hosts.
    expect(await shared.listContainers({ all: true, filters: { label: [`${LABEL.instance}=${instances[0] ?? ''}`] } })).toEqual([]);
    // Each container records its engine.
    for (const e of t.engines) {
      const list = await e.docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`] } });
      expect(new Set(list.map((c) => c.Labels[ENGINE_LABEL]))).toEqual(new Set([e.name]));
    }
    const st = await lab(['status', '--format', 'json'], { env: env() });
    expect(st.code, st.stderr).toBe(0);
    const json = JSON.parse(st.stdout) as StatusJson;
    const mine = json.instances.filter((x) => x.instance.startsWith(prefix));
    expect(mine.map((x) => x.engine).sort()).toEqual(['e1', 'e2', 'e2', 'e3', 'e3', 'e3']);
  });

  it('lab check and lab exec work on an instance on engine e2', async () => {
    const e2 = t.engines[1];
    if (!e2) throw new Error('no engine e2');
    const onE2 = (await instancesOn(e2.docker))[0]?.split('/')[1];
    expect(onE2).toBeDefined();
    const instance = onE2 ?? '';
    const ex = await lab(['exec', LAB, '--instance', instance, 'server', '--', 'sh', '-c', 'hostname; netstat -tln | grep -c :9000'], {
      env: env(),
    });
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout.split('\n').slice(0, 2)).toEqual(['server', '1']);
    const ck = await lab(['check', LAB, '--instance', instance, '--format', 'json'], { env: env(), timeoutMs: 180_000 });
    expect(ck.code, ck.stderr).toBe(0);
    const result = JSON.parse(ck.stdout) as { status: string; checks: { id: string; status: string }[] };
    expect(result.status).toBe('passed');
    expect(result.checks.map((c) => `${c.id} ${c.status}`)).toEqual(['listen passed', 'handshake passed', 'echo passed', 'close passed']);
    // Still only that engine holds it.
    expect(await instancesOn(e2.docker)).toContain(`${LAB_NAME}/${instance}`);
  });

  it('a drained engine gets nothing new, and takes instances again when undrained', async () => {
    const e3 = t.engines[2];
    if (!e3) throw new Error('no engine e3');
    const onE3 = (await instancesOn(e3.docker)).map((x) => x.split('/')[1] ?? '');
    expect(onE3).toHaveLength(3);
    // Two instances off e3: it has room (1/3), the others are full.
    for (const instance of onE3.slice(0, 2)) expect((await lab(['down', LAB_NAME, '--instance', instance], { env: env() })).code).toBe(0);
    expect((await lab(['engines', 'drain', 'e3'], { env: env() })).code).toBe(0);
    const listed = await lab(['engines'], { env: env() });
    expect(listed.stdout).toMatch(/^e3 .* draining .* 1\/3/m);
    const refused = await lab(['up', LAB, '--instance', `${prefix}-drained`], { env: env() });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('no engine can take a new instance: e1 full (1/1), e2 full (2/2), e3 draining');
    expect(await instancesOn(e3.docker)).toHaveLength(1);
    expect((await lab(['engines', 'undrain', 'e3'], { env: env() })).code).toBe(0);
    const placed = await lab(['up', LAB, '--instance', `${prefix}-drained`], { env: env(), timeoutMs: 180_000 });
    expect(placed.code, placed.stderr).toBe(0);
    expect(await instancesOn(e3.docker)).toContain(`${LAB_NAME}/${prefix}-drained`);
  });

  it('lab down --all clears every engine of the pool', async () => {
    const r = await lab(['down', '--all'], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    for (const e of t.engines) {
      expect(await e.docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`] } })).toEqual([]);
      expect(await e.docker.listNetworks({ filters: { label: [`${LABEL.managed}=true`] } })).toEqual([]);
    }
  });

  it('marks and sweeps orphans on the engines of the pool, as on the local engine', async () => {
    const e1 = t.engines[0];
    if (!e1) throw new Error('no engine e1');
    // Two grading instances left on e1 by a grader that is gone (a pid that has ended, on this host): one whose
    // lease still runs (an orphan `lab status` marks and `lab prune` removes), one whose lease ran out (every
    // command's sweep removes it).
    const dead = spawnSync('true').pid ?? 999_999;
    const make = async (instance: string, leaseSeconds: number): Promise<void> => {
      const labels = {
        [LABEL.managed]: 'true',
        [LABEL.lab]: LAB_NAME,
        [LABEL.instance]: instance,
        [LABEL.node]: 'server',
        [LABEL.role]: 'node',
        [LABEL.purpose]: 'grading',
        ...ownerLabels({ command: 'grade', host: hostname(), pid: dead, started: new Date(Date.now() - 60_000), leaseSeconds }),
      };
      await e1.docker.createContainer({
        name: `tl-${LAB_NAME}-${instance}-server`,
        Image: labImageTag(),
        Cmd: ['sleep', '1'],
        Labels: labels,
      });
    };
    await make(`${prefix}-orphan`, 3600);
    await make(`${prefix}-expired`, 1);
    const st = await lab(['status', '--format', 'json'], { env: env() });
    expect(st.code, st.stderr).toBe(0);
    expect(st.stderr).toMatch(
      new RegExp(`removed an orphaned instance ${LAB_NAME}/${prefix}-expired on engine e1 \\(grading instance; its owner .* is gone`),
    );
    const json = JSON.parse(st.stdout) as {
      instances: { instance: string; engine: string; orphan?: { reason: string; expired: boolean } }[];
    };
    const orphan = json.instances.find((x) => x.instance === `${prefix}-orphan`);
    expect(orphan).toMatchObject({ engine: 'e1', orphan: { expired: false } });
    expect(orphan?.orphan?.reason).toMatch(/^grading instance; its owner \(pid \d+/);
    expect(json.instances.some((x) => x.instance === `${prefix}-expired`)).toBe(false);
    const pr = await lab(['prune'], { env: env() });
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stdout).toContain(`removed ${LAB_NAME} (instance ${prefix}-orphan) on engine e1: grading instance`);
    expect(await instancesOn(e1.docker)).toEqual([]);
  });

  it('copies the lab image to an engine that lacks it, from another engine, with progress', async () => {
    const e3 = t.engines[2];
    if (!e3) throw new Error('no engine e3');
    await e3.docker.getImage(labImageTag()).remove();
    // e1 and e2 drained: the only place left is e3, which has no image now.
    for (const n of ['e1', 'e2']) expect((await lab(['engines', 'drain', n], { env: env() })).code).toBe(0);
    try {
      const listed = await lab(['engines'], { env: env() });
      expect(listed.stdout).toMatch(/^e3 .* up .* no +0\/3/m);
      const up = await lab(['up', LAB, '--instance', `${prefix}-copy`], { env: env(), timeoutMs: 180_000 });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toContain(`engine e3 lacks ${labImageTag()}: copying it from e1`);
      expect(up.stderr).toMatch(new RegExp(`copied ${labImageTag()} from e1 to e3: \\d+ MB in`));
      expect(await instancesOn(e3.docker)).toEqual([`${LAB_NAME}/${prefix}-copy`]);
    } finally {
      for (const n of ['e1', 'e2']) await lab(['engines', 'undrain', n], { env: env() });
      await lab(['down', '--all'], { env: env() });
    }
  });

  it('batch grading uses the whole pool; pausing e2 mid-batch re-queues its submissions and all are graded right', async () => {
    const expected: Record<string, string[] | 'passed'> = {
      'ok-reference': 'passed',
      'ok-client-async': 'passed',
      'ok-server-manual': 'passed',
      'ok-both-alt': 'passed',
      'never-listens': ['listen', 'handshake', 'echo', 'close'],
      'wrong-port': ['handshake', 'echo', 'close'],
      'no-echo': ['echo'],
      'client-prints-wrong': ['echo'],
      'server-closes-first': ['close'],
      crashes: ['listen', 'handshake', 'echo', 'close'],
    };
    const subs = mkdtempSync(join(tmpdir(), 'toplab-pool-subs-'));
    const out = mkdtempSync(join(tmpdir(), 'toplab-pool-out-'));
    for (const s of Object.keys(expected))
      cpSync(join(ROOT, 'test/fixtures/submissions/batch-tcp-handshake', s), join(subs, s), { recursive: true });
    const poolFile = t.writeEnginesFile({ capacity: [2, 2, 2] });
    const e2 = t.engines[1];
    if (!e2) throw new Error('no engine e2');
    let paused = false;
    try {
      const batch = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['bin/lab.js', 'grade', LAB, '--submissions', subs, '--output', out], {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1', TOPLAB_ENGINES: poolFile },
        });
        child.stdin.end();
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.stdout.resume();
        const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stderr });
        });
      });
      // Pause e2 (its dockerd freezes: the API stops answering) as soon as it holds a grading instance.
      const deadline = Date.now() + 120_000;
      while (!paused && Date.now() < deadline) {
        if ((await instancesOn(e2.docker)).length > 0) {
          await shared.getContainer(e2.container).pause();
          paused = true;
        } else await new Promise((r) => setTimeout(r, 200));
      }
      expect(paused, 'e2 never got a grading instance to pause').toBe(true);
      const r = await batch;
      expect(r.code, r.stderr.slice(-3000)).toBe(0);
      expect(r.stderr).toMatch(/engine e2 was lost: \d pings in a row unanswered/);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
        students: { student: string; status: string; failedChecks: string[] }[];
        engines: { lost: { engine: string }[]; requeued: { student: string; from: string }[]; placements: Record<string, string> };
      };
      const verdicts = Object.fromEntries(summary.students.map((s) => [s.student, s.status === 'passed' ? 'passed' : s.failedChecks]));
      expect(verdicts).toEqual(expected);
      expect(summary.engines.lost.map((l) => l.engine)).toEqual(['e2']);
      const fromE2 = summary.engines.requeued.filter((q) => q.from === 'e2');
      expect(fromE2.length).toBeGreaterThan(0);
      for (const q of fromE2) expect(['e1', 'e3']).toContain(summary.engines.placements[q.student]);
      // e1 and e3 both took part.
      const used = new Set(Object.values(summary.engines.placements));
      expect(used.has('e1') && used.has('e3')).toBe(true);
      // Nothing left on the engines that answered.
      for (const e of [t.engines[0], t.engines[2]]) if (e) expect(await instancesOn(e.docker)).toEqual([]);
      // While e2 is paused, status and engines say so, and name it.
      const st = await lab(['status'], { env: { TOPLAB_ENGINES: poolFile } });
      expect(st.code).toBe(4);
      expect(st.stdout).toMatch(/^engine e2 unreachable: its instances are not shown/m);
      const en = await lab(['engines'], { env: { TOPLAB_ENGINES: poolFile } });
      expect(en.code).toBe(4);
      expect(en.stdout).toMatch(/^e2 .* unreachable /m);
      // down --all while e2 is paused: the others are cleared, e2 is named, and the exit code says it is not done.
      const up = await lab(['up', LAB, '--instance', `${prefix}-while-e2-down`], { env: { TOPLAB_ENGINES: poolFile }, timeoutMs: 180_000 });
      expect(up.code, up.stderr).toBe(0);
      const partial = await lab(['down', '--all'], { env: { TOPLAB_ENGINES: poolFile } });
      expect(partial.code).toBe(4);
      expect(partial.stderr).toMatch(
        /^error: engine e2 .*unreachable.*: anything of every toplab lab there is left; run this again when it answers$/m,
      );
      for (const e of [t.engines[0], t.engines[2]]) if (e) expect(await instancesOn(e.docker)).toEqual([]);
      // Back again: the grading instances the lost engine kept are found and removed by down --all.
      await shared.getContainer(e2.container).unpause();
      paused = false;
      expect((await instancesOn(e2.docker)).length).toBeGreaterThan(0);
      const down = await lab(['down', '--all'], { env: { TOPLAB_ENGINES: poolFile } });
      expect(down.code, down.stderr).toBe(0);
      for (const e of t.engines) expect(await instancesOn(e.docker)).toEqual([]);
    } finally {
      if (paused)
        await shared
          .getContainer(e2.container)
          .unpause()
          .catch(() => undefined);
      rmSync(subs, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  }, 900_000);
});
