// A student workspace (lab init) and what `lab check` grades: the student's files in a workspace or with
// --submission; outside one, the lab's reference, and the report says so. Before, `lab check <lab>` graded
// the reference in labs/<lab>/ right after `lab up` (full marks with nothing written) while the READMEs said
// it checked the student's files.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTarget, findWorkspace, initWorkspace, WORKSPACE_FILE } from '../../../src/app/workspace.js';
import { UsageError } from '../../../src/errors.js';
import { loadLab } from '../../../src/lab/load.js';
import { summarize } from '../../../src/report/result.js';
import { renderTerminal } from '../../../src/report/terminal.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-workspace-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('lab init', () => {
  const lab = loadLab('socket-addresses');
  const dir = join(work, 'socket-addresses');
  const r = initWorkspace(lab, dir);

  it("copies the starter's files, not the reference, with the READMEs and the marker", () => {
    expect(r.files.sort()).toEqual(['.toplab.json', 'README.md', 'README.zh.md', 'server.ts']);
    expect(readFileSync(join(dir, 'server.ts'), 'utf8')).toBe(readFileSync(join(lab.dir, 'starter', 'server.ts'), 'utf8'));
    expect(readFileSync(join(dir, 'server.ts'), 'utf8')).not.toBe(readFileSync(join(lab.dir, 'server.ts'), 'utf8'));
    expect(readFileSync(join(dir, 'README.zh.md'), 'utf8')).toBe(readFileSync(join(lab.dir, 'README.zh.md'), 'utf8'));
    expect(findWorkspace(join(dir))?.marker).toEqual({ lab: 'socket-addresses', labDir: lab.dir });
  });

  it('a lab with answer and command files gets them too', () => {
    const t = initWorkspace(loadLab('tcpdump'), join(work, 'td'));
    expect(t.files.sort()).toEqual(['.toplab.json', 'README.md', 'README.zh.md', 'answers.txt', 'capture.txt']);
  });

  it('never overwrites: a second init writes nothing and says why', () => {
    writeFileSync(join(dir, 'server.ts'), '// my work\n');
    expect(() => initWorkspace(lab, dir)).toThrow(UsageError);
    expect(() => initWorkspace(lab, dir)).toThrow(/already holds server\.ts/);
    expect(readFileSync(join(dir, 'server.ts'), 'utf8')).toBe('// my work\n');
  });
});

describe('what lab check grades', () => {
  const dir = join(work, 'socket-addresses');
  const outside = mkdtempSync(join(tmpdir(), 'toplab-no-workspace-'));
  afterAll(() => rmSync(outside, { recursive: true, force: true }));

  it('in a workspace, or a folder below it: the workspace, for its lab', () => {
    mkdirSync(join(dir, 'notes'), { recursive: true });
    for (const cwd of [dir, join(dir, 'notes')]) {
      const t = checkTarget(undefined, { cwd });
      expect([t.kind, t.lab.name, t.dir]).toEqual(['workspace', 'socket-addresses', dir]);
    }
    expect(checkTarget('socket-addresses', { cwd: dir }).kind).toBe('workspace');
  });

  it('refuses another lab inside a workspace', () => {
    expect(() => checkTarget('copies', { cwd: dir })).toThrow(/a workspace for socket-addresses, not copies/);
  });

  it('--submission: that folder, its lab named or taken from its marker', () => {
    expect(checkTarget('socket-addresses', { cwd: outside, submission: dir })).toMatchObject({ kind: 'submission', dir });
    expect(checkTarget(undefined, { cwd: outside, submission: dir }).lab.name).toBe('socket-addresses');
    expect(() => checkTarget('socket-addresses', { cwd: outside, submission: join(outside, 'nope') })).toThrow(/no submission at/);
  });

  it('outside a workspace: the reference, said plainly', () => {
    const t = checkTarget('socket-addresses', { cwd: outside });
    expect(t.kind).toBe('reference');
    expect(() => checkTarget(undefined, { cwd: outside })).toThrow(/which lab\?/);
    const r = summarize({
      lab: 'socket-addresses',
      instance: 'default',
      passMark: 1,
      startedAt: '2026-11-30T00:00:00.000Z',
      durationMs: 1,
      checks: [],
      steps: [],
    });
    expect(renderTerminal({ ...r, reference: true }, { color: false, verbose: false })).toContain(
      "graded the lab's own reference files, not yours: `lab init socket-addresses` makes a workspace of your own",
    );
    expect(renderTerminal(r, { color: false, verbose: false })).not.toContain('reference');
  });

  it('a broken marker is a usage error naming the file', () => {
    const bad = join(work, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, WORKSPACE_FILE), '{');
    expect(() => checkTarget(undefined, { cwd: bad })).toThrow(/is not a workspace file/);
  });
});
