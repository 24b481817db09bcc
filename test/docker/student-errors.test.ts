// What a student sees when their program is wrong, on a real engine: a crash names their own server.ts and its
// line (the compiled program's inline source map, read by `node --enable-source-maps` in the node), in the
// step's message, the check's message and the kept output; a server listening on 127.0.0.1 only is named as
// the cause of the refused handshake. The pieces are unit-tested on real fixtures
// (test/unit/programs/compile.test.ts, test/unit/exercise/messages.test.ts, test/unit/checks/listen-cause.test.ts).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-student-errors-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  status: string;
  artifactsDir?: string;
  steps: { description: string; status: string; message?: string }[];
  checks: { id: string; status: string; message: string }[];
}

const reference = (f: string): string => readFileSync(join(ROOT, 'labs', 'tcp-handshake', f), 'utf8');

async function grade(name: string, server: string): Promise<Report> {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'server.ts'), server);
  writeFileSync(join(dir, 'client.ts'), reference('client.ts'));
  const r = await lab(
    [
      'grade',
      'tcp-handshake',
      '--submission',
      dir,
      '--instance',
      uniqueInstance('errs'),
      '--format',
      'json',
      '--results',
      join(work, 'results'),
    ],
    { timeoutMs: 150_000 },
  );
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

describe.concurrent('tcp-handshake graded with a wrong server', () => {
  it('a server that throws at server.ts line 6: the step, the listen check and the kept stderr name server.ts:6', async () => {
    const server = [
      '// Crashes at start: reads a property of undefined.',
      "import * as net from 'node:net';",
      'const config: { port?: { value: number } } = {};',
      "console.log('starting');",
      '',
      'net.createServer().listen(config.port!.value);',
      '',
    ].join('\n');
    const report = await grade('throws', server);
    expect(report.status).toBe('failed');
    const start = report.steps[0];
    expect(start?.status).toBe('failed');
    expect(start?.message).toContain("TypeError: Cannot read properties of undefined (reading 'value') (at server.ts:6:");
    const listen = report.checks.find((c) => c.id === 'listen');
    expect(listen?.message).toContain('the program server had exited with code 1');
    expect(listen?.message).toContain('(at server.ts:6:');
    expect(report.artifactsDir).toBeDefined();
    const stderr = readFileSync(join(report.artifactsDir ?? '', 'server.stderr'), 'utf8');
    expect(stderr).toContain('/opt/toplab/programs/server.ts:6');
    expect(stderr).toContain('net.createServer().listen(config.port!.value);');
    expect(stderr).not.toContain('server.mjs');
  });

  it('a server listening on 127.0.0.1 only: the handshake says so, with the address the SYN went to', async () => {
    const report = await grade(
      'localhost',
      readFileSync(join(ROOT, 'labs', 'tcp-handshake', 'mistakes', 'listens-on-localhost', 'server.ts'), 'utf8'),
    );
    const handshake = report.checks.find((c) => c.id === 'handshake');
    expect(handshake?.status).toBe('failed');
    expect(handshake?.message).toMatch(
      /^no SYN-ACK: the server answered the SYN with RST\. server listens on 127\.0\.0\.1:9000 only, the loopback interface, .*: a SYN to \d+\.\d+\.\d+\.10 from another node finds no socket listening there/,
    );
    expect(report.checks.find((c) => c.id === 'established-client')?.message).toContain('server listens on 127.0.0.1:9000 only');
  });
});
