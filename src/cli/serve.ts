import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { loadEnginesFile } from '../engines/engines-file.js';

type ServerModule = typeof import('../server/serve.js');

/** The workshop server lives in its own bundle (dist/server.js): Fastify and SQLite load only for these commands. */
export async function loadServer(): Promise<ServerModule> {
  return (await import(new URL('./server.js', import.meta.url).href)) as ServerModule;
}

export function dataDirOf(flag: string | undefined): string {
  return resolve(flag ?? process.env.TOPLAB_DATA ?? 'toplab-data');
}

function minutes(name: string, v: string | undefined, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 24 * 60) throw new UsageError(`--${name} must be a number of minutes from 0 to 1440, not '${v}'`);
  return n;
}

function wholeNumber(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${v}'`);
  return n;
}

/** `lab serve`'s options, as declared in src/cli/program.ts (strings as typed; checked here). */
export interface ServeOptions {
  port: string;
  host: string;
  data?: string;
  warm: string;
  idle: string;
  origin?: string[];
  publicUrl?: string;
  maxInstances?: string;
  parallel?: string;
  secureCookies?: boolean;
  terminalKeep: string;
  removeOnExit?: boolean;
  /** The engines file (--engines or TOPLAB_ENGINES): the server places instances on its engines. */
  engines?: string;
}

/** `lab serve`: the workshop server (docs/workshop.md). Runs until SIGINT or SIGTERM. */
export async function serve(values: ServeOptions): Promise<number> {
  // With an engines file, instances are placed on its engines (docs/scale.md); its problems are reported here,
  // with their positions (exit code 3), before anything starts.
  const enginesFile = values.engines === undefined || values.engines === '' ? undefined : resolve(values.engines);
  const pool = enginesFile !== undefined ? loadEnginesFile(enginesFile) : undefined;
  const capacity = pool?.engines.reduce((n, e) => n + e.capacity, 0);
  const port = wholeNumber('port', values.port, 8080, 0, 65535);
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(values.host);
  const origins = [...(values.origin ?? []), ...(process.env.TOPLAB_ORIGINS ?? '').split(',')]
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);
  for (const o of origins) {
    try {
      new URL(o);
    } catch {
      throw new UsageError(`--origin '${o}' is not a URL: give it as https://host[:port]`);
    }
  }
  const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const { startServer } = await loadServer();
  const server = await startServer({
    port,
    host: values.host,
    dataDir: dataDirOf(values.data),
    warm: wholeNumber('warm', values.warm, 2, 0, 100),
    idleMinutes: minutes('idle', values.idle, 30),
    // With a pool, the engines' capacities bound it (the sum of them by default); --max-instances caps it further.
    maxInstances: wholeNumber(
      'max-instances',
      values.maxInstances,
      capacity ?? 40,
      1,
      capacity !== undefined ? Math.max(capacity, 500) : 500,
    ),
    ...(enginesFile !== undefined ? { enginesFile } : {}),
    // Creations at once: two per engine of a pool by default (each engine does its own share of the work).
    parallel: wholeNumber('parallel', values.parallel, pool ? Math.min(16, 2 * pool.engines.length) : 2, 1, 16),
    origins,
    ...(values.publicUrl ? { publicUrl: values.publicUrl } : {}),
    removeOnExit: values.removeOnExit ?? process.env.TOPLAB_REMOVE_ON_EXIT === '1',
    secureCookies: values.secureCookies ?? false,
    ...(process.env.TOPLAB_ADMIN_TOKEN ? { adminToken: process.env.TOPLAB_ADMIN_TOKEN } : {}),
    terminalKeepMs: minutes('terminal-keep', values.terminalKeep, 5) * 60_000,
    version,
    log,
  });
  process.stdout.write(`listening on ${server.url}\n`);
  if (server.newAdminToken) process.stdout.write(`admin token (shown once; only its hash is stored): ${server.newAdminToken}\n`);
  // Under Compose the server listens on 8080 inside its container; people open the published address.
  log(`open ${server.publicUrl}/admin (instructor, with the admin token); students open ${server.publicUrl}/join/<event code>`);
  const publicHost = new URL(server.publicUrl).hostname;
  const publicLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(publicHost);
  if (!loopback && !publicLoopback)
    log(
      `warning: listening on ${values.host} without TLS: cookies and the admin token cross the network in clear text; put a TLS proxy in front and pass --secure-cookies and --public-url`,
    );
  if (!loopback && publicLoopback)
    log(
      `note: listening on ${values.host} (inside a container, or for a proxy); students are given ${server.publicUrl}, on this machine only: to serve a room, put a TLS proxy in front and pass --public-url https://… and --secure-cookies`,
    );
  await new Promise<void>((done) => {
    const stop = (): void => {
      log(
        server.removeOnExit
          ? 'stopping: removing the lab instances (files and results are kept)'
          : 'stopping (instances, files and results are kept for the next start)',
      );
      server.close().finally(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
