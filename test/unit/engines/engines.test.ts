import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRuntime } from '../../../src/engines/engine-runtime.js';
import { EngineError } from '../../../src/errors.js';
import { EnginesFileError, isLoopbackHost, parseAddress, parseEnginesText } from '../../../src/engines/engines-file.js';
import { renderEngines } from '../../../src/engines/engines-command.js';
import { chooseEngine, type PlacementCandidate } from '../../../src/engines/placement.js';
import { gradeOverPool } from '../../../src/engines/pool-batch.js';
import type { EngineHealth, PoolEngine } from '../../../src/engines/pool.js';
import { describeEngineFailure, EnginePool, sshFingerprint } from '../../../src/engines/pool.js';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve as urlResolve } from 'node:url';
import { holderOf, placeInstance } from '../../../src/engines/use.js';
import type { GradeResult } from '../../../src/report/result.js';
import type { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'toplab-engines-unit-'));
for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), 'x');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(text: string): string[] {
  try {
    parseEnginesText(text, join(dir, 'engines.yaml'));
  } catch (e) {
    if (e instanceof EnginesFileError) return e.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('engines file', () => {
  it("reads unix, tcp with TLS, loopback tcp and ssh engines, with paths from the file's folder", () => {
    const f = parseEnginesText(
      [
        'engines:',
        '  - { name: local, address: "unix:///var/run/docker.sock", capacity: 30, labels: { room: a } }',
        '  - name: e2',
        '    address: tcp://10.0.0.2:2376',
        '    capacity: 40',
        '    tls: { ca: ca.pem, cert: cert.pem, key: key.pem }',
        '  - { name: lo, address: "tcp://127.0.0.1:2375", capacity: 2 }',
        '  - { name: e4, address: "ssh://toplab@host4:2222", capacity: 10 }',
      ].join('\n'),
      join(dir, 'engines.yaml'),
    );
    expect(f.engines.map((e) => e.name)).toEqual(['local', 'e2', 'lo', 'e4']);
    expect(f.engines[0]?.labels).toEqual({ room: 'a' });
    expect(f.engines[1]?.tls).toEqual({ ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') });
    expect(parseAddress('ssh://toplab@host4:2222')).toEqual({ scheme: 'ssh', host: 'host4', port: 2222, user: 'toplab' });
    expect(parseAddress('tcp://[::1]:2375')).toEqual({ scheme: 'tcp', host: '[::1]', port: 2375 });
  });

  it('refuses plain tcp:// off loopback, twice the same name, and TLS on a socket, each at its line', () => {
    expect(
      problems(
        [
          'engines:',
          '  - { name: a, address: "tcp://10.0.0.2:2375", capacity: 1 }',
          '  - { name: a, address: "tcp://localhost:2375", capacity: 1 }',
          '  - name: c',
          '    address: unix:///var/run/docker.sock',
          '    capacity: 1',
          '    tls: { ca: ca.pem, cert: cert.pem, key: nokey.pem }',
        ].join('\n'),
      ),
    ).toEqual([
      '2:25 engines.0.address: plain tcp:// to 10.0.0.2 would let anyone on the network run containers on that host: add tls (ca, cert, key; see docs/scale.md) or use ssh://user@10.0.0.2',
      "3:13 engines.1.name: the name 'a' is already used by engine 1; each engine needs its own name",
      '7:5 engines.2: tls applies to tcp:// engines only; unix:///var/run/docker.sock is reached through a local socket',
      `7:45 engines.2.tls.key: no file ${join(dir, 'nokey.pem')}`,
    ]);
    expect(isLoopbackHost('127.0.0.9')).toBe(true);
    expect(isLoopbackHost('[::1]')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });

  it('gives schema problems with positions: unknown keys, a bad capacity, no engines', () => {
    expect(problems('engines:\n  - name: e1\n    address: "unix:///x"\n    capacity: 0\n    colour: red\n')).toEqual([
      '4:15 engines.0.capacity: 0 is out of range: it should be at least 1',
      '5:5 engines.0: unknown key `colour` in `engines.0`',
    ]);
    expect(problems('engines: []\n')[0]).toMatch(/^1:10 engines: /);
  });

  it('checks an ssh:// port like a tcp:// one, and names the engines file (not a lab) for a key at the top', () => {
    expect(problems('engines:\n  - { name: a, address: "ssh://u@10.0.0.2:99999", capacity: 1 }\n')).toEqual([
      "2:25 engines.0.address: 'ssh://u@10.0.0.2:99999' needs a port from 1 to 65535, e.g. ssh://user@host:22",
    ]);
    expect(problems('engines:\n  - { name: a, address: "unix:///x", capacity: 1 }\nextra: 1\n')).toEqual([
      '3:1 : unknown key `extra` at the top of the engines file',
    ]);
    expect(problems('engine:\n  - { name: a, address: "unix:///x", capacity: 1 }\n')).toEqual([
      '1:1 : unknown key `engine` at the top of the engines file; did you mean `engines`?',
    ]);
    expect(problems('hosts: 1\n')).toEqual([
      '1:1 : the engines file needs `engines`',
      '1:1 : unknown key `hosts` at the top of the engines file',
    ]);
  });

  it("says what an address, a name and a host key look like, not the schema's regular expression", () => {
    expect(
      problems(
        [
          'engines:',
          '  - { name: e2, address: "tcp://lab2.example.edu", capacity: 1, tls: { ca: ca.pem, cert: cert.pem, key: key.pem } }',
          '  - { name: e3, address: "ssh://lab3.example.edu", capacity: 1 }',
          '  - { name: "Lab 4", address: "unix:///x", capacity: 1 }',
          '  - { name: e5, address: "ssh://u@h", capacity: 1, ssh: { hostKey: "d5:29:9a" } }',
        ].join('\n'),
      ),
    ).toEqual([
      '2:26 engines.0.address: "tcp://lab2.example.edu" is not an engine address: unix:///var/run/docker.sock, tcp://HOST:PORT with its port (like tcp://lab2.example.edu:2376) or ssh://USER@HOST[:PORT] with a user (like ssh://toplab@lab3.example.edu)',
      '3:26 engines.1.address: "ssh://lab3.example.edu" is not an engine address: unix:///var/run/docker.sock, tcp://HOST:PORT with its port (like tcp://lab2.example.edu:2376) or ssh://USER@HOST[:PORT] with a user (like ssh://toplab@lab3.example.edu)',
      '4:13 engines.2.name: "Lab 4" is not a name of lower-case letters, digits and hyphens, starting with a letter, at most 32 characters (like e2 or lab-2)',
      '5:68 engines.3.ssh.hostKey: "d5:29:9a" is not a host key fingerprint as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it: SHA256: and 43 characters',
    ]);
  });
});

describe('an ssh:// engine', () => {
  it("does not print Node's invalid-URL warning (DEP0170) for docker-modem's ssh: URLs, and keeps other warnings", async () => {
    const seen: string[] = [];
    const onWarning = (w: Error): void => void seen.push(w.message);
    process.on('warning', onWarning);
    try {
      new EnginePool(
        parseEnginesText(
          'engines:\n  - { name: s, address: "ssh://u@127.0.0.1:2222", capacity: 1, ssh: { key: key.pem } }\n',
          join(dir, 'engines.yaml'),
        ),
      );
      // The URL docker-modem resolves for every request to an ssh:// engine (host 127.0.0.1, port 2222).
      urlResolve('ssh:127.0.0.1:2222127.0.0.1', '/v1.41/_ping');
      process.emitWarning('another warning', 'Warning');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(seen).toEqual(['another warning']);
  });
});

describe('placing an instance while an engine does not answer', () => {
  it('tells to wait for the engine or bring up a fresh instance when exec/status cannot find it (not "run lab up first")', async () => {
    const down = { name: 'e1', up: false, error: 'engine e1 (tcp://h:2376) unreachable: no answer to a ping within 3s' } as EngineHealth;
    const pool = {
      locate: async () => ({ holders: [], unreachable: [down], health: [down] }),
      file: 'engines.yaml',
    } as unknown as EnginePool;
    const err = await holderOf(pool, 'tcp-handshake', 'alice', 'run `lab up tcp-handshake --instance alice` first').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).hint).toBe(
      'wait until e1 answers (`lab engines`), or `lab up tcp-handshake --instance alice` places a fresh instance on an engine that answers',
    );
  });

  it('warns that a second instance of that name is made when the first may be on the unreachable engine', async () => {
    const e2 = { spec: { name: 'e2' }, runtime: { name: 'e2' } } as unknown as PoolEngine;
    const down = { name: 'e1', up: false, error: 'engine e1 (tcp://h:2376) unreachable: no answer to a ping within 3s' } as EngineHealth;
    const pool = {
      locate: async () => ({ holders: [], unreachable: [down], health: [down] }),
      probe: async () => [down],
      place: async () => e2,
    } as unknown as EnginePool;
    const warnings: string[] = [];
    const placed = await placeInstance(pool, 'tcp-handshake', 'alice', undefined, (w) => warnings.push(w));
    expect(placed.runtime).toBe(e2.runtime);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      'tcp-handshake (instance alice) was not found on the engines that answer, so a new one is placed on e2; if it was on e1 (unreachable), that one is still there',
    );
  });
});

describe('an engine that stops answering in the middle of a command', () => {
  it("names the engine when the connection fails, and passes the engine's own answers unchanged", async () => {
    const hangUp = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const notFound = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    const inner = { createContainer: () => Promise.reject(hangUp), exec: () => Promise.reject(notFound) } as unknown as DockerRuntime;
    const rt = new EngineRuntime('e2', inner);
    const err = await rt.createContainer({ labels: {} } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).message).toBe('engine e2 stopped answering: socket hang up');
    await expect(rt.exec('c', ['true'])).rejects.toBe(notFound);
  });
});

describe('ssh host keys', () => {
  it('accepts only the host key whose fingerprint is ssh.hostKey (as ssh-keygen -lf prints it), and says so when it differs', () => {
    const blobOf = (name: string): Buffer => {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)], { stdio: 'ignore' });
      return Buffer.from(readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ')[1] ?? '', 'base64');
    };
    const host = blobOf('host_key');
    const other = blobOf('other_key');
    const printed = execFileSync('ssh-keygen', ['-lf', join(dir, 'host_key.pub')], { encoding: 'utf8' }).split(' ')[1];
    expect(sshFingerprint(host)).toBe(printed);
    const file = parseEnginesText(
      `engines:\n  - { name: s, address: "ssh://u@127.0.0.1:2222", capacity: 1, ssh: { key: key.pem, hostKey: "${printed}" } }\n`,
      join(dir, 'engines.yaml'),
    );
    const engine = new EnginePool(file).engines[0];
    const verify = (engine?.docker.modem as unknown as { sshOptions: { hostVerifier: (k: Buffer) => boolean } }).sshOptions.hostVerifier;
    expect(verify(host)).toBe(true);
    expect(verify(other)).toBe(false);
    expect(describeEngineFailure(file.engines[0]!, new Error('Host denied (verification failed)'))).toContain(
      `presented an SSH host key whose fingerprint is not ssh.hostKey ${printed ?? ''}`,
    );
    expect(problems('engines:\n  - { name: s, address: "ssh://u@h", capacity: 1, ssh: { hostKey: "MD5:ab" } }\n')[0]).toMatch(
      /^2:\d+ engines\.0\.ssh\.hostKey: /,
    );
  });
});

