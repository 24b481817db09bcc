import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lab, ROOT } from '../helpers/cli.js';
import {
  Client,
  openSocket,
  type OpenSocket,
  removeWorkshopResources,
  startServer,
  until,
  workshopContainers,
  workshopLeftovers,
  type ServerProcess,
} from '../helpers/workshop-server.js';

import { Type } from '@sinclair/typebox';
import { apiProblems } from '../../src/server/api-check.js';
import {
  AttemptSchema,
  LabInfoSchema,
  StudentSchema,
  type Attempt,
  type CheckStarted,
  type GradeResult,
  type Student,
} from '../../src/server/api.js';

const LAB = join(ROOT, 'labs', 'tcp-handshake');
const reference = { 'server.ts': readFileSync(join(LAB, 'server.ts'), 'utf8'), 'client.ts': readFileSync(join(LAB, 'client.ts'), 'utf8') };
const starterServer = readFileSync(join(LAB, 'starter', 'server.ts'), 'utf8');
/** A server that runs but never listens: the `listen` check must fail with its message. */
const neverListens = `// waits forever without a socket\nsetInterval(() => undefined, 1000);\n`;

/** A terminal socket's output so far (binary frames) and control messages (text frames). */
function terminal(sock: OpenSocket): { text: () => string; bytes: () => number; type: (s: string) => void; control: () => unknown[] } {
  const binary = (): Buffer[] => sock.messages.filter((m) => m.binary).map((m) => m.data);
  return {
    text: () => Buffer.concat(binary()).toString(),
    bytes: () => binary().reduce((n, b) => n + b.length, 0),
    type: (s) => sock.ws?.send(Buffer.from(s)),
    control: () => sock.messages.filter((m) => !m.binary).map((m) => JSON.parse(m.data.toString()) as unknown),
  };
}

/** Whether a command's output (after the last echo of the line typed) holds `marker` on a line of its own. */
function ranTo(text: string, typed: string, marker: string): boolean {
  return new RegExp(`(^|[\\r\\n])${marker}\\r?\\n`).test(text.split(typed).pop() ?? '');
}

