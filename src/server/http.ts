import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { fastify, type FastifyInstance, type FastifyRequest } from 'fastify';
import { fastifyCookie } from '@fastify/cookie';
import { fastifyWebsocket } from '@fastify/websocket';
import type { WebSocket } from 'ws';
import type { Static, TSchema } from '@sinclair/typebox';
import { checked } from './api-check.js';
import { fileNameProblem, MAX_FILE_BYTES, editableFiles, starterContent } from '../app/lab-files.js';
import { renderGraph } from '../lab/graph.js';
import { labsDir } from '../paths.js';
import { FORMATS, isFormat, render } from '../report/formats.js';
import type { GradeResult } from '../report/result.js';
import { loadLab } from '../lab/load.js';
import { readdirSync } from 'node:fs';
import { attemptSummary, notReadyAdvice, RequestError, type Orchestrator, type OrchestratorEvent } from './orchestrator.js';
import {
  CreateWorkshopRequestSchema,
  JoinRequestSchema,
  MoveLabRequestSchema,
  PatchWorkshopRequestSchema,
  SaveFileRequestSchema,
  type AdminLoginRequest,
  type Attempt,
  type AttemptSummary,
  type CheckStarted,
  type FileBody,
  type FileInfo,
  type JoinInfo,
  type LabInfo,
  type LabList,
  type ServerEvent,
  type Session,
  type Student,
  type TerminalControl,
  type Workshop,
} from './api.js';
import { sha256, type StudentRow, type WorkshopRow } from './store.js';
import type { Terminals } from './terminals.js';
import type { EngineView } from './engines.js';
import { registerPages } from './pages.js';
import { lastGradedAttempt, studentBundle, workshopBundle } from './bundle.js';
import { labsOf } from './progression.js';
import { csvRow } from '../report/csv.js';
import type { Lab } from '../lab/model.js';

export interface HttpOptions {
  orchestrator: Orchestrator;
  terminals: Terminals;
  /** Origins allowed on WebSocket upgrades and state-changing requests (besides none at all). */
  origins: () => Set<string>;
  /** The address students open (join links). */
  publicUrl: () => string;
  secureCookies: boolean;
  version: string;
  engineUp: () => Promise<boolean>;
  /** The engines instances are placed on: one (the local engine) without an engines file. */
  engines?: () => EngineView[];
}

type Who = { role: 'admin'; actor: string } | { role: 'student'; actor: string; student: StudentRow };

const STUDENT_COOKIE = 'toplab_session';
const ADMIN_COOKIE = 'toplab_admin';
const ADMIN_SESSION_MS = 12 * 3600_000;
const STUDENT_SESSION_AFTER_END_MS = 24 * 3600_000;

function fail(status: number, code: string, message: string): RequestError {
  return new RequestError(status, code, message);
}

/**
 * A request's body as its schema in src/server/api.ts describes it, else `400 bad-request` saying what does not
 * fit. Checked in the handler, after the credentials: a caller who may not use a route learns nothing of its body.
 */
function bodyOf<T extends TSchema>(schema: T, body: unknown): Static<T> {
  return checked(schema, body ?? {}, (problems) => {
    throw fail(400, 'bad-request', `the request's body does not fit: ${problems.join('; ')} (docs/workshop.md gives each route's body)`);
  });
}

