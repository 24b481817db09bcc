import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import { ensureLabImage } from '../runtime/docker/image.js';
import { buildApp, exportWorkshop } from './http.js';
import { Orchestrator } from './orchestrator.js';
import { now, openDatabase, sha256, Store } from './store.js';
import { Terminals } from './terminals.js';

export { MIGRATIONS, migrate } from './migrations.js';
export { openDatabase, Store } from './store.js';
export { exportWorkshop };
export { workshopBundle } from './bundle.js';

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  warm: number;
  /** Minutes; 0 turns idle culling off. */
  idleMinutes: number;
  maxInstances: number;
  parallel: number;
  /** Extra allowed origins (WebSocket upgrades and state-changing requests). */
  origins: string[];
  /** The address students are given; default http://<host>:<port>. */
  publicUrl?: string;
  secureCookies: boolean;
  /** From TOPLAB_ADMIN_TOKEN: replaces the stored token. */
  adminToken?: string;
  /** How long a terminal's shell is kept after its last socket closed. */
  terminalKeepMs: number;
  /** On close, remove every lab instance (Compose's `down`); students get fresh ones at the next start. */
  removeOnExit?: boolean;
  version: string;
  log: (line: string) => void;
}

export interface RunningServer {
  url: string;
  /** The address students and the instructor open (--public-url / TOPLAB_PUBLIC_URL, else `url`). */
  publicUrl: string;
  /** The admin token when it was generated now (printed once), else undefined. */
  newAdminToken: string | undefined;
  removeOnExit: boolean;
  close(): Promise<void>;
}

/** Opens the data directory, re-finds the instances, and listens. */
export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const dataDir = resolve(o.dataDir);
  const db = openDatabase(dataDir);
  const store = new Store(db);
  let newAdminToken: string | undefined;
  if (o.adminToken !== undefined) {
    if (o.adminToken.length < 16) throw new Error('TOPLAB_ADMIN_TOKEN must be at least 16 characters');
    store.setSetting('admin_token_sha256', sha256(o.adminToken));
  } else if (!store.setting('admin_token_sha256')) {
    newAdminToken = randomBytes(24).toString('base64url');
    store.setSetting('admin_token_sha256', sha256(newAdminToken));
    store.audit('system', 'admin-token-created', null, { at: now() });
  }
  let serverId = store.setting('server_id');
  if (!serverId) store.setSetting('server_id', (serverId = randomBytes(8).toString('hex')));
  const runtime = await DockerRuntime.connect();
  await runtime.ping();
  const image = (await ensureLabImage(runtime.docker, { onProgress: (l) => o.log(l) })).tag;
  const orchestrator = new Orchestrator({ store, runtime, image, dataDir, warm: o.warm, idleMinutes: o.idleMinutes, maxInstances: o.maxInstances, parallel: o.parallel, log: o.log, serverId });
  const r = await orchestrator.reconcile();
  o.log(`reconciled with the engine: ${r.kept} instance(s) kept, ${r.removed} removed, ${r.requeued} student(s) queued for a new one`);
  const terminals = new Terminals(runtime.docker, o.terminalKeepMs);
  orchestrator.on('instance-gone', (studentId: string) => terminals.endStudent(studentId));
  let port = o.port;
  const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  const publicUrl = (): string => o.publicUrl?.replace(/\/+$/, '') ?? `http://${hostForUrl}:${port}`;
  const origins = (): Set<string> => new Set([`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://[::1]:${port}`, new URL(publicUrl()).origin, ...o.origins.map((x) => new URL(x).origin)]);
  const app = await buildApp({
    orchestrator,
    terminals,
    origins,
    publicUrl,
    secureCookies: o.secureCookies,
    version: o.version,
    engineUp: () => runtime.ping().then(() => true, () => false),
  });
  await app.listen({ port: o.port, host: o.host });
  const addr = app.server.address();
  if (addr && typeof addr === 'object') port = addr.port;
  orchestrator.start();
  return {
    url: `http://${hostForUrl}:${port}`,
    publicUrl: publicUrl(),
    newAdminToken,
    removeOnExit: o.removeOnExit ?? false,
    async close() {
      orchestrator.stop();
      terminals.endAll();
      await app.close();
      if (o.removeOnExit) {
        const n = await orchestrator.removeAll();
        o.log(`removed ${n} lab instance(s)`);
      }
      db.close();
    },
  };
}
export { Orchestrator } from './orchestrator.js';
