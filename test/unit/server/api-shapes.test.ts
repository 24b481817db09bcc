// The workshop server's answers against the API's schemas (src/server/api.ts), the one source of the shapes the
// pages read (web/src/shared/api.ts imports its types). The answers are real: the server's Fastify app, its
// SQLite store and orchestrator, a lab loaded from a file, a result from the real check evaluation; only the
// engine is absent (no instance is started: the orchestrator is stopped).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../../src/checks/evaluate.js';
import { emptyObservations } from '../../../src/exercise/observations.js';
import { loadLab } from '../../../src/lab/load.js';
import { summarize } from '../../../src/report/result.js';
import {
  ApiErrorBodySchema,
  AttemptSchema,
  AttemptSummarySchema,
  CheckStartedSchema,
  FileBodySchema,
  FileInfoSchema,
  JoinInfoSchema,
  LabInfoSchema,
  LabListSchema,
  ServerEventSchema,
  SessionSchema,
  StudentSchema,
  WorkshopSchema,
  type LabInfo,
  type Session,
  type Workshop,
} from '../../../src/server/api.js';
import { apiProblems } from '../../../src/server/api-check.js';
import type { ServerEngines } from '../../../src/server/engines.js';
import { buildApp } from '../../../src/server/http.js';
import { Orchestrator } from '../../../src/server/orchestrator.js';
import { openDatabase, sha256, Store } from '../../../src/server/store.js';
import type { Terminals } from '../../../src/server/terminals.js';
import { Type } from '@sinclair/typebox';

const TOKEN = 'api-shapes-admin-token-0123456789';

/** A lab of one node whose second check has no title (its title defaults to its id) and one program to edit. */
const LAB_YAML = `name: api-shapes
title: API shapes
networks:
  lan: { subnet: 10.91.0.0/24 }
nodes:
  a: { interfaces: { lan: 10.91.0.2 } }
programs:
  client: { node: a, source: client.ts }
exercise:
  - run: client
  - command: { name: ls, node: a, run: ls }
checks:
  - id: client-exits
    title: The client exits with 0
    points: 2
    exit: { program: client, code: 0 }
  - id: ls-exits
    points: 3
    exit: { program: ls, code: 0 }
`;

function fits(schema: TSchema, value: unknown): void {
  expect(apiProblems(schema, value)).toEqual([]);
}

