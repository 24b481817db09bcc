import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { WebSocket } from 'ws';
import { ROOT } from './cli.js';

/** A `lab serve` process on a random loopback port, as an instructor would start it. */
export interface ServerProcess {
  url: string;
  token: string | undefined;
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

export async function startServer(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['bin/lab.js', 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const started = Date.now();
  while (!/listening on (\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`lab serve exited ${child.exitCode}: ${err}`);
    if (Date.now() - started > 60_000) throw new Error(`lab serve did not start: ${out}${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 100));
  const url = /listening on (\S+)/.exec(out)?.[1] as string;
  const token = /admin token[^:]*: (\S+)/.exec(out)?.[1];
  return {
    url,
    token,
    child,
    log: () => out + err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A client with its own cookie jar (one browser). */
export class Client {
  cookie = '';
  constructor(
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async req<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const r = await fetch(this.base + path, {
      method,
      headers: {
        ...this.headers,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...extra,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    const set = r.headers.getSetCookie();
    for (const c of set) {
      const kv = c.split(';')[0] ?? '';
      const [k] = kv.split('=');
      this.cookie = [...this.cookie.split('; ').filter((x) => x && !x.startsWith(`${k}=`)), kv].join('; ');
    }
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: r.status, body: parsed as T, headers: r.headers };
  }
}

/** A WebSocket and every message it got from the first on (none is lost between open and a listener). */
export interface OpenSocket {
  ws?: WebSocket;
  status?: number;
  messages: { data: Buffer; binary: boolean }[];
}

/** Opens a WebSocket; resolves with it when open, or with the HTTP status that refused the upgrade. */
export function openSocket(url: string, headers: Record<string, string>): Promise<OpenSocket> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const messages: OpenSocket['messages'] = [];
    ws.on('message', (data: Buffer, binary: boolean) => messages.push({ data, binary }));
    ws.once('open', () => resolve({ ws, messages }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, messages });
      res.resume();
    });
    ws.once('error', () => resolve({ status: -1, messages }));
  });
}

/** Polls `fn` until it returns a value that is not undefined, or throws after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Names of containers labelled for a workshop. */
export function workshopContainers(workshopId: string): string[] {
  const r = spawnSync('docker', ['ps', '-a', '--filter', `label=org.toplab.workshop=${workshopId}`, '--format', '{{.Names}}'], {
    encoding: 'utf8',
  });
  return r.stdout.split('\n').filter(Boolean);
}

/** Names of networks labelled for a workshop. */
export function workshopNetworks(workshopId: string): string[] {
  const r = spawnSync('docker', ['network', 'ls', '--filter', `label=org.toplab.workshop=${workshopId}`, '--format', '{{.Name}}'], {
    encoding: 'utf8',
  });
  return r.stdout.split('\n').filter(Boolean);
}

/** What of a workshop is on the engine, containers and networks: a clean-up must leave both empty. */
export function workshopLeftovers(workshopId: string): { containers: string[]; networks: string[] } {
  return { containers: workshopContainers(workshopId), networks: workshopNetworks(workshopId) };
}

/** Removes whatever a workshop left on the engine (clean-up after a failed test). */
export function removeWorkshopResources(workshopId: string): void {
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', `label=org.toplab.workshop=${workshopId}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', ...ids]);
  const nets = spawnSync('docker', ['network', 'ls', '-q', '--filter', `label=org.toplab.workshop=${workshopId}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  if (nets.length) spawnSync('docker', ['network', 'rm', ...nets]);
}
