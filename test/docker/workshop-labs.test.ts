import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { Client, removeWorkshopResources, startServer, until, type ServerProcess } from '../helpers/workshop-server.js';
import type { Student } from '../../src/server/api.js';

// A workshop of two labs in order (docs/workshop.md, "Labs in order"): the second opens once the first passed;
// each lab has its own instance, files and attempts, and the exports and the dashboard's data are per lab.
const FIRST = 'tcp-handshake';
const SECOND = 'udp-echo';
const ref = (lab: string, f: string): string => readFileSync(join(ROOT, 'labs', lab, f), 'utf8');

describe('a workshop of several labs, in order', () => {
  let data = '';
  let server: ServerProcess;
  let admin: Client;
  let ada: Client;
  let wid = '';
  let sid = '';
  const student = async (): Promise<Student> => (await ada.req<Student>('GET', `/api/students/${sid}`)).body;
  const ready = (lab: string) =>
    until(
      `Ada ready on ${lab}`,
      async () => {
        const s = await student();
        return s.state === 'ready' && s.lab === lab ? s : undefined;
      },
      120_000,
    );
  const check = async (): Promise<{ status: string; lab: string }> => {
    const c = await ada.req<{ attemptId: number }>('POST', `/api/students/${sid}/check`);
    expect(c.status).toBe(202);
    return until(
      'the check',
      async () => {
        const a = await ada.req<{ status: string; lab: string }>('GET', `/api/students/${sid}/attempts/${c.body.attemptId}`);
        return a.body.status === 'running' ? undefined : a.body;
      },
      120_000,
    );
  };

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'toplab-serve-labs-'));
    server = await startServer(['--data', data, '--warm', '1', '--idle', '0']);
    admin = new Client(server.url, { authorization: `Bearer ${server.token ?? ''}` });
    ada = new Client(server.url);
  });

  afterAll(async () => {
    if (wid) await admin.req('POST', `/api/workshops/${wid}/end`).catch(() => undefined);
    await server.stop();
    if (wid) removeWorkshopResources(wid);
    rmSync(data, { recursive: true, force: true });
  });

  it('refuses a list naming a lab twice, or an unknown progression', async () => {
    expect((await admin.req('POST', '/api/workshops', { labs: [FIRST, FIRST] })).status).toBe(400);
    expect((await admin.req('POST', '/api/workshops', { labs: [FIRST, SECOND], progression: 'random' })).status).toBe(400);
  });

  it('starts a student on the first lab; the second stays locked until the first passed', async () => {
    const w = await admin.req<{ id: string; code: string; labs: string[]; progression: string }>('POST', '/api/workshops', {
      labs: [FIRST, SECOND],
      capacity: 3,
      warm: 1,
    });
    expect(w.status).toBe(201);
    expect(w.body).toMatchObject({ labs: [FIRST, SECOND], progression: 'ordered' });
    wid = w.body.id;
    const j = await ada.req<{ student: Student }>('POST', '/api/join', { code: w.body.code, name: 'Ada' });
    sid = j.body.student.id;
    const s = await ready(FIRST);
    expect(s.labs.map((l) => [l.name, l.current, l.open])).toEqual([
      [FIRST, true, true],
      [SECOND, false, false],
    ]);
    const locked = await ada.req<{ error: string; message: string }>('POST', `/api/students/${sid}/lab`, { lab: SECOND });
    expect(locked.status).toBe(403);
    expect(locked.body.error).toBe('lab-locked');
    expect(locked.body.message).toMatch(new RegExp(`passed '${FIRST}'`));
    expect((await ada.req('POST', `/api/students/${sid}/lab`, { lab: 'ping-icmp' })).status).toBe(400);
  });

  it('moves to the next lab once the first passed: a new instance, the files and attempts of each lab apart', async () => {
    for (const f of ['server.ts', 'client.ts'])
      expect((await ada.req('PUT', `/api/students/${sid}/files/${f}`, { content: ref(FIRST, f) })).status).toBe(200);
    expect(await check()).toMatchObject({ status: 'passed', lab: FIRST });
    const before = await student();
    expect(before.labs.find((l) => l.name === SECOND)?.open).toBe(true);
    // Having passed, Ada is likely to move on: an instance of the next lab is made ahead (warm: 1).
    await until(
      'an instance of the second lab made ahead',
      async () => (labContainers(wid, SECOND).length >= 2 ? true : undefined),
      120_000,
    );
    const moved = await ada.req<Student>('POST', `/api/students/${sid}/lab`, { lab: SECOND });
    expect(moved.status).toBe(202);
    expect(moved.body.lab).toBe(SECOND);
    const s = await ready(SECOND);
    // The attempts shown are the current lab's; each lab keeps its own.
    expect(s).toMatchObject({ attempts: 0, lastScore: null });
    expect(s.labs.map((l) => [l.name, l.current, l.passed, l.attempts])).toEqual([
      [FIRST, false, true, 1],
      [SECOND, true, false, 0],
    ]);
    // The second lab's starter, not the first lab's saved server.
    expect((await ada.req<{ content: string }>('GET', `/api/students/${sid}/files/server.ts`)).body.content).toBe(
      readFileSync(join(ROOT, 'labs', SECOND, 'starter', 'server.ts'), 'utf8'),
    );
    const lab = await ada.req<{ name: string }>('GET', `/api/students/${sid}/lab`);
    expect(lab.body.name).toBe(SECOND);
    // Its own instance: every container of the instance it had on the first lab is gone.
    const audit = await admin.req<{ action: string; detail: { instance?: string } }[]>('GET', `/api/audit?workshop=${wid}`);
    const old = audit.body.find((a) => a.action === 'move-lab')?.detail.instance;
    expect(old).toBeTruthy();
    expect(instanceContainers(old ?? '')).toEqual([]);
    expect(instanceContainers(old ?? '', true)).toEqual([]);
    for (const f of ['server.ts', 'client.ts'])
      expect((await ada.req('PUT', `/api/students/${sid}/files/${f}`, { content: ref(SECOND, f) })).status).toBe(200);
    expect(await check()).toMatchObject({ status: 'passed', lab: SECOND });
    expect((await ada.req<{ lab: string }[]>('GET', `/api/students/${sid}/attempts?lab=${FIRST}`)).body.map((a) => a.lab)).toEqual([FIRST]);
  });

  it('goes back to the first lab with its files as they were; exports per lab and for all labs', async () => {
    expect((await ada.req('POST', `/api/students/${sid}/lab`, { lab: FIRST })).status).toBe(202);
    await ready(FIRST);
    expect((await ada.req<{ content: string }>('GET', `/api/students/${sid}/files/server.ts`)).body.content).toBe(ref(FIRST, 'server.ts'));
    const all = await admin.req<string>('GET', `/api/workshops/${wid}/export?format=csv`);
    const lines = all.body.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^name,state,lab,attempts,score,max_score,status,${FIRST}:listen,.*,${SECOND}:`));
    expect(
      lines.slice(1).map((l) =>
        l
          .split(',')
          .slice(0, 3)
          .concat(l.split(',')[6] ?? '')
          .join(','),
      ),
    ).toEqual([`Ada,ready,${FIRST},passed`, `Ada,ready,${SECOND},passed`]);
    const one = await admin.req<string>('GET', `/api/workshops/${wid}/export?format=csv&lab=${SECOND}`);
    expect(one.body.split('\n')[0]).not.toContain(FIRST);
    expect(one.body.trim().split('\n')).toHaveLength(2);
    const json = await admin.req<{ lab: string }[]>('GET', `/api/workshops/${wid}/export?format=json`);
    expect(json.body.map((r) => r.lab).sort()).toEqual([FIRST, SECOND].sort());
    expect((await admin.req('GET', `/api/workshops/${wid}/export?format=csv&lab=ping-icmp`)).status).toBe(400);
    const info = await admin.req<{ checks: { id: string }[] }>('GET', `/api/labs/${SECOND}`);
    expect(info.body.checks.length).toBeGreaterThan(0);
    expect((await admin.req('GET', '/api/labs/..%2F..%2Fetc')).status).toBe(404);
    // The same authorization as every endpoint: a lab's details are the instructor's; a move is the student's own.
    expect((await new Client(server.url).req('GET', `/api/labs/${SECOND}`)).status).toBe(401);
    expect((await ada.req('GET', `/api/labs/${SECOND}`)).status).toBe(403);
    const bob = new Client(server.url);
    const code = (await admin.req<{ code: string }>('GET', `/api/workshops/${wid}`)).body.code;
    const jb = await bob.req<{ student: Student }>('POST', '/api/join', { code, name: 'Bob' });
    expect((await bob.req('POST', `/api/students/${sid}/lab`, { lab: FIRST })).status).toBe(404);
    expect((await ada.req('POST', `/api/students/${jb.body.student.id}/lab`, { lab: FIRST })).status).toBe(404);
    expect((await new Client(server.url).req('POST', `/api/students/${sid}/lab`, { lab: FIRST })).status).toBe(401);
    expect((await ada.req('POST', `/api/students/${sid}/lab`, { lab: FIRST }, { origin: 'http://evil.example' })).status).toBe(403);
    const audit = await admin.req<{ action: string; detail: { from?: string; to?: string } }[]>('GET', `/api/audit?workshop=${wid}`);
    expect(audit.body.filter((a) => a.action === 'move-lab').map((a) => `${a.detail.from}>${a.detail.to}`)).toEqual([
      `${SECOND}>${FIRST}`,
      `${FIRST}>${SECOND}`,
    ]);
  });
});

/** Node containers of a workshop's instances of one lab. */
function labContainers(workshop: string, labName: string): string[] {
  return spawnSync(
    'docker',
    [
      'ps',
      '-q',
      '--filter',
      `label=org.toplab.workshop=${workshop}`,
      '--filter',
      `label=org.toplab.lab=${labName}`,
      '--filter',
      'label=org.toplab.role=node',
    ],
    { encoding: 'utf8' },
  )
    .stdout.split('\n')
    .filter(Boolean);
}

/** Containers (or networks) labelled as an instance's. */
function instanceContainers(instance: string, networks = false): string[] {
  const args = networks ? ['network', 'ls', '-q'] : ['ps', '-aq'];
  return spawnSync('docker', [...args, '--filter', `label=org.toplab.instance=${instance}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
}
