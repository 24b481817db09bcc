import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A free loopback port (the kernel picks it; the server is then started on it, and restarted on it). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  srv.close();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** `lab serve` as an instructor starts it, on a loopback port with its own data directory. */
export class ServeProcess {
  private child: ChildProcess | undefined;
  private out = '';

  constructor(
    readonly port: number,
    readonly dataDir: string,
    readonly token: string,
    private readonly args: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  log(): string {
    return this.out;
  }

  async start(): Promise<void> {
    this.out += `--- lab serve started ${new Date().toISOString()}\n`;
    const child = spawn(process.execPath, ['bin/lab.js', 'serve', '--port', String(this.port), '--data', this.dataDir, ...this.args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', TOPLAB_ADMIN_TOKEN: this.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.out += c.toString()));
    const started = Date.now();
    const mark = this.out.length;
    while (!this.out.slice(mark).includes('listening on ')) {
      if (child.exitCode !== null) throw new Error(`lab serve exited ${child.exitCode}:\n${this.out}`);
      if (Date.now() - started > 120_000) throw new Error(`lab serve did not listen within 120 s:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Creates a workshop as the admin (POST /api/workshops); throws unless the server answers 201. */
export async function createWorkshop(
  server: ServeProcess,
  token: string,
  body: Record<string, unknown>,
): Promise<{ id: string; code: string }> {
  const r = await fetch(`${server.url}/api/workshops`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (r.status !== 201) throw new Error(`creating the workshop answered ${r.status}: ${await r.text()}`);
  return (await r.json()) as { id: string; code: string };
}

/**
 * A test's clean-up: ends the workshop (its instances go), stops the server, then removes by label anything of
 * the workshop the server could not remove (containers, then networks).
 */
export async function endWorkshopAndStop(server: ServeProcess | undefined, token: string, workshopId: string | undefined): Promise<void> {
  if (server && workshopId)
    await fetch(`${server.url}/api/workshops/${workshopId}/end`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).catch(
      () => undefined,
    );
  await server?.stop();
  if (!workshopId) return;
  const list = (args: string[]): string[] => execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
  const ids = list(['ps', '-aq', '--filter', `label=org.toplab.workshop=${workshopId}`]);
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  const nets = list(['network', 'ls', '-q', '--filter', `label=org.toplab.workshop=${workshopId}`]);
  if (nets.length > 0) execFileSync('docker', ['network', 'rm', ...nets], { stdio: 'ignore' });
}
