import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTar } from '../../../../src/runtime/docker/tar.js';

describe('makeTar', () => {
  it('writes an archive GNU tar unpacks: folders, files, contents and modes', async () => {
    const tar = await makeTar([
      { path: 'toplab/' },
      { path: 'toplab/programs/' },
      { path: 'toplab/programs/server.mjs', content: 'console.log("hi")\n', mode: 0o644 },
      { path: 'toplab/run.sh', content: Buffer.from('#!/bin/sh\necho ok\n'), mode: 0o755 },
      { path: 'toplab/empty', content: '' },
    ]);
    expect(tar.length % 512).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'toplab-tar-test-'));
    try {
      execFileSync('tar', ['-x', '--no-same-owner', '-C', dir], { input: tar });
      expect(readFileSync(join(dir, 'toplab/programs/server.mjs'), 'utf8')).toBe('console.log("hi")\n');
      expect(readFileSync(join(dir, 'toplab/run.sh'), 'utf8')).toBe('#!/bin/sh\necho ok\n');
      expect(statSync(join(dir, 'toplab/run.sh')).mode & 0o777).toBe(0o755);
      expect(statSync(join(dir, 'toplab/programs')).isDirectory()).toBe(true);
      expect(statSync(join(dir, 'toplab/empty')).size).toBe(0);
      const listing = execFileSync('tar', ['-tv', '--numeric-owner'], { input: tar }).toString();
      expect(listing).toMatch(/^-rw-r--r-- 0\/0 .* toplab\/programs\/server\.mjs$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
