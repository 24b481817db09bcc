import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { Client, until, workshopContainers, workshopLeftovers } from '../helpers/workshop-server.js';

/** Compose v1 (Debian's docker-compose) where present, else v2. */
function compose(): string[] {
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return ['docker-compose'];
  return ['docker', 'compose'];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('docker-compose.yml at the repo root', () => {
  const project = `toplabtest${process.pid}`;
  const token = `compose-test-token-${process.pid}-0123456789`;
  let port = 0;
  const run = (args: string[]): { status: number | null; out: string } => {
    const [cmd, ...pre] = compose();
    const r = spawnSync(cmd as string, [...pre, '-p', project, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TOPLAB_PORT: String(port), TOPLAB_ADMIN_TOKEN: token },
      timeout: 300_000,
    });
    process.stderr.write(`[compose ${args.join(' ')}] ${r.status} ${new Date().toISOString()}\n`);
    return { status: r.status, out: r.stdout + r.stderr };
  };

  afterAll(() => {
    run(['down', '-v', '--rmi', 'local', '--timeout', '60']);
  });

  it('builds with no registry, answers its health check, keeps data across down/up, and down leaves no lab container or network', async () => {
    expect(existsSync(join(ROOT, '.compose', 'node')), 'run `bash scripts/setup.sh` first: it stages .compose/node and .env').toBe(true);
    port = await freePort();
    const up = run(['up', '-d', '--build']);
    expect(up.status, up.out).toBe(0);
    const url = `http://127.0.0.1:${port}`;
    process.stderr.write(`[compose] waiting for ${url}/healthz\n`);
    await until(
      'health',
      async () => {
        const r = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        return r?.status === 200 ? ((await r.json()) as { ok: boolean }) : undefined;
      },
      90_000,
    );
    process.stderr.write(`[compose] healthy\n`);
    const admin = new Client(url, { authorization: `Bearer ${token}` });
    const w = await admin.req<{ id: string; code: string }>('POST', '/api/workshops', { labs: ['tcp-handshake'], capacity: 2, warm: 1 });
    expect(w.status).toBe(201);
    const s = new Client(url);
    const j = await s.req<{ student: { id: string } }>('POST', '/api/join', { code: w.body.code, name: 'Compose' });
    expect(j.status).toBe(200);
    await until('an instance', async () => (workshopContainers(w.body.id).length >= 2 ? true : undefined), 90_000);
    expect((await s.req('PUT', `/api/students/${j.body.student.id}/files/server.ts`, { content: '// kept\n' })).status).toBe(200);

    const down = run(['down', '--timeout', '60']);
    expect(down.status, down.out).toBe(0);
    // The server removed its instances as it stopped: their containers and their networks.
    expect(workshopLeftovers(w.body.id)).toEqual({ containers: [], networks: [] });

    const again = run(['up', '-d']);
    expect(again.status, again.out).toBe(0);
    await until(
      'health again',
      async () =>
        (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined))?.status === 200 ? true : undefined,
      90_000,
    );
    const list = await admin.req<{ id: string }[]>('GET', '/api/workshops');
    expect(list.body.map((x) => x.id)).toContain(w.body.id);
    expect((await s.req<{ content: string }>('GET', `/api/students/${j.body.student.id}/files/server.ts`)).body.content).toBe('// kept\n');
    await admin.req('POST', `/api/workshops/${w.body.id}/end`);
    expect(run(['down', '-v', '--rmi', 'local', '--timeout', '60']).status).toBe(0);
    expect(workshopLeftovers(w.body.id)).toEqual({ containers: [], networks: [] });
  });
});
