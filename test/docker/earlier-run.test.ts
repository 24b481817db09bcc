import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const instance = uniqueInstance('er');
const work = mkdtempSync(join(tmpdir(), 'toplab-earlier-run-'));
const labDir = join(work, 'tcp-handshake');
cpSync(join(ROOT, 'labs/tcp-handshake'), labDir, { recursive: true });

interface Report {
  status: string;
  score: number;
  checks: { id: string; status: string; message: string; evidence: string[] }[];
}

async function check(): Promise<Report> {
  const r = await lab(['check', labDir, '--instance', instance, '--format', 'json', '--results', join(work, 'results')], {
    timeoutMs: 180_000,
  });
  return JSON.parse(r.stdout) as Report;
}

describe('a check right after another on the same instance', () => {
  afterAll(async () => {
    await removeInstance(runtime, 'tcp-handshake', instance);
    rmSync(work, { recursive: true, force: true });
  });

  it("does not cite the previous check's TIME_WAIT for a client that never connected, nor the DNS listener", async () => {
    const first = await check();
    expect(first.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`)).toEqual([]);
    // The first client closed first: its side of that connection now waits in TIME_WAIT for 60 s. This
    // client prints the echo without ever connecting.
    writeFileSync(
      join(labDir, 'client.ts'),
      "console.log('hello');\nsetInterval(() => {}, 1 << 30);\nprocess.once('SIGTERM', () => process.exit(0));\n",
    );
    const second = await check();
    const held = second.checks.find((c) => c.id === 'established-client');
    expect(held?.status).toBe('failed');
    expect(held?.message).not.toMatch(/but in TIME_WAIT/);
    expect(held?.message).toMatch(
      /^no TCP socket on port 9000 in ESTABLISHED in client: no connection was open when the table was read\. \(1 TCP socket\(s\) on port 9000 in TIME_WAIT, left by an earlier run/,
    );
    const everything = second.checks.flatMap((c) => [c.message, ...c.evidence]).join('\n');
    expect(everything).not.toMatch(/127\.0\.0\.11/);
  }, 400_000);
});