/** Downloads a .tar.gz and lists it with the system's tar: its entry names and a reader for each. */
async function tarGz(
  url: string,
  headers: Record<string, string>,
): Promise<{ type: string | null; names: string[]; bytes: (n: string) => Buffer; read: (n: string) => string }> {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  const dir = mkdtempSync(join(tmpdir(), 'toplab-bundle-'));
  try {
    const file = join(dir, 'b.tar.gz');
    writeFileSync(file, Buffer.from(await r.arrayBuffer()));
    const list = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
    if (list.status !== 0) throw new Error(`tar -tzf: ${list.stderr}`);
    const content = new Map<string, Buffer>();
    for (const n of list.stdout.split('\n').filter(Boolean))
      content.set(n, spawnSync('tar', ['-xzOf', file, n], { maxBuffer: 64 * 1024 * 1024 }).stdout);
    const bytes = (n: string): Buffer => {
      const b = content.get(n);
      if (!b) throw new Error(`no ${n} in the bundle: ${[...content.keys()].join(', ')}`);
      return b;
    };
    return { type: r.headers.get('content-type'), names: [...content.keys()], bytes, read: (n) => bytes(n).toString() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('workshop server (lab serve) over real HTTP and WebSocket', () => {
  let data = '';
  let server: ServerProcess;
  let admin: Client;
  let a: Client;
  let b: Client;
  let wid = '';
  let code = '';
  let sa: Student;
  let sb: Student;
  const workshops: string[] = [];
  const origin = (): Record<string, string> => ({ origin: new URL(server.url).origin });
  const ws = (path: string): string => server.url.replace(/^http/, 'ws') + path;

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'toplab-serve-'));
    server = await startServer(['--data', data, '--warm', '1', '--idle', '0']);
    expect(server.token).toBeTruthy();
    admin = new Client(server.url, { authorization: `Bearer ${server.token ?? ''}` });
    a = new Client(server.url);
    b = new Client(server.url);
  });

  afterAll(async () => {
    for (const w of workshops) await admin.req('POST', `/api/workshops/${w}/end`).catch(() => undefined);
    await server.stop();
    for (const w of workshops) removeWorkshopResources(w);
    rmSync(data, { recursive: true, force: true });
  });

  it('answers its health check and prints the admin token once', async () => {
    const h = await new Client(server.url).req('GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ ok: true, engine: 'up' });
    const db = new (createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3'))(join(data, 'toplab.db'), {
      readonly: true,
    });
    const row = db.prepare("SELECT value FROM settings WHERE key = 'admin_token_sha256'").get() as { value: string };
    db.close();
    expect(row.value).toBe(
      createHash('sha256')
        .update(server.token ?? '')
        .digest('hex'),
    );
    expect(readFileSync(join(data, 'toplab.db')).includes(Buffer.from(server.token ?? 'x'))).toBe(false);
  });

  it('creates a workshop, and two students join and get instances of their own', async () => {
    const w = await admin.req<{ id: string; code: string; joinUrl: string }>('POST', '/api/workshops', {
      labs: ['tcp-handshake'],
      capacity: 4,
      warm: 1,
    });
    expect(w.status).toBe(201);
    wid = w.body.id;
    code = w.body.code;
    workshops.push(wid);
    expect(w.body.joinUrl).toBe(`${server.url}/join/${code}`);
    const ja = await a.req<{ student: Student }>('POST', '/api/join', { code, name: 'Ada' });
    const jb = await b.req<{ student: Student }>('POST', '/api/join', { code: code.toLowerCase(), name: 'Bob' });
    expect(ja.status).toBe(200);
    expect(jb.status).toBe(200);
    expect(ja.headers.getSetCookie().join()).toMatch(/HttpOnly/i);
    expect(ja.headers.getSetCookie().join()).toMatch(/SameSite=Strict/i);
    sa = await until('Ada ready', async () =>
      (await a.req<Student>('GET', `/api/students/${ja.body.student.id}`)).body.state === 'ready'
        ? (await a.req<Student>('GET', `/api/students/${ja.body.student.id}`)).body
        : undefined,
    );
    sb = await until('Bob ready', async () =>
      (await b.req<Student>('GET', `/api/students/${jb.body.student.id}`)).body.state === 'ready'
        ? (await b.req<Student>('GET', `/api/students/${jb.body.student.id}`)).body
        : undefined,
    );
    expect(sa.id).not.toBe(sb.id);
    expect(sa.nodes.map((n) => n.name)).toEqual(['client', 'server']);
    // Coming back with the same code and name is the same student.
    const again = await new Client(server.url).req<{ student: Student }>('POST', '/api/join', { code, name: 'Ada' });
    expect(again.body.student.id).toBe(sa.id);
    const list = await admin.req<Student[]>('GET', `/api/workshops/${wid}/students`);
    expect(list.body.map((s) => s.id).sort()).toEqual([sa.id, sb.id].sort());
  });

  it("saves and loads files, only the lab's own names and sizes", async () => {
    const files = await a.req<{ name: string; modified: boolean }[]>('GET', `/api/students/${sa.id}/files`);
    expect(files.body.map((f) => f.name)).toEqual(['client.ts', 'server.ts']);
    expect((await a.req<{ content: string }>('GET', `/api/students/${sa.id}/files/server.ts`)).body.content).toBe(starterServer);
    for (const [name, content] of Object.entries(reference))
      expect((await a.req('PUT', `/api/students/${sa.id}/files/${name}`, { content }, origin())).status).toBe(200);
    expect((await a.req<{ content: string; modified: boolean }>('GET', `/api/students/${sa.id}/files/server.ts`)).body).toMatchObject({
      content: reference['server.ts'],
      modified: true,
    });
    expect((await b.req('PUT', `/api/students/${sb.id}/files/server.ts`, { content: neverListens })).status).toBe(200);
    expect((await a.req('PUT', `/api/students/${sa.id}/files/..%2Fetc%2Fpasswd`, { content: 'x' })).status).toBe(400);
    expect((await a.req('PUT', `/api/students/${sa.id}/files/other.ts`, { content: 'x' })).status).toBe(400);
    expect((await a.req('PUT', `/api/students/${sa.id}/files/lab.yaml`, { content: 'x' })).status).toBe(400);
    expect((await a.req('PUT', `/api/students/${sa.id}/files/server.ts`, { content: 'x'.repeat(300 * 1024) })).status).toBe(413);
    // A reset to the starter, then the reference again.
    expect((await a.req<{ content: string }>('DELETE', `/api/students/${sa.id}/files/client.ts`)).body.content).toBe(
      readFileSync(join(LAB, 'starter', 'client.ts'), 'utf8'),
    );
    expect((await a.req('PUT', `/api/students/${sa.id}/files/client.ts`, { content: reference['client.ts'] })).status).toBe(200);
  });

  it('opens a terminal in the server node: after a restart of the programs, netstat -tln shows LISTEN on 9000', async () => {
    expect((await a.req('POST', `/api/students/${sa.id}/restart`, undefined, origin())).status).toBe(202);
    await until('programs restarted', async () =>
      (await a.req<Student>('GET', `/api/students/${sa.id}`)).body.state === 'ready' ? true : undefined,
    );
    const sock = await openSocket(ws(`/api/students/${sa.id}/terminals/server?cols=120&rows=30`), { cookie: a.cookie, ...origin() });
    expect(sock.status).toBeUndefined();
    const t = terminal(sock);
    await until('prompt', async () => (t.text().includes('$ ') ? true : undefined), 10_000);
    t.type('netstat -tln; echo END-OF-LIST\r');
    await until('netstat output', async () => (ranTo(t.text(), 'echo END-OF-LIST', 'END-OF-LIST') ? true : undefined), 20_000);
    expect(t.text()).toMatch(/:9000\s+\S+\s+LISTEN/);
    sock.ws?.close();
    // Reconnecting replays the recent output.
    const again = await openSocket(ws(`/api/students/${sa.id}/terminals/server`), { cookie: a.cookie });
    const t2 = terminal(again);
    await until('replay', async () => (t2.text().includes('END-OF-LIST') ? true : undefined), 10_000);
    expect(t2.control()[0]).toMatchObject({ type: 'replay' });
    again.ws?.close();
  });

  it('keeps a flood from a paused terminal in the node, not in the server, and types after it', async () => {
    const opened = await openSocket(ws(`/api/students/${sa.id}/terminals/client`), { cookie: a.cookie });
    const sock = opened.ws;
    const t = terminal(opened);
    await until('prompt', async () => (t.text().includes('$ ') ? true : undefined), 10_000);
    sock?.send(JSON.stringify({ type: 'pause' }));
    await new Promise((r) => setTimeout(r, 300));
    const before = t.bytes();
    t.type('yes | head -c 20000000; echo FLOOD2-DONE\r');
    await new Promise((r) => setTimeout(r, 3000));
    // Paused: at most what was in flight (a few pipe buffers), nowhere near 20 MB.
    expect(t.bytes() - before).toBeLessThan(2 * 1024 * 1024);
    sock?.send(JSON.stringify({ type: 'resume' }));
    await until(
      'the flood to end',
      async () => (ranTo(t.text().slice(-4096), 'echo FLOOD2-DONE', 'FLOOD2-DONE') ? true : undefined),
      120_000,
    );
    t.type('echo typed-after-flood\r');
    await until(
      'a command after the flood',
      async () => (ranTo(t.text().slice(-4096), 'echo typed-after-flood', 'typed-after-flood') ? true : undefined),
      20_000,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}; the terminal ends: ${JSON.stringify(t.text().slice(-600))}`);
    });
    sock?.close();
  });

  it('checks the reference (9/9) and a server that never listens (listen FAIL), one check at a time', async () => {
    const ca = await a.req<CheckStarted>('POST', `/api/students/${sa.id}/check`, undefined, origin());
    expect(ca.status).toBe(202);
    expect((await a.req<{ error: string }>('POST', `/api/students/${sa.id}/check`)).body.error).toBe('check-running');
    const cb = await b.req<CheckStarted>('POST', `/api/students/${sb.id}/check`);
    expect(cb.status).toBe(202);
    const done = async (c: Client, sid: string, id: number): Promise<Attempt & { result: GradeResult }> =>
      until(
        `attempt ${id}`,
        async () => {
          const r = await c.req<Attempt & { result: GradeResult }>('GET', `/api/students/${sid}/attempts/${id}`);
          return r.body.status === 'running' ? undefined : r.body;
        },
        120_000,
      );
    const ra = await done(a, sa.id, ca.body.attemptId);
    expect(ra.status).toBe('passed');
    expect(ra.score).toBe(9);
    const rb = await done(b, sb.id, cb.body.attemptId);
    expect(rb.status).toBe('failed');
    // The answers of a real check on a real engine are what the pages' types say (src/server/api.ts).
    expect(apiProblems(AttemptSchema, ra)).toEqual([]);
    expect(apiProblems(AttemptSchema, rb)).toEqual([]);
    expect(apiProblems(LabInfoSchema, (await a.req('GET', `/api/students/${sa.id}/lab`)).body)).toEqual([]);
    const listen = rb.result.checks.find((c) => c.id === 'listen');
    expect(listen?.status).toBe('failed');
    expect(listen?.message).toBeTruthy();
    const pcap = ra.artifacts.find((f) => f.name.endsWith('.pcap'));
    expect(pcap).toBeDefined();
    const dl = await fetch(server.url + (pcap?.url ?? ''), { headers: { cookie: a.cookie } });
    expect(dl.status).toBe(200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(bytes.readUInt32LE(0)).toBe(0xa1b2c3d4);
    const rows = await admin.req<Student[]>('GET', `/api/workshops/${wid}/students`);
    expect(apiProblems(Type.Array(StudentSchema), rows.body)).toEqual([]);
    expect(rows.body.find((s) => s.id === sb.id)?.failing).toContain('listen');
    expect(rows.body.find((s) => s.id === sa.id)?.lastScore).toBe(9);
    const csv = await admin.req<string>('GET', `/api/workshops/${wid}/export?format=csv`);
    expect(csv.body).toMatch(/^name,state,lab,attempts,score,max_score,status,listen,/);
    expect(csv.body).toMatch(/\nAda,[a-z]+,tcp-handshake,1,9,9,passed,passed/);
  });

  it("exports the evidence bundle: each student's last report in every format, its pcaps and program output, and the CSV", async () => {
    const t = await tarGz(server.url + `/api/workshops/${wid}/export?format=bundle`, admin.headers);
    expect(t.type).toBe('application/gzip');
    expect(t.names).toContain(`${code}/grades.csv`);
    expect(t.read(`${code}/grades.csv`)).toMatch(/\nAda,[a-z]+,tcp-handshake,1,9,9,passed,passed/);
    const ada = `${code}/students/Ada-${sa.id.slice(0, 8)}/`;
    const bob = `${code}/students/Bob-${sb.id.slice(0, 8)}/`;
    const attemptA = t.names.find((n) => n.startsWith(`${ada}attempt-`) && n.endsWith('/report.json')) ?? '';
    const dirA = attemptA.replace(/report\.json$/, '');
    expect(JSON.parse(t.read(attemptA))).toMatchObject({ score: 9, maxScore: 9, status: 'passed', submission: 'Ada' });
    expect(t.read(`${dirA}report.junit.xml`)).toMatch(/<testsuite/);
    expect(JSON.parse(t.read(`${dirA}report.gradescope.json`))).toMatchObject({ score: 9 });
    expect(t.read(`${dirA}report.tap.txt`)).toMatch(/^TAP version|^1\.\.|ok 1/m);
    expect(t.read(`${dirA}submitted/server.ts`)).toBe(reference['server.ts']);
    expect(t.read(`${ada}files/server.ts`)).toBe(reference['server.ts']);
    const pcap = t.names.find((n) => n.startsWith(`${dirA}artifacts/`) && n.endsWith('.pcap')) ?? '';
    expect(t.bytes(pcap).readUInt32LE(0)).toBe(0xa1b2c3d4);
    // Program output (the observer's and the programs' logs) is there beside the captures.
    expect(t.names.filter((n) => n.startsWith(`${dirA}artifacts/`) && !n.endsWith('.pcap')).length).toBeGreaterThan(0);
    const attemptB = t.names.find((n) => n.startsWith(`${bob}attempt-`) && n.endsWith('/report.json')) ?? '';
    expect(
      (JSON.parse(t.read(attemptB)) as { checks: { id: string; status: string }[] }).checks.find((c) => c.id === 'listen')?.status,
    ).toBe('failed');
    expect(t.read(`${bob}files/server.ts`)).toBe(neverListens);
    // A student's own bundle holds only their own folder.
    const own = await tarGz(server.url + `/api/students/${sb.id}/bundle`, { cookie: b.cookie });
    expect(own.names.length).toBeGreaterThan(0);
    expect(own.names.every((n) => n.startsWith(`Bob-${sb.id.slice(0, 8)}/`))).toBe(true);
  });

  it("refuses other students' ids (404), missing or forged credentials (401), wrong roles (403) and foreign origins", async () => {
    const other = sa.id;
    const paths: [string, string][] = [
      ['GET', `/api/students/${other}`],
      ['GET', `/api/students/${other}/lab`],
      ['GET', `/api/students/${other}/files`],
      ['GET', `/api/students/${other}/files/server.ts`],
      ['PUT', `/api/students/${other}/files/server.ts`],
      ['DELETE', `/api/students/${other}/files/server.ts`],
      ['POST', `/api/students/${other}/check`],
      ['GET', `/api/students/${other}/attempts`],
      ['GET', `/api/students/${other}/attempts/1`],
      ['GET', `/api/students/${other}/attempts/1/artifacts/wire.pcap`],
      ['POST', `/api/students/${other}/restart`],
      ['POST', `/api/students/${other}/reset`],
      ['POST', `/api/students/${other}/start`],
      ['POST', `/api/students/${other}/still-here`],
      ['GET', `/api/students/${other}/bundle`],
    ];
    for (const [m, p] of paths) {
      const body = m === 'PUT' ? { content: 'x' } : undefined;
      expect([m, p, (await b.req(m, p, body)).status]).toEqual([m, p, 404]);
      expect([m, p, (await new Client(server.url).req(m, p, body)).status]).toEqual([m, p, 401]);
      const forged = new Client(server.url);
      forged.cookie = `toplab_session=${randomBytes(32).toString('base64url')}`;
      expect([m, p, (await forged.req(m, p, body)).status]).toEqual([m, p, 401]);
      expect([m, p, (await new Client(server.url, { authorization: 'Bearer not-the-token-at-all' }).req(m, p, body)).status]).toEqual([
        m,
        p,
        401,
      ]);
    }
    // Bob's own attempt ids under Ada's path, and Ada's attempt under Bob's: 404 both ways.
    expect((await b.req('GET', `/api/students/${sb.id}/attempts/1`)).status).toBe(404);
    // An expired session.
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Sqlite(join(data, 'toplab.db'));
    const token = randomBytes(32).toString('base64url');
    db.prepare("INSERT INTO sessions (token_sha256, role, student_id, created_at, expires_at) VALUES (?, 'student', ?, ?, ?)").run(
      createHash('sha256').update(token).digest('hex'),
      sb.id,
      '2020-01-01T00:00:00Z',
      '2020-01-02T00:00:00Z',
    );
    db.close();
    const expired = new Client(server.url);
    expired.cookie = `toplab_session=${token}`;
    expect((await expired.req<{ error: string }>('GET', `/api/students/${sb.id}`)).body).toMatchObject({ error: 'session-expired' });
    expect((await expired.req('GET', `/api/students/${sb.id}`)).status).toBe(401);
    // Students on admin endpoints: 403; admin endpoints without credentials: 401.
    for (const [m, p] of [
      ['GET', '/api/workshops'],
      ['POST', '/api/workshops'],
      ['GET', `/api/workshops/${wid}/students`],
      ['POST', `/api/workshops/${wid}/end`],
      ['GET', `/api/workshops/${wid}/export`],
      ['GET', `/api/workshops/${wid}/export?format=bundle`],
      ['GET', '/api/audit'],
    ] as const) {
      expect([m, p, (await b.req(m, p, m === 'POST' ? {} : undefined)).status]).toEqual([m, p, 403]);
      expect([m, p, (await new Client(server.url).req(m, p, m === 'POST' ? {} : undefined)).status]).toEqual([m, p, 401]);
    }
    // WebSockets: another student's terminal 404, no cookie 401, a foreign Origin 403, admin without watch 403.
    expect((await openSocket(ws(`/api/students/${other}/terminals/server`), { cookie: b.cookie })).status).toBe(404);
    expect((await openSocket(ws(`/api/students/${other}/terminals/server`), {})).status).toBe(401);
    expect(
      (await openSocket(ws(`/api/students/${other}/terminals/server`), { cookie: a.cookie, origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect((await openSocket(ws(`/api/students/${other}/terminals/nosuchnode`), { cookie: a.cookie })).status).toBe(404);
    expect(
      (await openSocket(ws(`/api/students/${other}/terminals/server`), { authorization: `Bearer ${server.token ?? ''}` })).status,
    ).toBe(403);
    expect((await openSocket(ws('/api/events'), { cookie: a.cookie, origin: 'http://evil.example' })).status).toBe(403);
    expect((await openSocket(ws('/api/events'), {})).status).toBe(401);
    // A cross-site POST is refused whatever its credentials.
    expect((await a.req('POST', `/api/students/${sa.id}/still-here`, undefined, { origin: 'https://evil.example' })).status).toBe(403);
    // The admin token exchanged for an admin cookie; a wrong token is refused and logged.
    const browser = new Client(server.url);
    expect((await browser.req('POST', '/api/admin/login', { token: 'wrong-token-0123456789' })).status).toBe(401);
    expect((await browser.req('POST', '/api/admin/login', { token: server.token })).status).toBe(204);
    expect(browser.cookie).toMatch(/toplab_admin=/);
    expect((await browser.req('GET', '/api/workshops')).status).toBe(200);
    expect((await browser.req('PUT', `/api/students/${other}/files/server.ts`, { content: 'x' })).status).toBe(403);
    // The instructor's read-only watch works and is logged.
    const watch = await openSocket(ws(`/api/students/${other}/terminals/server?watch=1`), {
      authorization: `Bearer ${server.token ?? ''}`,
    });
    expect(watch.ws).toBeDefined();
    watch.ws?.close();
    const audit = await admin.req<{ action: string; subject: string }[]>('GET', `/api/audit?workshop=${wid}`);
    expect(audit.body.some((e) => e.action === 'watch-terminal' && e.subject === other)).toBe(true);
  });

  it("streams a student's own events, and the class to the instructor", async () => {
    const mine = await openSocket(ws('/api/events'), { cookie: b.cookie });
    const all = await openSocket(ws(`/api/events?workshop=${wid}`), { authorization: `Bearer ${server.token ?? ''}` });
    type Ev = { type: string; student?: { id: string } };
    const got = {
      get mine(): Ev[] {
        return mine.messages.map((m) => JSON.parse(m.data.toString()) as Ev);
      },
      get all(): Ev[] {
        return all.messages.map((m) => JSON.parse(m.data.toString()) as Ev);
      },
    };
    await a.req('POST', `/api/students/${sa.id}/still-here`);
    await until('first rows', async () => (got.mine.length >= 1 && got.all.length >= 2 ? true : undefined), 10_000);
    expect(got.mine.every((e) => e.student === undefined || e.student.id === sb.id)).toBe(true);
    expect(new Set(got.all.filter((e) => e.student).map((e) => e.student?.id))).toEqual(new Set([sa.id, sb.id]));
    mine.ws?.close();
    all.ws?.close();
  });

  it('resets an instance and keeps the files', async () => {
    const before = workshopContainers(wid);
    expect((await a.req('POST', `/api/students/${sa.id}/reset`)).status).toBe(202);
    await until(
      'Ada ready again',
      async () => ((await a.req<Student>('GET', `/api/students/${sa.id}`)).body.state === 'ready' ? true : undefined),
      120_000,
    );
    expect((await a.req<{ content: string }>('GET', `/api/students/${sa.id}/files/server.ts`)).body.content).toBe(reference['server.ts']);
    const after = workshopContainers(wid);
    const aContainersBefore = before.filter((n) => !after.includes(n));
    expect(aContainersBefore.length).toBeGreaterThan(0);
  });

  it('replaces an instance whose containers were removed behind its back, files kept', async () => {
    const db = new (createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3'))(join(data, 'toplab.db'), {
      readonly: true,
    });
    const instance = (): string | null =>
      (db.prepare('SELECT instance FROM students WHERE id = ?').get(sb.id) as { instance: string | null }).instance;
    const before = instance();
    expect(before).toBeTruthy();
    const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=org.toplab.instance=${before ?? ''}`], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    spawnSync('docker', ['rm', '-f', ...ids]);
    await until(
      'a new instance for Bob',
      async () => {
        const s = (await b.req<Student>('GET', `/api/students/${sb.id}`)).body;
        const now = instance();
        return s.state === 'ready' && now !== null && now !== before ? true : undefined;
      },
      90_000,
    );
    db.close();
    expect((await b.req<{ content: string }>('GET', `/api/students/${sb.id}/files/server.ts`)).body.content).toBe(neverListens);
  });

  it('restarts without losing a student, a file, a session or a result', async () => {
    const attemptsBefore = (await a.req<unknown[]>('GET', `/api/students/${sa.id}/attempts`)).body;
    const held = (): string[] => {
      const db = new (createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3'))(join(data, 'toplab.db'), {
        readonly: true,
      });
      const names = (
        db.prepare('SELECT instance FROM students WHERE workshop_id = ? ORDER BY name').all(wid) as { instance: string | null }[]
      ).map((r) => r.instance ?? '');
      db.close();
      return names;
    };
    const instancesBefore = held();
    expect(instancesBefore.every(Boolean)).toBe(true);
    const containersBefore = workshopContainers(wid)
      .filter((c) => instancesBefore.some((i) => c.includes(`-${i}-`)))
      .sort();
    expect(containersBefore.length).toBeGreaterThanOrEqual(4);
    // Another server on the same engine (another data directory) reconciles only what it made itself.
    const otherData = mkdtempSync(join(tmpdir(), 'toplab-serve-other-'));
    const other = await startServer(['--data', otherData, '--warm', '0']);
    await until('the other server reconciled', async () => (/reconciled/.test(other.log()) ? true : undefined), 30_000);
    await other.stop();
    rmSync(otherData, { recursive: true, force: true });
    expect(
      workshopContainers(wid)
        .filter((c) => instancesBefore.some((i) => c.includes(`-${i}-`)))
        .sort(),
    ).toEqual(containersBefore);
    await server.stop();
    server = await startServer(['--data', data, '--warm', '1', '--idle', '0']);
    expect(server.token).toBeUndefined();
    for (const c of [admin, a, b]) (c as { base: string }).base = server.url;
    // Same cookies, same token, same ids.
    const me = await a.req<{ student: Student }>('GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body.student.id).toBe(sa.id);
    expect(me.body.student.state).toBe('ready');
    expect((await a.req<{ content: string }>('GET', `/api/students/${sa.id}/files/server.ts`)).body.content).toBe(reference['server.ts']);
    expect((await a.req<unknown[]>('GET', `/api/students/${sa.id}/attempts`)).body).toEqual(attemptsBefore);
    expect((await admin.req<unknown[]>('GET', `/api/workshops/${wid}/students`)).body).toHaveLength(2);
    expect(held()).toEqual(instancesBefore);
    expect(
      workshopContainers(wid)
        .filter((c) => instancesBefore.some((i) => c.includes(`-${i}-`)))
        .sort(),
    ).toEqual(containersBefore);
    expect(server.log()).toMatch(/instance\(s\) kept/);
  });

  it('ends the workshop: every container goes, files and results stay', async () => {
    const end = await admin.req<{ endedAt: string | null }>('POST', `/api/workshops/${wid}/end`, undefined, origin());
    expect(end.status).toBe(200);
    expect(end.body.endedAt).toBeTruthy();
    expect(workshopLeftovers(wid)).toEqual({ containers: [], networks: [] });
    expect((await admin.req<{ content: string }>('GET', `/api/students/${sa.id}/files/server.ts`)).body.content).toBe(
      reference['server.ts'],
    );
    expect((await admin.req<{ status: string }[]>('GET', `/api/students/${sa.id}/attempts`)).body[0]?.status).toBeDefined();
    // Afterwards a student reads and downloads their own files and results, and changes nothing.
    expect((await a.req<{ state: string }>('GET', `/api/students/${sa.id}`)).body.state).toBe('removed');
    expect((await a.req<{ content: string }>('GET', `/api/students/${sa.id}/files/server.ts`)).body.content).toBe(reference['server.ts']);
    const own = await tarGz(server.url + `/api/students/${sa.id}/bundle`, { cookie: a.cookie });
    expect(own.read(`Ada-${sa.id.slice(0, 8)}/files/server.ts`)).toBe(reference['server.ts']);
    expect(own.names.some((n) => n.endsWith('.pcap'))).toBe(true);
    expect((await a.req<{ error: string }>('PUT', `/api/students/${sa.id}/files/server.ts`, { content: 'x' })).body.error).toBe(
      'workshop-ended',
    );
    expect((await a.req('POST', `/api/students/${sa.id}/check`)).status).toBe(403);
    expect((await b.req('GET', `/api/students/${sa.id}/bundle`)).status).toBe(404);
    expect((await new Client(server.url).req('POST', '/api/join', { code, name: 'Late' })).status).toBe(410);
  });

  it('lab workshop create, list, export and end work on the same database as the running server', async () => {
    const created = await lab(['workshop', 'create', 'tcp-handshake', '--data', data, '--capacity', '2', '--ends', '+1h', '--warm', '0']);
    expect(created.code, created.stderr).toBe(0);
    const newCode = /code (\w{6})/.exec(created.stdout)?.[1] ?? '';
    expect((await admin.req<{ code: string }[]>('GET', '/api/workshops')).body.map((w) => w.code)).toContain(newCode);
    const list = await lab(['workshop', 'list', '--data', data]);
    expect(list.stdout).toMatch(new RegExp(`${code}\\s+ended`));
    expect(list.stdout).toMatch(new RegExp(`${newCode}\\s+open`));
    const csv = await lab(['workshop', 'export', code, '--data', data, '--format', 'csv']);
    expect(csv.stdout).toMatch(/\nAda,removed,tcp-handshake,1,9,9,passed,passed/);
    const json = await lab(['workshop', 'export', code, '--data', data, '--format', 'json']);
    expect((JSON.parse(json.stdout) as { submission: string; score: number }[]).find((r) => r.submission === 'Ada')?.score).toBe(9);
    const ended = await lab(['workshop', 'end', newCode, '--data', data]);
    expect(ended.code, ended.stderr).toBe(0);
    expect(
      (await admin.req<{ code: string; endedAt: string | null }[]>('GET', '/api/workshops')).body.find((w) => w.code === newCode)?.endedAt,
    ).toBeTruthy();
  });
});