/** Builds the Fastify app: every route of docs/workshop.md. */
export async function buildApp(opts: HttpOptions): Promise<FastifyInstance> {
  const orch = opts.orchestrator;
  const store = orch.store;
  const app = fastify({ logger: false, bodyLimit: 2 * MAX_FILE_BYTES, trustProxy: false });
  await app.register(fastifyCookie);
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });

  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof RequestError) return reply.code(err.status).send({ error: err.code, message: err.message });
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply
        .code(413)
        .send({ error: 'file-too-large', message: `the request is too large: a file may be at most ${MAX_FILE_BYTES / 1024} KiB` });
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)
      return reply.code(e.statusCode).send({ error: 'bad-request', message: e.message ?? 'bad request' });
    orch.opts.log(`error: ${e.message ?? String(err)}`);
    return reply.code(500).send({ error: 'internal', message: 'the server failed; the instructor can look at its log' });
  });

  const cookieOpts = { httpOnly: true, sameSite: 'strict' as const, path: '/', secure: opts.secureCookies };

  const originAllowed = (req: FastifyRequest): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || opts.origins().has(origin);
  };

  // Cross-site requests that change state are refused whatever their credentials (the cookies are SameSite
  // too; this also covers clients that send the admin token).
  app.addHook('onRequest', async (req, reply) => {
    const upgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if ((upgrade || !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) && !originAllowed(req)) {
      return reply.code(403).send({
        error: 'bad-origin',
        message: `requests from ${req.headers.origin ?? ''} are not allowed: open the workshop at its own address, or start the server with --origin ${req.headers.origin ?? ''}`,
      });
    }
    return undefined;
  });

  const adminHash = (): string | undefined => store.setting('admin_token_sha256');
  const tokenMatches = (token: string): boolean => {
    const want = adminHash();
    if (!want) return false;
    const a = Buffer.from(sha256(token), 'hex');
    const b = Buffer.from(want, 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
  };

  /** Who is asking: admin (bearer token or admin cookie) or a student (session cookie); 401 when neither. */
  const who = (req: FastifyRequest): Who => {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      if (m?.[1] && tokenMatches(m[1])) return { role: 'admin', actor: 'admin' };
      throw fail(401, 'bad-token', 'the admin token is not valid: copy it again from the server log, or set TOPLAB_ADMIN_TOKEN');
    }
    const adminCookie = req.cookies[ADMIN_COOKIE];
    if (adminCookie) {
      const sess = store.session(adminCookie);
      if (sess?.role === 'admin' && Date.parse(sess.expires_at) > Date.now()) return { role: 'admin', actor: 'admin' };
    }
    const cookie = req.cookies[STUDENT_COOKIE];
    if (cookie) {
      const sess = store.session(cookie);
      if (!sess || sess.role !== 'student' || sess.student_id === null)
        throw fail(401, 'bad-session', 'your session is not valid: join again with the event code and your name');
      if (Date.parse(sess.expires_at) <= Date.now())
        throw fail(401, 'session-expired', 'your session has expired: join again with the event code and your name');
      const s = store.student(sess.student_id);
      if (!s) throw fail(401, 'bad-session', 'your session is not valid: join again with the event code and your name');
      return { role: 'student', actor: `student:${s.id}`, student: s };
    }
    if (adminCookie) throw fail(401, 'session-expired', 'your admin session has expired: sign in again with the admin token');
    throw fail(401, 'no-credentials', 'sign in first: students join with the event code and their name; instructors use the admin token');
  };

  const admin = (req: FastifyRequest): Who => {
    const w = who(req);
    if (w.role !== 'admin') throw fail(403, 'admin-only', "this needs the instructor's admin token");
    return w;
  };

  const student = (req: FastifyRequest): Who & { role: 'student' } => {
    const w = who(req);
    if (w.role !== 'student') throw fail(403, 'student-only', 'this is for students; instructors can watch and reset from the dashboard');
    return w;
  };

  /** The student `:sid` names, if the asker may see it: admins any, students only themselves (else 404). */
  const target = (req: FastifyRequest, w = who(req)): { w: Who; s: StudentRow } => {
    const sid = (req.params as { sid?: string }).sid ?? '';
    const s = w.role === 'admin' ? store.student(sid) : w.student.id === sid ? w.student : undefined;
    if (!s) throw fail(404, 'not-found', 'no such student');
    if (w.role === 'student') {
      const ws = store.workshop(s.workshop_id);
      // After the end a student still reads (and downloads) their own files and results; nothing else.
      const reading = req.method === 'GET' && (req.headers.upgrade ?? '').toLowerCase() !== 'websocket';
      if (ws?.ended_at && !reading)
        throw fail(
          403,
          'workshop-ended',
          'this workshop has ended; your files and results are kept: download them with "Download my files"',
        );
    }
    return { w, s };
  };

  const workshopOf = (req: FastifyRequest): WorkshopRow => {
    const w = store.workshop((req.params as { wid?: string }).wid ?? '');
    if (!w) throw fail(404, 'not-found', 'no such workshop');
    return w;
  };

  const joinUrl = (code: string): string => `${opts.publicUrl()}/join/${code}`;
  const view = (w: WorkshopRow): Workshop => ({ ...orch.workshopView(w), joinUrl: joinUrl(w.code) });

  // Credentials and ids are checked before a WebSocket upgrade, so a refusal is a plain HTTP status.
  app.addHook('preValidation', async (req) => {
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return;
    const url = req.routeOptions.url ?? '';
    if (url === '/api/events') {
      const w = who(req);
      if (w.role === 'admin' && (req.query as { workshop?: string }).workshop !== undefined)
        workshopOf({ params: { wid: (req.query as { workshop: string }).workshop } } as unknown as FastifyRequest);
    } else if (url === '/api/students/:sid/terminals/:node') {
      const { w, s } = target(req);
      const node = (req.params as { node: string }).node;
      if (!Object.hasOwn(orch.lab(s.lab).nodes, node)) throw fail(404, 'not-found', `no node '${node}' in this lab`);
      if (w.role === 'admin' && (req.query as { watch?: string }).watch !== '1')
        throw fail(403, 'watch-only', 'instructors watch terminals read-only: add ?watch=1');
    }
  });

  await registerPages(app);

  // ---- public ---------------------------------------------------------------------------------------

  app.get('/healthz', async (_req, reply) => {
    const up = await opts.engineUp();
    // With a pool: up while any engine answers; each engine's state is listed (down ones with why).
    const pool = opts.engines?.().filter((e) => e.name !== null);
    const engines =
      pool && pool.length > 0
        ? { engines: pool.map((e) => ({ name: e.name, up: e.up, ...(e.message !== null ? { message: e.message } : {}) })) }
        : {};
    if (!up)
      return reply.code(503).send({
        ok: false,
        version: opts.version,
        engine: 'down',
        message:
          pool && pool.length > 0 ? 'no engine of the pool answers' : 'no Docker engine answers: check the socket mount or DOCKER_HOST',
        ...engines,
      });
    return { ok: true, version: opts.version, engine: 'up', ...engines };
  });

  app.get('/api/join/:code', async (req): Promise<JoinInfo> => {
    const w = store.workshopByCode((req.params as { code: string }).code);
    if (!w) throw fail(404, 'unknown-code', 'no workshop has this code: check it with your instructor');
    if (w.ended_at || Date.parse(w.ends_at) <= Date.now()) throw fail(410, 'workshop-ended', 'this workshop has ended');
    return { title: w.title, labs: JSON.parse(w.labs) as string[], endsAt: w.ends_at, roster: store.roster(w.id) };
  });

  app.post('/api/join', async (req, reply): Promise<Session> => {
    const body = bodyOf(JoinRequestSchema, req.body);
    const code = body.code.trim();
    const name = body.name.trim().replace(/\s+/g, ' ');
    if (name.length < 1 || name.length > 64 || !/^[\p{L}\p{N}\p{M}\p{P}\p{Zs}]+$/u.test(name))
      throw fail(400, 'bad-name', 'give your name: 1 to 64 letters, digits, spaces or punctuation');
    const w = store.workshopByCode(code);
    if (!w) throw fail(404, 'unknown-code', 'no workshop has this code: check it with your instructor');
    const s = orch.join(w, name);
    const token = store.addSession('student', s.id, new Date(Date.parse(w.ends_at) + STUDENT_SESSION_AFTER_END_MS).toISOString());
    reply.setCookie(STUDENT_COOKIE, token, cookieOpts);
    return { student: orch.studentView(s), workshop: { id: w.id, title: w.title, endsAt: w.ends_at } };
  });

  app.post('/api/logout', async (req, reply) => {
    const c = req.cookies[STUDENT_COOKIE];
    if (c) store.deleteSession(c);
    reply.clearCookie(STUDENT_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.post('/api/admin/login', async (req, reply) => {
    const token = (req.body as Partial<AdminLoginRequest> | undefined)?.token;
    if (typeof token !== 'string' || !tokenMatches(token)) {
      store.audit('anonymous', 'admin-login-failed', null, { ip: req.ip });
      throw fail(401, 'bad-token', 'the admin token is not valid: copy it again from the server log');
    }
    const t = store.addSession('admin', null, new Date(Date.now() + ADMIN_SESSION_MS).toISOString());
    store.audit('admin', 'admin-login', null, { ip: req.ip });
    reply.setCookie(ADMIN_COOKIE, t, cookieOpts);
    return reply.code(204).send();
  });

  app.post('/api/admin/logout', async (req, reply) => {
    const c = req.cookies[ADMIN_COOKIE];
    if (c) store.deleteSession(c);
    reply.clearCookie(ADMIN_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  // ---- student or admin -------------------------------------------------------------------------------

  app.get('/api/me', async (req): Promise<Session> => {
    const w = student(req);
    const ws = store.workshop(w.student.workshop_id) as WorkshopRow;
    if (ws.ended_at === null) orch.touch(w.student.id);
    return {
      student: orch.studentView(store.student(w.student.id) as StudentRow),
      workshop: { id: ws.id, title: ws.title, endsAt: ws.ends_at },
    };
  });

  app.get('/api/students/:sid', async (req): Promise<Student> => orch.studentView(target(req).s));

  app.get('/api/students/:sid/lab', async (req): Promise<LabInfo> => labInfo(orch.lab(target(req).s.lab)));

  // Another of the workshop's labs: a student where progression allows, the instructor anywhere.
  app.post('/api/students/:sid/lab', async (req, reply) => {
    const { w, s } = target(req);
    orch.moveTo(s, bodyOf(MoveLabRequestSchema, req.body).lab, w.actor, w.role === 'admin');
    return reply.code(202).send(orch.studentView(store.student(s.id) as StudentRow) satisfies Student);
  });

  const fileInfos = (s: StudentRow): FileBody[] => {
    const lab = orch.lab(s.lab);
    const saved = new Map(store.files(s.id, s.lab).map((f) => [f.name, f]));
    return editableFiles(lab).map((name) => {
      const row = saved.get(name);
      const content = row?.content ?? starterContent(lab, name);
      return {
        name,
        size: Buffer.byteLength(content),
        updatedAt: row?.updated_at ?? null,
        modified: row !== undefined && row.content !== starterContent(lab, name),
        content,
      };
    });
  };

  const fileOf = (s: StudentRow, name: string): FileBody => {
    const problem = fileNameProblem(orch.lab(s.lab), name);
    if (problem) throw fail(404, 'not-found', problem);
    return fileInfos(s).find((f) => f.name === name) as FileBody;
  };

  app.get('/api/students/:sid/files', async (req): Promise<FileInfo[]> => fileInfos(target(req).s).map(({ content: _c, ...info }) => info));

  app.get('/api/students/:sid/files/:name', async (req): Promise<FileBody> => fileOf(target(req).s, (req.params as { name: string }).name));

  app.put('/api/students/:sid/files/:name', async (req): Promise<FileInfo> => {
    const w = student(req);
    const { s } = target(req, w);
    const name = (req.params as { name: string }).name;
    const problem = fileNameProblem(orch.lab(s.lab), name);
    if (problem) throw fail(400, 'bad-file-name', problem);
    const { content } = bodyOf(SaveFileRequestSchema, req.body);
    if (Buffer.byteLength(content) > MAX_FILE_BYTES)
      throw fail(
        413,
        'file-too-large',
        `${name} is ${Buffer.byteLength(content)} bytes; a file may be at most ${MAX_FILE_BYTES / 1024} KiB`,
      );
    store.saveFile(s.id, s.lab, name, content);
    orch.touch(s.id);
    store.audit(w.actor, 'save', s.id, { file: name, bytes: Buffer.byteLength(content) });
    const { content: _c, ...info } = fileOf(s, name);
    return info;
  });

  app.delete('/api/students/:sid/files/:name', async (req): Promise<FileBody> => {
    const w = student(req);
    const { s } = target(req, w);
    const name = (req.params as { name: string }).name;
    const problem = fileNameProblem(orch.lab(s.lab), name);
    if (problem) throw fail(400, 'bad-file-name', problem);
    store.deleteFile(s.id, s.lab, name);
    orch.touch(s.id);
    store.audit(w.actor, 'reset-file', s.id, { file: name });
    return fileOf(s, name);
  });

  app.post('/api/students/:sid/check', async (req, reply) => {
    const { w, s } = target(req);
    const attemptId = orch.check(s, w.actor);
    return reply.code(202).send({ attemptId } satisfies CheckStarted);
  });

  app.get('/api/students/:sid/attempts', async (req): Promise<AttemptSummary[]> => {
    const { s } = target(req);
    const lab = (req.query as { lab?: string }).lab;
    return (lab === undefined ? store.attempts(s.id) : store.attemptsOn(s.id, lab)).map(attemptSummary);
  });

  const attemptOf = (req: FastifyRequest): { s: StudentRow; a: NonNullable<ReturnType<typeof store.attempt>> } => {
    const { s } = target(req);
    const id = Number((req.params as { aid: string }).aid);
    const a = Number.isInteger(id) ? store.attempt(s.id, id) : undefined;
    if (!a) throw fail(404, 'not-found', 'no such attempt');
    return { s, a };
  };

  app.get('/api/students/:sid/attempts/:aid', async (req): Promise<Attempt> => {
    const { s, a } = attemptOf(req);
    const stored = a.result ? (JSON.parse(a.result) as GradeResult | { message?: string }) : null;
    // The report as `lab check --format json` prints it, less the server's own folder.
    const result = stored !== null && isReport(stored) ? (({ artifactsDir: _dir, ...report }) => report)(stored) : stored;
    return {
      ...attemptSummary(a),
      result,
      artifacts: orch.artifacts(a.id).map((f) => ({
        ...f,
        url: `/api/students/${s.id}/attempts/${a.id}/artifacts/${f.name.split('/').map(encodeURIComponent).join('/')}`,
      })),
    };
  });

  app.get('/api/students/:sid/attempts/:aid/artifacts/*', async (req, reply) => {
    const { a } = attemptOf(req);
    const rel = (req.params as { '*': string })['*'];
    const known = orch.artifacts(a.id).find((f) => f.name === normalize(rel));
    if (!known || rel.split('/').includes('..')) throw fail(404, 'not-found', 'no such file in this attempt');
    const full = join(orch.opts.dataDir, 'attempts', String(a.id), known.name);
    if (!full.startsWith(join(orch.opts.dataDir, 'attempts', String(a.id)) + sep)) throw fail(404, 'not-found', 'no such file');
    reply.header('content-type', known.name.endsWith('.pcap') ? 'application/vnd.tcpdump.pcap' : 'text/plain; charset=utf-8');
    reply.header('content-disposition', `attachment; filename="${known.name.split('/').pop() ?? 'file'}"`);
    return reply.send(createReadStream(full));
  });

  // One student's files, last report (every format) and its evidence, as a .tar.gz; also after the end.
  app.get('/api/students/:sid/bundle', async (req, reply) => {
    const { w, s } = target(req);
    store.audit(w.actor, 'download-bundle', s.id);
    reply.header('content-type', 'application/gzip');
    reply.header('content-disposition', `attachment; filename="toplab-${s.lab}-${s.id.slice(0, 8)}.tar.gz"`);
    return reply.send(studentBundle(orch, s));
  });

  for (const [path, act] of [
    ['restart', (s: StudentRow, actor: string) => orch.restart(s, actor)],
    ['reset', (s: StudentRow, actor: string) => orch.reset(s, actor)],
    ['start', (s: StudentRow, actor: string) => orch.startAgain(s, actor)],
  ] as const) {
    app.post(`/api/students/:sid/${path}`, async (req, reply) => {
      const { w, s } = target(req);
      act(s, w.actor);
      return reply.code(202).send({});
    });
  }

  app.post('/api/students/:sid/still-here', async (req): Promise<Student> => {
    const { s } = target(req);
    orch.touch(s.id);
    return orch.studentView(store.student(s.id) as StudentRow);
  });

  // ---- admin -------------------------------------------------------------------------------------

  app.get('/api/engines', async (req) => {
    admin(req);
    const views = opts.engines?.() ?? [];
    const instances = store.instances();
    return views.map((e) => ({ ...e, instances: instances.filter((i) => i.engine === e.name).length }));
  });

  app.get('/api/labs', async (req): Promise<LabList> => {
    admin(req);
    const dir = labsDir();
    return readdirSync(dir)
      .filter((d) => existsSync(join(dir, d, 'lab.yaml')))
      .sort()
      .flatMap((d) => {
        try {
          return [{ name: d, title: loadLab(d).title }];
        } catch {
          return [];
        }
      });
  });

  app.get('/api/labs/:name', async (req): Promise<LabInfo> => {
    admin(req);
    const name = (req.params as { name: string }).name;
    let lab: Lab;
    try {
      // A lab of the labs folder by its name, never a path.
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || !existsSync(join(labsDir(), name, 'lab.yaml'))) throw new Error('no such lab');
      lab = orch.lab(name);
    } catch {
      throw fail(404, 'not-found', `no lab '${name}': GET /api/labs lists them`);
    }
    return labInfo(lab);
  });

  app.post('/api/workshops', async (req, reply) => {
    admin(req);
    const b = bodyOf(CreateWorkshopRequestSchema, req.body);
    const labs = b.labs;
    if (new Set(labs).size !== labs.length)
      throw fail(400, 'bad-request', `a lab appears twice in the list (${labs.join(', ')}): name each lab once`);
    const progression = b.progression ?? 'ordered';
    for (const l of labs) {
      try {
        orch.lab(l);
      } catch (e) {
        throw fail(400, 'unknown-lab', `lab '${l}' cannot be used: ${(e as Error).message}`);
      }
    }
    const capacity = b.capacity ?? 30;
    if (capacity < 1 || capacity > 500) throw fail(400, 'bad-request', 'capacity must be a whole number from 1 to 500');
    const warm = b.warm ?? orch.opts.warm;
    if (warm < 0 || warm > 100) throw fail(400, 'bad-request', 'warm must be a whole number from 0 to 100');
    const endsAt = b.endsAt ?? new Date(Date.now() + 3 * 3600_000).toISOString();
    if (Number.isNaN(Date.parse(endsAt)) || Date.parse(endsAt) <= Date.now())
      throw fail(400, 'bad-request', 'endsAt must be a time in the future (ISO 8601)');
    const roster = b.roster ? [...new Set(b.roster.map((x) => x.trim()).filter(Boolean))] : null;
    const title = b.title?.trim() ? b.title.trim().slice(0, 200) : orch.lab(labs[0] as string).title;
    const w = store.createWorkshop({
      title,
      labs,
      capacity,
      warm,
      endsAt: new Date(endsAt).toISOString(),
      roster: roster && roster.length > 0 ? roster : null,
      progression,
    });
    store.audit('admin', 'create-workshop', w.id, { labs, capacity, warm, endsAt, progression });
    orch.pump();
    return reply.code(201).send(view(w) satisfies Workshop);
  });

  app.get('/api/workshops', async (req): Promise<Workshop[]> => {
    admin(req);
    return store.workshops().map(view);
  });

  app.get('/api/workshops/:wid', async (req): Promise<Workshop> => {
    admin(req);
    return view(workshopOf(req));
  });

  app.patch('/api/workshops/:wid', async (req): Promise<Workshop> => {
    admin(req);
    const w = workshopOf(req);
    if (w.ended_at) throw fail(409, 'workshop-ended', 'this workshop has ended; create a new one');
    const b = bodyOf(PatchWorkshopRequestSchema, req.body);
    if (b.endsAt !== undefined && (Number.isNaN(Date.parse(b.endsAt)) || Date.parse(b.endsAt) <= Date.now()))
      throw fail(400, 'bad-request', 'endsAt must be a time in the future');
    if (b.capacity !== undefined && b.capacity < 1) throw fail(400, 'bad-request', 'capacity must be a whole number from 1');
    store.updateWorkshop(w.id, {
      ...(b.endsAt !== undefined ? { ends_at: new Date(b.endsAt).toISOString() } : {}),
      ...(b.capacity !== undefined ? { capacity: b.capacity } : {}),
      ...(b.progression !== undefined ? { progression: b.progression } : {}),
    });
    store.audit('admin', 'update-workshop', w.id, b);
    const after = store.workshop(w.id) as WorkshopRow;
    orch.emit('event', { type: 'workshop', workshopId: w.id, workshop: orch.workshopView(after) } satisfies OrchestratorEvent);
    orch.pump();
    return view(after);
  });

  app.post('/api/workshops/:wid/end', async (req): Promise<Workshop> => {
    admin(req);
    const w = workshopOf(req);
    for (const s of store.students(w.id)) opts.terminals.endStudent(s.id);
    await orch.endWorkshop(w.id, 'admin');
    return view(store.workshop(w.id) as WorkshopRow);
  });

  app.get('/api/workshops/:wid/students', async (req): Promise<Student[]> => {
    admin(req);
    return store.students(workshopOf(req).id).map((s) => orch.studentView(s));
  });

  app.get('/api/workshops/:wid/export', async (req, reply) => {
    admin(req);
    const w = workshopOf(req);
    const { format = 'csv', lab } = req.query as { format?: string; lab?: string };
    if (lab !== undefined && !labsOf(w).includes(lab))
      throw fail(400, 'unknown-lab', `'${lab}' is not one of this workshop's labs (${labsOf(w).join(', ')})`);
    if (format === 'bundle') {
      const csv = exportWorkshop(orch, w, 'csv').body;
      store.audit('admin', 'export', w.id, { format });
      reply.header('content-type', 'application/gzip');
      reply.header('content-disposition', `attachment; filename="${w.code}-evidence.tar.gz"`);
      return reply.send(workshopBundle(orch, w, csv));
    }
    const e = exportWorkshop(orch, w, format, lab);
    store.audit('admin', 'export', w.id, { format, ...(lab !== undefined ? { lab } : {}) });
    reply.header('content-type', e.type);
    reply.header('content-disposition', `attachment; filename="${w.code}-${lab !== undefined ? `${lab}-` : ''}${format}.${e.ext}"`);
    return reply.send(e.body);
  });

  app.get('/api/audit', async (req) => {
    admin(req);
    return store.auditLog((req.query as { workshop?: string }).workshop);
  });

  // ---- WebSockets ----------------------------------------------------------------------------------

  app.get('/api/events', { websocket: true }, (socket: WebSocket, req) => {
    // Credentials were checked before the upgrade (preValidation below); read them again for the filter.
    const w = who(req);
    const wid = (req.query as { workshop?: string }).workshop;
    const wanted = (e: OrchestratorEvent): boolean => {
      if (w.role === 'student')
        return (
          ('studentId' in e ? e.studentId : e.type === 'student' ? e.student.id : '') === w.student.id ||
          (e.type === 'workshop' && e.workshopId === w.student.workshop_id)
        );
      if (wid === undefined) return true;
      return (e.type === 'student' ? e.student.workshopId : e.workshopId) === wid;
    };
    const send = (e: OrchestratorEvent): void => {
      if (wanted(e) && socket.readyState === socket.OPEN && socket.bufferedAmount < 4 * 1024 * 1024)
        socket.send(JSON.stringify(wireEvent(e, joinUrl)));
    };
    const first = w.role === 'student' ? [store.student(w.student.id) as StudentRow] : wid ? store.students(wid) : [];
    for (const s of first) send({ type: 'student', student: orch.studentView(s) });
    orch.on('event', send);
    socket.on('close', () => orch.off('event', send));
  });

  app.get('/api/students/:sid/terminals/:node', { websocket: true }, (socket: WebSocket, req) => {
    const { w, s } = target(req);
    const node = (req.params as { node: string }).node;
    const q = req.query as { watch?: string; cols?: string; rows?: string };
    const readOnly = w.role === 'admin';
    void (async () => {
      const container = await orch.containerOf(s, node);
      if (!container) {
        socket.send(
          JSON.stringify({
            type: 'error',
            message: `your lab is not running (${s.state}): ${notReadyAdvice(s.state)}`,
          } satisfies TerminalControl),
        );
        socket.close(1011, 'not running');
        return;
      }
      if (readOnly) store.audit(w.actor, 'watch-terminal', s.id, { node });
      else orch.touch(s.id);
      if (!readOnly) socket.on('message', () => orch.touch(s.id));
      await opts.terminals.attach(s.id, node, container, socket, {
        readOnly,
        size: { rows: Number(q.rows) || 24, cols: Number(q.cols) || 80 },
      });
    })().catch((e: unknown) => {
      if (socket.readyState === socket.OPEN)
        socket.send(
          JSON.stringify({ type: 'error', message: `the terminal could not be opened: ${(e as Error).message}` } satisfies TerminalControl),
        );
      socket.close(1011, 'failed');
    });
  });

  return app;
}

/**
 * An orchestrator's event as the pages get it (ServerEvent, src/server/api.ts): a workshop's with its join address,
 * as every other answer that carries a Workshop (the dashboard replaces its workshop with the event's).
 */
export function wireEvent(e: OrchestratorEvent, joinUrl: (code: string) => string): ServerEvent {
  return e.type === 'workshop' ? { ...e, workshop: { ...e.workshop, joinUrl: joinUrl(e.workshop.code) } } : e;
}

/** An attempt's stored result: the report, or only why there is none (`{message}`). */
function isReport(r: GradeResult | { message?: string }): r is GradeResult {
  return 'checks' in r;
}

/** What the pages show of a lab: its resolved checks (a title defaults to the id). */
function labInfo(lab: Lab): LabInfo {
  const read = (f: string): string | null => (existsSync(join(lab.dir, f)) ? readFileSync(join(lab.dir, f), 'utf8') : null);
  return {
    name: lab.name,
    title: lab.title,
    summary: lab.summary ?? null,
    readme: { en: read('README.md'), zh: read('README.zh.md') },
    graph: renderGraph(lab, 'mermaid'),
    files: editableFiles(lab),
    nodes: Object.keys(lab.nodes),
    checks: lab.checks.map((c) => ({ id: c.id, title: c.title, points: c.points })),
  };
}

/**
 * A workshop's grades, for one lab (`lab`) or all of them: CSV or a `lab check` report format.
 *
 * CSV: a header, then one row per student and lab the student has been on (in a one-lab workshop, one row per
 * student, whether they checked or not): name, state (the student's now, on the lab they are on), lab,
 * attempts, score, max_score, status of the last graded attempt on that lab, and one column per check: the check id in a one-lab export, `<lab>:<check>` when several labs share the file. Cells go
 * through csvRow (RFC 4180 quoting, spreadsheet formulas defused).
 *
 * Report formats: the last graded attempt of each student on each lab, a JSON array for json/gradescope, the
 * reports one after another otherwise.
 */
export function exportWorkshop(
  orch: Orchestrator,
  w: WorkshopRow,
  format: string,
  onlyLab?: string,
): { body: string; type: string; ext: string } {
  const store = orch.store;
  const students = store.students(w.id);
  const labs = onlyLab !== undefined ? [onlyLab] : labsOf(w);
  const several = labs.length > 1;
  // A student's rows: every lab they have been on (attempts, or the lab they are on), or their only lab.
  const rowsOf = (s: StudentRow): string[] => (several ? labs.filter((l) => l === s.lab || store.attemptsOn(s.id, l).length > 0) : labs);
  if (format === 'csv') {
    const checks = labs.flatMap((l) => orch.lab(l).checks.map((c) => ({ lab: l, id: c.id })));
    const lines = [
      csvRow([
        'name',
        'state',
        'lab',
        'attempts',
        'score',
        'max_score',
        'status',
        ...checks.map((c) => (several ? `${c.lab}:${c.id}` : c.id)),
      ]),
    ];
    for (const s of students) {
      for (const l of rowsOf(s)) {
        const r = lastGradedAttempt(orch, s, l)?.result;
        lines.push(
          csvRow([
            s.name,
            s.state,
            l,
            store.attemptsOn(s.id, l).length,
            r?.score,
            r?.maxScore,
            r?.status,
            ...checks.map((c) => (c.lab === l ? (r?.checks.find((x) => x.id === c.id)?.status ?? '') : '')),
          ]),
        );
      }
    }
    return { body: lines.join('\n') + '\n', type: 'text/csv; charset=utf-8', ext: 'csv' };
  }
  if (!isFormat(format) || format === 'terminal')
    throw new RequestError(
      400,
      'bad-format',
      `unknown format '${format}': use csv, bundle (the evidence .tar.gz) or ${FORMATS.filter((f) => f !== 'terminal').join(', ')}`,
    );
  const results = students.flatMap((s) =>
    rowsOf(s).flatMap((l) => {
      const r = lastGradedAttempt(orch, s, l)?.result;
      return r ? [{ ...r, submission: s.name, artifactsDir: undefined }] : [];
    }),
  );
  if (format === 'json' || format === 'gradescope') {
    return { body: '[' + results.map((r) => render(r, format).trim()).join(',\n') + ']\n', type: 'application/json', ext: 'json' };
  }
  return {
    body: results.map((r) => render(r, format)).join('\n'),
    type: format === 'junit' ? 'application/xml' : 'text/plain; charset=utf-8',
    ext: format === 'junit' ? 'xml' : 'txt',
  };
}
