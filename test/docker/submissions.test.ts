// What `lab grade` takes from a submission, on a real engine: misnamed files are named and never replaced by
// the reference (no full marks for code that was never run); the report says which files were the
// student's; a program that imports a file of the grading machine does not compile, and nothing of that
// file reaches the report.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-submissions-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Report {
  status: string;
  score: number;
  maxScore: number;
  message?: string;
  files?: { submission: string[]; lab: string[]; missing: string[]; ignored: string[] };
  checks: { id: string; status: string }[];
}

function submission(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return dir;
}

async function grade(dir: string): Promise<{ code: number | null; report: Report; raw: string }> {
  const r = await lab(
    ['grade', 'udp-echo', '--submission', dir, '--instance', uniqueInstance('sub'), '--format', 'json', '--results', join(work, 'results')],
    { timeoutMs: 150_000 },
  );
  try {
    return { code: r.code, report: JSON.parse(r.stdout) as Report, raw: r.stdout };
  } catch {
    throw new Error(`no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

const reference = (f: string): string => readFileSync(join(ROOT, 'labs', 'udp-echo', f), 'utf8');

describe.concurrent("lab grade udp-echo: the submission's own files or nothing", () => {
  it('Server.ts and Client.ts (the reference, capitalised) are missing files: failed, never 9/9', async () => {
    const { code, report } = await grade(
      submission('capitalised', { 'Server.ts': reference('server.ts'), 'Client.ts': reference('client.ts') }),
    );
    expect(report.status).toBe('failed');
    expect(code).toBe(1);
    expect(report.score).toBeLessThan(report.maxScore / 2);
    expect(report.message).toContain('expected server.ts; found Server.ts (file names are case-sensitive)');
    expect(report.message).toContain('expected client.ts; found Client.ts (file names are case-sensitive)');
    expect(report.files).toEqual({ submission: [], lab: [], missing: ['server.ts', 'client.ts'], ignored: ['Client.ts', 'Server.ts'] });
  });

  it("the reference under the right names passes, and the report says both files were the student's", async () => {
    const { code, report } = await grade(
      submission('right', { 'server.ts': reference('server.ts'), 'client.ts': reference('client.ts'), 'notes.md': 'mine' }),
    );
    expect(report.status).toBe('passed');
    expect(code).toBe(0);
    expect(report.files).toEqual({ submission: ['server.ts', 'client.ts'], lab: [], missing: [], ignored: ['notes.md'] });
  });

  it('programs are ES modules in the node: a client with top-level await passes', async () => {
    const client = `await new Promise((resolve) => setTimeout(resolve, 10));\n${reference('client.ts')}`;
    const { report } = await grade(submission('top-level-await', { 'server.ts': reference('server.ts'), 'client.ts': client }));
    expect(report.message).toBeUndefined();
    expect(report.status).toBe('passed');
  });

  it('a server that imports a file of the grading machine does not compile; nothing of the file is in the report', async () => {
    const secret = `grader-secret-${Math.random().toString(36).slice(2)}`;
    const file = join(work, 'secret.txt');
    writeFileSync(file, secret);
    const { report, raw } = await grade(
      submission('reads-host', {
        'server.ts': `import h from '${file}' with { type: 'text' };\nconsole.log(h);\n` + reference('server.ts'),
        'client.ts': reference('client.ts'),
      }),
    );
    expect(report.status).toBe('failed');
    expect(report.message).toMatch(/^server\.ts does not compile:\n {2}server\.ts:1:15: ".*secret\.txt" is outside the program's folder/);
    expect(raw).not.toContain(secret);
  });
});
