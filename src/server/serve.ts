import { randomBytes } from 'node:crypto';
import { errorMessage } from '../errors.js';
import { resolve } from 'node:path';
import { connectDocker, ensureLabImage } from '../docker.js';
import { labImageTag } from '../runtime/lab-image.js';
import { loadEnginesFile } from '../engines/engines-file.js';
import { EnginePool } from '../engines/pool.js';
import { ServerEngines } from './engines.js';
import { buildApp, exportWorkshop } from './http.js';
import { Orchestrator } from './orchestrator.js';
import { now, openDatabase, sha256, Store } from './store.js';
import { Terminals } from './terminals.js';

export { MIGRATIONS, migrate } from './migrations.js';
export { openDatabase, Store } from './store.js';
export { exportWorkshop };
export { workshopBundle } from './bundle.js';

/**
 * The engines a server (or `lab workshop end`) uses: every engine of the engines file `enginesFile`, checked
 * once and then watched (`start`), or else the local engine (DOCKER_HOST or the socket) exactly as without a pool.
 */
export async function openEngines(o: { enginesFile?: string; image?: string; log: (line: string) => void }): Promise<ServerEngines> {
  if (o.enginesFile !== undefined)
    return new ServerEngines({ pool: new EnginePool(loadEnginesFile(o.enginesFile)), image: o.image ?? labImageTag(), log: o.log });
  return new ServerEngines({ local: await connectDocker(), image: o.image ?? labImageTag(), log: o.log });
}

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
  /** An engines file (docs/scale.md): instances are placed on its engines; without one, the local engine. */
  enginesFile?: string;
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
  let engines: ServerEngines;
  let image: string;
  if (o.enginesFile !== undefined) {
    // The image reaches each engine with its first instance there (copied from one that has it, or built).
    image = labImageTag();
    engines = await openEngines({ enginesFile: o.enginesFile, image, log: o.log });
    await engines.start();
    const up = engines.upNames();
    o.log(
      `engine pool ${o.enginesFile}: ${up.length} of ${engines.names().length} engine(s) answer (${up.join(', ') || 'none'}); room for ${engines.capacity()} instance(s)`,
    );
  } else {
    const runtime = await connectDocker();
    await runtime.ping();
    image = (await ensureLabImage(runtime.docker, { onProgress: (l) => o.log(l) })).tag;
    engines = new ServerEngines({ local: runtime, image, log: o.log });
  }
  const orchestrator = new Orchestrator({
    store,
    engines,
    image,
    dataDir,
    warm: o.warm,
    idleMinutes: o.idleMinutes,
    maxInstances: o.maxInstances,
    parallel: o.parallel,
    log: o.log,
    serverId,
  });
  // Before reconciling: the health loop already runs, and an engine lost meanwhile must move its students.
  engines.on('down', (name: string, reason: string) => orchestrator.engineLost(name, reason));
  engines.on('up', (name: string) => void orchestrator.engineBack(name).catch((e: unknown) => o.log(`engine ${name}: ${errorMessage(e)}`)));
  const r = await orchestrator.reconcile();
  o.log(
    `reconciled with the engine${engines.pooled ? 's' : ''}: ${r.kept} instance(s) kept, ${r.removed} removed, ${r.requeued} student(s) queued for a new one`,
  );
  const terminals = new Terminals((studentId) => orchestrator.dockerOfStudent(studentId), o.terminalKeepMs);
  orchestrator.on('instance-gone', (studentId: string) => terminals.endStudent(studentId));
  let port = o.port;
  const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host === '0.0.0.0' || o.host === '::' ? 'localhost' : o.host;
  const publicUrl = (): string => o.publicUrl?.replace(/\/+$/, '') ?? `http://${hostForUrl}:${port}`;
  const origins = (): Set<string> =>
    new Set([
      `http://localhost:${port}`,
      `http://127.0.0.1:${port}`,
      `http://[::1]:${port}`,
      new URL(publicUrl()).origin,
      ...o.origins.map((x) => new URL(x).origin),
    ]);
  const app = await buildApp({
    orchestrator,
    terminals,
    origins,
    publicUrl,
    secureCookies: o.secureCookies,
    version: o.version,
    engineUp: async () =>
      engines.pooled
        ? engines.upNames().length > 0
        : engines
            .runtime(null)
            .ping()
            .then(
              () => true,
              () => false,
            ),
    engines: () => engines.views(),
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
      engines.stop();
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