describe('workshop server idle cull', () => {
  let data = '';
  let server: ServerProcess | undefined;
  let wid = '';

  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'toplab-serve-idle-'));
  });

  afterAll(async () => {
    await server?.stop();
    if (wid) removeWorkshopResources(wid);
    rmSync(data, { recursive: true, force: true });
  });

  it('warns, then removes an idle instance; files stay and Start brings a fresh one', async () => {
    // 0.15 minutes: a warning after 4.5 s, the cull after 9 s of no terminal, save or check.
    const srv = await startServer(['--data', data, '--warm', '0', '--idle', '0.15'], {
      TOPLAB_ADMIN_TOKEN: 'a-token-of-the-tests-0123456789',
    });
    server = srv;
    const admin = new Client(srv.url, { authorization: 'Bearer a-token-of-the-tests-0123456789' });
    const w = await admin.req<{ id: string; code: string }>('POST', '/api/workshops', { labs: ['tcp-handshake'], capacity: 2, warm: 0 });
    wid = w.body.id;
    const s = new Client(srv.url);
    const j = await s.req<{ student: Student }>('POST', '/api/join', { code: w.body.code, name: 'Idle' });
    const sid = j.body.student.id;
    expect(j.body.student.state).toBe('queued');
    await until(
      'ready',
      async () => ((await s.req<Student>('GET', `/api/students/${sid}`)).body.state === 'ready' ? true : undefined),
      60_000,
    );
    expect((await s.req('PUT', `/api/students/${sid}/files/server.ts`, { content: reference['server.ts'] })).status).toBe(200);
    const ev = await openSocket(srv.url.replace(/^http/, 'ws') + '/api/events', { cookie: s.cookie });
    await until(
      'idle warning',
      async () => (ev.messages.some((m) => (JSON.parse(m.data.toString()) as { type: string }).type === 'idle-warning') ? true : undefined),
      30_000,
    );
    const culled = await until(
      'culled',
      async () => {
        const r = await s.req<Student>('GET', `/api/students/${sid}`);
        return r.body.state === 'stopped' ? r.body : undefined;
      },
      30_000,
    );
    expect(culled.message).toMatch(/files are kept/);
    await until(
      'containers and networks gone',
      async () => (workshopLeftovers(wid).containers.length + workshopLeftovers(wid).networks.length === 0 ? true : undefined),
      20_000,
    );
    expect((await s.req<{ content: string }>('GET', `/api/students/${sid}/files/server.ts`)).body.content).toBe(reference['server.ts']);
    expect((await s.req('POST', `/api/students/${sid}/check`)).status).toBe(409);
    expect((await s.req('POST', `/api/students/${sid}/start`)).status).toBe(202);
    await until(
      'ready again',
      async () => ((await s.req<Student>('GET', `/api/students/${sid}`)).body.state === 'ready' ? true : undefined),
      60_000,
    );
    expect(workshopContainers(wid).length).toBeGreaterThan(0);
    // While it waited, it was told how far its instance was, container by container; it got the instance as
    // soon as its nodes ran (the observers for Check are made after, and a Check waits for them).
    const waits = ev.messages
      .map((m) => JSON.parse(m.data.toString()) as { type: string; student?: { id: string; state: string; progress: string | null } })
      .filter((e) => e.type === 'student' && e.student?.id === sid && e.student.state === 'queued')
      .map((e) => e.student?.progress);
    expect(waits).toContain('starting your lab: 1 of 2 containers');
    expect(waits).toContain('starting your lab: 2 of 2 containers');
    expect(waits.filter((x) => /capture/.test(x ?? ''))).toEqual([]);
    expect(waits.indexOf('starting your lab: 1 of 2 containers')).toBeLessThan(waits.indexOf('starting your lab: 2 of 2 containers'));
    ev.ws?.close();
    await admin.req('POST', `/api/workshops/${wid}/end`);
    expect(workshopLeftovers(wid)).toEqual({ containers: [], networks: [] });
  });
});