describe('a long-running server renewing an engine of its pool', () => {
  it("replaces a lost engine's client: the old one fails at once, naming the engine; the new one is not lost", async () => {
    const pool = new EnginePool(
      parseEnginesText('engines:\n  - { name: e2, address: "tcp://127.0.0.1:1", capacity: 1 }\n', join(tmpdir(), 'engines.yaml')),
    );
    const old = pool.engine('e2');
    const fresh = pool.renew('e2', '3 pings in a row unanswered');
    expect(fresh).not.toBe(old);
    expect(pool.engine('e2')).toBe(fresh);
    expect(pool.engines).toEqual([fresh]);
    expect(old.runtime.lost?.message).toBe('engine e2 unreachable: 3 pings in a row unanswered');
    await expect(old.runtime.listContainers([])).rejects.toThrow('engine e2 unreachable: 3 pings in a row unanswered');
    expect(fresh.runtime.lost).toBeUndefined();
    // The new client really connects (and here is refused): not the old one's "unreachable" at once.
    await expect(fresh.runtime.ping()).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('placement', () => {
  const c = (name: string, instances: number, capacity: number, more: Partial<PlacementCandidate> = {}): PlacementCandidate => ({
    name,
    up: true,
    draining: false,
    capacity,
    instances,
    hasImage: true,
    ...more,
  });

  it('fills engines of capacity 1, 2 and 3 with six instances, least loaded first', () => {
    const pool = [c('e1', 0, 1), c('e2', 0, 2), c('e3', 0, 3)];
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const p = chooseEngine(pool);
      if (p.engine === undefined) throw new Error(p.reason);
      order.push(p.engine);
      const e = pool.find((x) => x.name === p.engine);
      if (e) e.instances++;
    }
    expect(order).toEqual(['e1', 'e2', 'e3', 'e3', 'e2', 'e3']);
    expect(chooseEngine(pool)).toEqual({ reason: 'no engine can take a new instance: e1 full (1/1), e2 full (2/2), e3 full (3/3)' });
  });

  it('skips engines that are down or draining, and prefers one with the image over a less loaded one', () => {
    expect(chooseEngine([c('a', 0, 4, { up: false }), c('b', 0, 4, { draining: true }), c('c', 3, 4)])).toEqual({ engine: 'c' });
    expect(chooseEngine([c('a', 0, 4, { hasImage: false }), c('b', 3, 4)])).toEqual({ engine: 'b' });
    expect(chooseEngine([c('a', 0, 4, { up: false }), c('b', 1, 4, { draining: true })])).toEqual({
      reason: 'no engine can take a new instance: a unreachable, b draining',
    });
  });
});

describe('the CLI pieces', () => {
  it('renders lab engines as a table, with why an engine is unreachable', () => {
    const h = (name: string, more: Partial<EngineHealth>): EngineHealth => ({
      name,
      address: `tcp://h-${name}:2376`,
      capacity: 4,
      labels: {},
      up: true,
      draining: false,
      instances: 1,
      hasImage: true,
      ms: 1,
      version: '20.10.24',
      ...more,
    });
    const text = renderEngines(
      [
        h('e1', {}),
        h('e2', { up: false, error: 'engine e2 (tcp://h-e2:2376) unreachable: connect ECONNREFUSED' }),
        h('e3', { draining: true, labels: { room: 'b' } }),
      ],
      'toplab/lab:abc',
    );
    expect(text.split('\n')).toEqual([
      'ENGINE  ADDRESS          STATE        VERSION   IMAGE  INSTANCES  LABELS',
      'e1      tcp://h-e1:2376  up           20.10.24  yes    1/4        -',
      'e2      tcp://h-e2:2376  unreachable  20.10.24  -      ?/4        -',
      'e3      tcp://h-e3:2376  draining     20.10.24  yes    1/4        room=b',
      '  engine e2 (tcp://h-e2:2376) unreachable: connect ECONNREFUSED',
      '(IMAGE: whether the engine holds toplab/lab:abc)',
      '',
    ]);
  });

  it('names the engine and the certificate when the engine refuses the client certificate', () => {
    const spec = {
      name: 'e2',
      address: 'tcp://10.0.0.2:2376',
      capacity: 1,
      labels: {},
      tls: { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' },
    };
    const err = Object.assign(new Error('write EPROTO 40B7:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca'), {
      code: 'EPROTO',
    });
    expect(describeEngineFailure(spec, err)).toBe(
      "engine e2 (tcp://10.0.0.2:2376) refused toplab's TLS client certificate /c/cert.pem: it was not signed by the CA the engine trusts (--tlscacert) (write EPROTO 40B7:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca)",
    );
  });

  it('keeps an OpenSSL message that ends in a newline on one line', () => {
    const spec = {
      name: 'e2',
      address: 'tcp://10.0.0.2:2376',
      capacity: 1,
      labels: {},
      tls: { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' },
    };
    const err = new Error(
      '80:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:rec_layer_s3.c:1601:SSL alert number 42\n',
    );
    expect(describeEngineFailure(spec, err)).toMatch(/SSL alert number 42\)$/);
  });
});

describe('batch grading over a pool, with fake engines', () => {
  it('re-queues the submissions of an engine that stops answering, and keeps none of its results', async () => {
    let bAnswers = true;
    const fakeDocker = (name: string): unknown => ({
      ping: () => (name === 'b' && !bAnswers ? new Promise(() => undefined) : Promise.resolve('OK')),
    });
    const engines: PoolEngine[] = ['a', 'b'].map((name) => ({
      spec: { name, address: `tcp://127.0.0.1:1`, capacity: 2, labels: {} },
      docker: fakeDocker(name) as PoolEngine['docker'],
      runtime: new EngineRuntime(name, {} as DockerRuntime),
    }));
    const pool = {
      probe: () =>
        Promise.resolve(
          engines.map((e) => ({
            name: e.spec.name,
            address: e.spec.address,
            capacity: 2,
            labels: {},
            up: true,
            draining: false,
            instances: 0,
            hasImage: true,
            ms: 1,
          })),
        ),
      loseDown: () => undefined,
      engine: (n: string) => engines.find((e) => e.spec.name === n),
      ensureImage: () => Promise.resolve(),
    } as unknown as EnginePool;
    const students = ['s1', 's2', 's3', 's4', 's5', 's6'];
    const doneOrder: string[] = [];
    const { results, report } = await gradeOverPool(
      pool,
      'img',
      students,
      async (student, _i, runtime) => {
        const name = (runtime as EngineRuntime).name;
        if (name === 'b') {
          // Engine b stops answering while grading: the job never ends by itself; whatever it "returns" later must be ignored.
          bAnswers = false;
          await new Promise((r) => setTimeout(r, 6000));
          return { status: 'failed', score: 0 } as GradeResult;
        }
        await new Promise((r) => setTimeout(r, 50));
        return { status: 'passed', score: 1, submission: student } as unknown as GradeResult;
      },
      (i) => doneOrder.push(students[i] ?? ''),
    );
    expect(results.map((r) => r?.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed', 'passed']);
    expect(report.lost.map((l) => l.engine)).toEqual(['b']);
    // Both of b's first jobs, and any it started after it first missed a ping, went back in the queue.
    expect(report.requeued.length).toBeGreaterThanOrEqual(2);
    expect(new Set(report.requeued.map((q) => q.from))).toEqual(new Set(['b']));
    expect(Object.values(report.placements)).toEqual(['a', 'a', 'a', 'a', 'a', 'a']);
    expect(doneOrder.sort()).toEqual(students);
  }, 30_000);
});

// The built CLI against an engines file whose only engine refuses connections (nothing listens on port 1):
// no Docker needed. An unreachable engine is never "nothing there".
describe('commands that clean or list over a pool with an engine that does not answer', { timeout: 60_000 }, () => {
  let dir = '';
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'toplab-pool-down-'));
    file = join(dir, 'engines.yaml');
    writeFileSync(file, 'engines:\n  - name: gone\n    address: tcp://127.0.0.1:1\n    capacity: 2\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lab down --all, lab down LAB and lab prune name the engine and exit 4, not 0', async () => {
    const { lab } = await import('../../helpers/cli.js');
    for (const args of [['down', '--all'], ['down', 'tcp-handshake', '--instance', 'someone'], ['prune'], ['down', '--orphans']]) {
      const r = await lab(args, { env: { TOPLAB_ENGINES: file } });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(4);
      expect(r.stderr).toMatch(/engine gone \(tcp:\/\/127\.0\.0\.1:1\) unreachable: .*ECONNREFUSED/);
      expect(r.stdout).not.toMatch(/^(every toplab lab|tcp-handshake \(instance someone\)): nothing to remove$/m);
    }
    const st = await lab(['status'], { env: { TOPLAB_ENGINES: file } });
    expect(st.code).toBe(4);
    expect(st.stdout).toMatch(/^engine gone unreachable: its instances are not shown/m);
  });
});