describe("the workshop server's answers fit the API's schemas (src/server/api.ts)", () => {
  let dir: string;
  let labDir: string;
  let app: FastifyInstance;
  let store: Store;
  let orch: Orchestrator;
  let close: () => void;
  const admin = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toplab-api-shapes-'));
    labDir = join(dir, 'api-shapes');
    mkdirSync(labDir);
    writeFileSync(join(labDir, 'lab.yaml'), LAB_YAML);
    writeFileSync(join(labDir, 'client.ts'), 'console.log("hi");\n');
    writeFileSync(join(labDir, 'README.md'), '# API shapes\n');
    const db = openDatabase(join(dir, 'data'));
    close = () => db.close();
    store = new Store(db);
    store.setSetting('admin_token_sha256', sha256(TOKEN));
    orch = new Orchestrator({
      store,
      engines: { pooled: false, upNames: () => [null], downReason: () => undefined } as unknown as ServerEngines,
      image: 'toplab/lab:x',
      dataDir: join(dir, 'data'),
      warm: 0,
      idleMinutes: 30,
      maxInstances: 0,
      parallel: 1,
      log: () => undefined,
      serverId: 'api-shapes',
    });
    // Stopped: no upkeep round tries to start an instance.
    orch.stop();
    app = await buildApp({
      orchestrator: orch,
      terminals: { endStudent: () => undefined } as unknown as Terminals,
      origins: () => new Set(),
      publicUrl: () => 'http://workshop.test',
      secureCookies: false,
      version: 'test',
      engineUp: async () => true,
    });
  });

  afterAll(async () => {
    await app.close();
    close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a workshop, a student joining, their lab, files and attempts, and the events the pages get', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/workshops', headers: admin, payload: { labs: [labDir], capacity: 5 } });
    expect(created.statusCode).toBe(201);
    const workshop = created.json<Workshop>();
    fits(WorkshopSchema, workshop);
    expect(workshop.title).toBe('API shapes');
    fits(Type.Array(WorkshopSchema), (await app.inject({ method: 'GET', url: '/api/workshops', headers: admin })).json());
    fits(JoinInfoSchema, (await app.inject({ method: 'GET', url: `/api/join/${workshop.code}` })).json());

    const joined = await app.inject({ method: 'POST', url: '/api/join', payload: { code: workshop.code, name: 'Ada' } });
    expect(joined.statusCode).toBe(200);
    fits(SessionSchema, joined.json());
    const session = joined.json<Session>();
    const sid = session.student.id;
    const cookie = { cookie: String(joined.headers['set-cookie']).split(';')[0] ?? '' };
    fits(SessionSchema, (await app.inject({ method: 'GET', url: '/api/me', headers: cookie })).json());
    fits(StudentSchema, (await app.inject({ method: 'GET', url: `/api/students/${sid}`, headers: cookie })).json());
    fits(
      Type.Array(StudentSchema),
      (await app.inject({ method: 'GET', url: `/api/workshops/${workshop.id}/students`, headers: admin })).json(),
    );

    // The lab as the pages show it: the resolved checks, a missing title given as the check's id.
    const lab = (await app.inject({ method: 'GET', url: `/api/students/${sid}/lab`, headers: cookie })).json<LabInfo>();
    fits(LabInfoSchema, lab);
    expect(lab).toMatchObject({ name: 'api-shapes', title: 'API shapes', summary: null, files: ['client.ts'], nodes: ['a'] });
    expect(lab.checks).toEqual([
      { id: 'client-exits', title: 'The client exits with 0', points: 2 },
      { id: 'ls-exits', title: 'ls-exits', points: 3 },
    ]);

    fits(Type.Array(FileInfoSchema), (await app.inject({ method: 'GET', url: `/api/students/${sid}/files`, headers: cookie })).json());
    fits(FileBodySchema, (await app.inject({ method: 'GET', url: `/api/students/${sid}/files/client.ts`, headers: cookie })).json());
    const saved = await app.inject({
      method: 'PUT',
      url: `/api/students/${sid}/files/client.ts`,
      headers: cookie,
      payload: { content: 'console.log("mine");\n' },
    });
    fits(FileInfoSchema, saved.json());
    expect(saved.json()).toMatchObject({ modified: true });
    fits(FileBodySchema, (await app.inject({ method: 'DELETE', url: `/api/students/${sid}/files/client.ts`, headers: cookie })).json());

    // Two finished attempts as the orchestrator stores them: a report from the real evaluation, and an error
    // without one (the engine failed): `{message}` only.
    const loaded = loadLab(labDir);
    const report = summarize({
      lab: loaded.name,
      instance: 'i1',
      passMark: loaded.passMark,
      startedAt: new Date().toISOString(),
      durationMs: 1200,
      checks: evaluateChecks(loaded.checks, emptyObservations({ a: ['10.91.0.2'] })),
      steps: [{ index: 0, description: 'run client on a', status: 'ok', durationMs: 800 }],
      artifactsDir: join(dir, 'data', 'attempts', '1'),
    });
    expect(report.maxScore).toBe(5);
    const graded = store.addAttempt(sid, labDir, {});
    store.finishAttempt(graded, report.status, report.score, report.maxScore, report);
    const failed = store.addAttempt(sid, labDir, {});
    store.finishAttempt(failed, 'error', null, null, { message: 'engine e1 unreachable' });
    fits(
      Type.Array(AttemptSummarySchema),
      (await app.inject({ method: 'GET', url: `/api/students/${sid}/attempts`, headers: cookie })).json(),
    );
    const attempt = (await app.inject({ method: 'GET', url: `/api/students/${sid}/attempts/${graded}`, headers: cookie })).json<{
      result: Record<string, unknown>;
    }>();
    fits(AttemptSchema, attempt);
    expect(attempt.result).not.toHaveProperty('artifactsDir');
    fits(AttemptSchema, (await app.inject({ method: 'GET', url: `/api/students/${sid}/attempts/${failed}`, headers: cookie })).json());
    // The student's standing on the lab, from those attempts (the last one, the error, has no score).
    const student = (await app.inject({ method: 'GET', url: `/api/students/${sid}`, headers: cookie })).json();
    fits(StudentSchema, student);
    expect(student).toMatchObject({ attempts: 2, lastStatus: 'error', lastScore: null });

    // The dashboard's event stream: a workshop extended arrives with its join address, as every other Workshop.
    const events: unknown[] = [];
    let extended!: () => void;
    const workshopEvent = new Promise<void>((resolve) => (extended = resolve));
    // Listening from the start: the server sends the workshop's students on connect.
    const ws = await app.injectWS(
      `/api/events?workshop=${workshop.id}`,
      { headers: admin },
      {
        onInit: (socket) =>
          socket.on('message', (m: Buffer) => {
            const e = JSON.parse(m.toString()) as { type: string };
            events.push(e);
            if (e.type === 'workshop') extended();
          }),
      },
    );
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/workshops/${workshop.id}`,
      headers: admin,
      payload: { endsAt: new Date(Date.now() + 7_200_000).toISOString() },
    });
    fits(WorkshopSchema, patched.json());
    await workshopEvent;
    ws.terminate();
    expect(events.map((e) => (e as { type: string }).type)).toEqual(['student', 'workshop']);
    for (const e of events) fits(ServerEventSchema, e);
    expect(events[1]).toMatchObject({ workshop: { joinUrl: `http://workshop.test/join/${workshop.code}` } });
  });

  it('the labs list, an admin lab, a check started and refusals', async () => {
    fits(LabListSchema, (await app.inject({ method: 'GET', url: '/api/labs', headers: admin })).json());
    fits(LabInfoSchema, (await app.inject({ method: 'GET', url: '/api/labs/tcp-handshake', headers: admin })).json());
    const refused = await app.inject({ method: 'GET', url: '/api/labs/no-such-lab', headers: admin });
    expect(refused.statusCode).toBe(404);
    fits(ApiErrorBodySchema, refused.json());
    fits(CheckStartedSchema, { attemptId: 3 });
  });

  it('refuses a body that does not fit its schema with 400 bad-request, after the credentials', async () => {
    const w = (
      await app.inject({ method: 'POST', url: '/api/workshops', headers: admin, payload: { labs: [labDir], title: 'Bodies' } })
    ).json<Workshop>();
    const joined = await app.inject({ method: 'POST', url: '/api/join', payload: { code: w.code, name: 'Bea' } });
    const sid = joined.json<Session>().student.id;
    const cookie = { cookie: String(joined.headers['set-cookie']).split(';')[0] ?? '' };
    const bad = await app.inject({ method: 'PUT', url: `/api/students/${sid}/files/client.ts`, headers: cookie, payload: { content: 5 } });
    expect(bad.statusCode).toBe(400);
    fits(ApiErrorBodySchema, bad.json());
    expect(bad.json()).toMatchObject({ error: 'bad-request', message: expect.stringContaining('/content must be string') });
    const noLabs = await app.inject({ method: 'POST', url: '/api/workshops', headers: admin, payload: { labs: [] } });
    expect([noLabs.statusCode, noLabs.json<{ error: string }>().error]).toEqual([400, 'bad-request']);
    const wrongProgression = await app.inject({
      method: 'POST',
      url: '/api/workshops',
      headers: admin,
      payload: { labs: [labDir], progression: 'random' },
    });
    expect(wrongProgression.statusCode).toBe(400);
    // Without credentials the body is not looked at.
    const anonymous = await app.inject({ method: 'POST', url: '/api/workshops', payload: { labs: 'x' } });
    expect([anonymous.statusCode, anonymous.json<{ error: string }>().error]).toEqual([401, 'no-credentials']);
  });
});
