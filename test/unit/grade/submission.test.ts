// What a grade takes from a submission: exactly the files the lab says a student submits. A missing or
// misnamed one is named ("expected server.ts; found Server.ts") and graded as absent, never replaced by the
// lab's reference; a symbolic link is refused with a message; the report says where each file came from.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileAll, missingFileMessage, overlaySubmission } from '../../../src/grade/session.js';
import { loadLab } from '../../../src/lab/load.js';
import { ROOT } from '../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-overlay-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function submission(files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, 'sub-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

const udp = loadLab(join(ROOT, 'labs', 'udp-echo'));

describe('the files a submission must hold', () => {
  it('are declared per lab (default: every program source)', () => {
    expect(udp.submissionFiles).toEqual(['server.ts', 'client.ts']);
    expect(loadLab(join(ROOT, 'labs', 'send-buffer')).submissionFiles).toEqual(['client.ts']);
    expect(loadLab(join(ROOT, 'labs', 'unix-socket')).submissionFiles).toEqual(['server.ts', 'client.ts']);
    expect(loadLab(join(ROOT, 'labs', 'ping-icmp')).submissionFiles).toEqual(['ping.sh', 'answers.txt']);
  });

  it('a capitalised Server.ts and Client.ts are missing files, never the reference', async () => {
    const o = overlaySubmission(udp, submission({ 'Server.ts': 'x', 'Client.ts': 'y' }));
    try {
      expect(o.problems).toEqual({
        'server.ts': 'expected server.ts; found Server.ts (file names are case-sensitive)',
        'client.ts': 'expected client.ts; found Client.ts (file names are case-sensitive)',
      });
      expect(o.files).toEqual({ submission: [], lab: [], missing: ['server.ts', 'client.ts'], ignored: ['Client.ts', 'Server.ts'] });
      expect(existsSync(join(o.dir, 'server.ts'))).toBe(false);
      const c = await compileAll(udp, o.dir, o.problems);
      expect(c.programs).toEqual([]);
      expect(c.unavailable.server).toBe('expected server.ts; found Server.ts (file names are case-sensitive)');
    } finally {
      o.cleanup();
    }
  });

  it('a lone server.js: server.ts is expected, client.ts is missing', () => {
    const o = overlaySubmission(udp, submission({ 'server.js': 'x' }));
    try {
      expect(o.problems['server.ts']).toBe('expected server.ts; found server.js (rename it server.ts)');
      expect(o.problems['client.ts']).toBe('expected client.ts; the submission has no such file');
    } finally {
      o.cleanup();
    }
  });

  it('a file in a subfolder is named where it is', () => {
    expect(missingFileMessage('server.ts', ['src/server.ts', 'client.ts'])).toBe(
      'expected server.ts; found src/server.ts (in a subfolder: put it at the top of the submission)',
    );
  });

  it("a complete submission: its own files, the lab's helper programs, nothing of it replaces lab-owned files", () => {
    const unix = loadLab(join(ROOT, 'labs', 'unix-socket'));
    const o = overlaySubmission(
      unix,
      submission({ 'server.ts': '// mine\n', 'client.ts': '// mine too\n', 'stale.ts': '// not mine to replace\n', 'notes.md': 'hi' }),
    );
    try {
      expect(o.problems).toEqual({});
      expect(o.files).toEqual({
        submission: ['server.ts', 'client.ts'],
        lab: ['stale.ts'],
        missing: [],
        ignored: ['notes.md', 'stale.ts'],
      });
      expect(readFileSync(join(o.dir, 'server.ts'), 'utf8')).toBe('// mine\n');
      expect(readFileSync(join(o.dir, 'stale.ts'), 'utf8')).toBe(readFileSync(join(unix.dir, 'stale.ts'), 'utf8'));
      expect(existsSync(join(o.dir, 'mistakes'))).toBe(false);
    } finally {
      o.cleanup();
    }
  });

  it('a symbolic link in a submission is refused with a message, not EEXIST', () => {
    const dir = submission({ 'client.ts': 'x' });
    symlinkSync('/etc/hostname', join(dir, 'server.ts'));
    const o = overlaySubmission(udp, dir);
    try {
      expect(o.problems['server.ts']).toBe(
        "server.ts is a symbolic link; submit the file itself (a grade reads only the submission's own files)",
      );
      expect(o.files.missing).toEqual(['server.ts']);
      expect(existsSync(join(o.dir, 'server.ts'))).toBe(false);
    } finally {
      o.cleanup();
    }
  });

  it("an answer file the submission lacks is absent, so the answer check fails instead of reading the lab's answers", () => {
    const ping = loadLab(join(ROOT, 'labs', 'ping-icmp'));
    const o = overlaySubmission(ping, submission({ 'ping.sh': 'ping -c 3 server\n' }));
    try {
      expect(existsSync(join(o.dir, 'answers.txt'))).toBe(false);
      expect(o.problems['answers.txt']).toBe('expected answers.txt; the submission has no such file');
    } finally {
      o.cleanup();
    }
  });
});
