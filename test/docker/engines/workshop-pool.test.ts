import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../../src/plan/labels.js';
import { labImageTag } from '../../../src/runtime/lab-image.js';
import { loadDockerode } from '../../../src/runtime/docker/load-dockerode.js';
import { ROOT } from '../../helpers/cli.js';
import { startTestEngines, type TestEngines } from '../../helpers/engines.js';
import { Client, openSocket, startServer, until, type ServerProcess } from '../../helpers/workshop-server.js';

const LAB = join(ROOT, 'labs', 'tcp-handshake');
const reference = { 'server.ts': readFileSync(join(LAB, 'server.ts'), 'utf8'), 'client.ts': readFileSync(join(LAB, 'client.ts'), 'utf8') };
const shared = new (loadDockerode())();

interface Student {
  id: string;
  state: string;
  engine: string | null;
  message: string | null;
  nodes: { name: string }[];
}

interface EngineRow {
  name: string;
  up: boolean;
  message: string | null;
  capacity: number;
  instances: number;
}

/** Toplab instances on one engine (by its node containers' labels). */
async function instancesOn(docker: Docker): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, `${LABEL.role}=node`] } });
  return [...new Set(list.map((c) => c.Labels[LABEL.instance] ?? ''))].sort();
}

// `lab serve` over two real Docker engines in containers (TLS): students are placed on both; one engine is frozen
// (its container paused: the API stops answering, as a host that hangs) and its students move to the other.
describe('the workshop server on a pool of two engines', () => {
  let t: TestEngines;
  let server: ServerProcess | undefined;
  let admin: Client;
  let data = '';
  let paused = false;
  const workshops: string[] = [];
  const origin = (): Record<string, string> => ({ origin: new URL(server?.url ?? 'http://x').origin });
  const engine = (name: string): Docker => {
    const e = t.engines.find((x) => x.name === name);
    if (!e) throw new Error(`no test engine ${name}`);
    return e.docker;
  };

  beforeAll(async () => {
    t = await startTestEngines(2, labImageTag());
    data = mkdtempSync(join(tmpdir(), 'toplab-serve-pool-'));
    // Two places on each engine: four in all.
    const file = t.writeEnginesFile({ capacity: [2, 2] });
    server = await startServer(['--data', data, '--warm', '0', '--idle', '0'], { TOPLAB_ENGINES: file });
    admin = new Client(server.url, { authorization: `Bearer ${server.token ?? ''}` });
  }, 600_000);

  afterAll(async () => {
    if (paused)
      await shared
        .getContainer(t.engines[1]?.container ?? '')
        .unpause()
        .catch(() => undefined);
    for (const w of workshops) await admin?.req('POST', `/api/workshops/${w}/end`).catch(() => undefined);
    await server?.stop();
    // The engines go with everything in them.
    await t?.stop();
    if (data) rmSync(data, { recursive: true, force: true });
  }, 180_000);

  it('places students on both engines, moves the students of a frozen engine to the other with their files, and uses it again when it answers', async () => {
    const srv = server as ServerProcess;
    const engines = await admin.req<EngineRow[]>('GET', '/api/engines');
    expect(engines.body.map((e) => [e.name, e.up, e.capacity])).toEqual([
      ['e1', true, 2],
      ['e2', true, 2],
    ]);
    const w = await admin.req<{ id: string; code: string }>('POST', '/api/workshops', { labs: ['tcp-handshake'], capacity: 4, warm: 0 });
    expect(w.status).toBe(201);
    workshops.push(w.body.id);
    const join = async (name: string): Promise<{ c: Client; s: Student }> => {
      const c = new Client(srv.url);
      const j = await c.req<{ student: Student }>('POST', '/api/join', { code: w.body.code, name });
      expect(j.status).toBe(200);
      return { c, s: j.body.student };
    };
    const get = async (c: Client, id: string): Promise<Student> => (await c.req<Student>('GET', `/api/students/${id}`)).body;
    const ready = (c: Client, id: string, what: string): Promise<Student> =>
      until(
        what,
        async () => {
          const s = await get(c, id);
          return s.state === 'ready' ? s : undefined;
        },
        240_000,
      );

    // Two students: one on each engine (the least loaded first, counting the one being created).
    const ada = await join('Ada');
    const bob = await join('Bob');
    const adaReady = await ready(ada.c, ada.s.id, 'Ada ready');
    const bobReady = await ready(bob.c, bob.s.id, 'Bob ready');
    expect([adaReady.engine, bobReady.engine].sort()).toEqual(['e1', 'e2']);
    const onE2 = adaReady.engine === 'e2' ? ada : bob;
    const onE1 = adaReady.engine === 'e2' ? bob : ada;
    const firstE1 = await get(onE1.c, onE1.s.id);
    // Really there: each engine holds exactly one instance, nothing on the shared engine.
    expect((await instancesOn(engine('e1'))).length).toBe(1);
    expect((await instancesOn(engine('e2'))).length).toBe(1);
    const e2Instance = (await instancesOn(engine('e2')))[0] ?? '';
    expect(await shared.listContainers({ all: true, filters: { label: [`${LABEL.instance}=${e2Instance}`] } })).toEqual([]);

    // The student on e2 saves files and opens a terminal there (the server execs on e2).
    for (const [name, content] of Object.entries(reference))
      expect((await onE2.c.req('PUT', `/api/students/${onE2.s.id}/files/${name}`, { content }, origin())).status).toBe(200);
    const sock = await openSocket(srv.url.replace(/^http/, 'ws') + `/api/students/${onE2.s.id}/terminals/server`, {
      cookie: onE2.c.cookie,
      ...origin(),
    });
    expect(sock.status).toBeUndefined();
    const out = (): string => Buffer.concat(sock.messages.filter((m) => m.binary).map((m) => m.data)).toString();
    await until('a prompt from e2', async () => (out().includes('$ ') ? true : undefined), 30_000);
    sock.ws?.send(Buffer.from('hostname; echo TERMINAL-ON-E2\r'));
    await until('the terminal answers', async () => (/\nTERMINAL-ON-E2\r?\n/.test(out()) ? true : undefined), 30_000);
    const closed = new Promise<number>((resolve) => sock.ws?.once('close', (code) => resolve(code)));

    // e2 freezes: its API stops answering.
    await shared.getContainer(t.engines[1]?.container ?? '').pause();
    paused = true;
    const pausedAt = Date.now();
    const down = await until(
      'e2 marked down',
      async () => {
        const r = await admin.req<EngineRow[]>('GET', '/api/engines');
        return r.body.find((e) => e.name === 'e2' && !e.up);
      },
      60_000,
    );
    expect(down.message).toMatch(/^engine e2 unreachable: 3 pings in a row unanswered/);
    const downAfter = Date.now() - pausedAt;
    // Its student is told, and gets a fresh instance on e1 (which has room), with the same files.
    const moved = await until(
      'the student of e2 on e1',
      async () => {
        const s = await get(onE2.c, onE2.s.id);
        return s.state === 'ready' && s.engine === 'e1' ? s : undefined;
      },
      240_000,
    );
    expect(moved.message).toMatch(/^engine e2 unreachable: .*your lab was moved to a fresh instance on engine e1; your files are kept$/);
    // Measured, not asserted (the machine is shared): how long a frozen engine's student waited.
    process.stderr.write(
      `[measure] e2 frozen: marked down after ${(downAfter / 1000).toFixed(1)}s, its student ready on e1 after ${((Date.now() - pausedAt) / 1000).toFixed(1)}s\n`,
    );
    for (const [name, content] of Object.entries(reference))
      expect((await onE2.c.req<{ content: string }>('GET', `/api/students/${onE2.s.id}/files/${name}`)).body.content).toBe(content);
    // The terminal on the lost instance was ended.
    await expect(closed).resolves.toBeGreaterThan(0);
    // The student on e1 was not touched.
    const still = await get(onE1.c, onE1.s.id);
    expect(still).toMatchObject({ state: 'ready', engine: 'e1', message: null, nodes: firstE1.nodes });
    expect((await instancesOn(engine('e1'))).length).toBe(2);
    const health = await new Client(srv.url).req<{ ok: boolean; engines: { name: string; up: boolean; message?: string }[] }>(
      'GET',
      '/healthz',
    );
    expect(health.status).toBe(200);
    expect(health.body.engines).toEqual([
      { name: 'e1', up: true },
      expect.objectContaining({ name: 'e2', up: false, message: expect.stringMatching(/^engine e2 unreachable/) }),
    ]);
    expect(srv.log()).toMatch(/engine e2 unreachable: 3 pings in a row unanswered .*its students get fresh instances on the other engines/);

    // Check runs on e1 with the files saved before the move.
    const ck = await onE2.c.req<{ attemptId: number }>('POST', `/api/students/${onE2.s.id}/check`, undefined, origin());
    expect(ck.status).toBe(202);
    const attempt = await until(
      'the check',
      async () => {
        const r = await onE2.c.req<{ status: string; result: { checks: { id: string; status: string }[] } }>(
          'GET',
          `/api/students/${onE2.s.id}/attempts/${ck.body.attemptId}`,
        );
        return r.body.status === 'running' ? undefined : r.body;
      },
      240_000,
    );
    expect(attempt.status).toBe('passed');
    expect(attempt.result.checks.length).toBeGreaterThan(3);
    expect(attempt.result.checks.filter((c) => c.status !== 'passed')).toEqual([]);

    // e2 answers again: what was left there goes, and it takes new students (e1 is full).
    await shared.getContainer(t.engines[1]?.container ?? '').unpause();
    paused = false;
    await until(
      'e2 up again',
      async () => ((await admin.req<EngineRow[]>('GET', '/api/engines')).body.find((e) => e.name === 'e2')?.up ? true : undefined),
      60_000,
    );
    await until(
      'the lost instance removed from e2',
      async () => ((await instancesOn(engine('e2'))).length === 0 ? true : undefined),
      60_000,
    );
    const cat = await join('Cat');
    const catReady = await ready(cat.c, cat.s.id, 'Cat ready');
    expect(catReady.engine).toBe('e2');
    expect((await instancesOn(engine('e2'))).length).toBe(1);
    const rows = await admin.req<EngineRow[]>('GET', '/api/engines');
    expect(rows.body.map((e) => [e.name, e.up, e.instances])).toEqual([
      ['e1', true, 2],
      ['e2', true, 1],
    ]);

    // e2 refuses connections (its API port rejected, as when its daemon stops) while e1 is full: its student
    // waits, told why, and gets a fresh instance there when it answers again.
    const reject = ['iptables', 'INPUT', '-p', 'tcp', '--dport', '2376', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
    const inE2 = async (cmd: string[]): Promise<void> => {
      const x = await shared.getContainer(t.engines[1]?.container ?? '').exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const stream = await x.start({});
      await new Promise((r) => stream.on('end', r).resume());
      expect((await x.inspect()).ExitCode, cmd.join(' ')).toBe(0);
    };
    await inE2([reject[0] as string, '-I', ...reject.slice(1)]);
    const refusedAt = Date.now();
    const waiting = await until(
      'Cat told e2 is lost',
      async () => {
        const s = await get(cat.c, cat.s.id);
        return s.state === 'queued' && s.message !== null ? s : undefined;
      },
      60_000,
    );
    expect(waiting.message).toMatch(
      /^engine e2 unreachable: 3 pings in a row unanswered \(.*(ECONNRESET|ECONNREFUSED|socket hang up).*\): your lab there is lost; a fresh one is being started on another engine \(your files are kept\)$/,
    );
    process.stderr.write(`[measure] e2 refusing connections: its student told after ${((Date.now() - refusedAt) / 1000).toFixed(1)}s\n`);
    // e1 is full: nothing is placed for Cat meanwhile.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await get(cat.c, cat.s.id)).toMatchObject({ state: 'queued', engine: null });
    await inE2([reject[0] as string, '-D', ...reject.slice(1)]);
    const back = await until(
      'Cat on e2 again',
      async () => {
        const s = await get(cat.c, cat.s.id);
        return s.state === 'ready' ? s : undefined;
      },
      240_000,
    );
    expect(back).toMatchObject({
      engine: 'e2',
      message: expect.stringMatching(/your lab was moved to a fresh instance on engine e2; your files are kept$/),
    });
    await until('only the fresh instance on e2', async () => ((await instancesOn(engine('e2'))).length === 1 ? true : undefined), 60_000);

    // Ending the workshop clears both engines.
    expect((await admin.req('POST', `/api/workshops/${w.body.id}/end`)).status).toBe(200);
    for (const e of ['e1', 'e2'])
      await until(`${e} empty`, async () => ((await instancesOn(engine(e))).length === 0 ? true : undefined), 60_000);
  }, 1_200_000);
});
