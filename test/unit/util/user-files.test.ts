import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { readUserFile, writeUserFile } from '../../../src/util/user-files.js';

const dir = mkdtempSync(join(tmpdir(), 'toplab-user-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('files whose paths the user gave', () => {
  it('are read and written, creating the folder of a written one', () => {
    writeUserFile(join(dir, 'a', 'b', 'report.json'), '{}');
    expect(readFileSync(join(dir, 'a', 'b', 'report.json'), 'utf8')).toBe('{}');
    expect(readUserFile(join(dir, 'a', 'b', 'report.json'), 'the report').toString()).toBe('{}');
  });

  it('call a missing, folder or blocked path a usage error (exit 2) naming it, not an internal error', () => {
    const missing = join(dir, 'nope.csv');
    expect(() => readUserFile(missing, 'the roster')).toThrow(UsageError);
    expect(() => readUserFile(missing, 'the roster')).toThrow(`cannot read the roster ${missing}: no such file or folder`);
    expect(() => readUserFile(dir, 'the roster')).toThrow('it is a folder');
    writeFileSync(join(dir, 'file'), 'x');
    // A path through a regular file: ENOTDIR (or EEXIST from mkdir), whichever the kernel reports first, is the user's.
    expect(() => writeUserFile(join(dir, 'file', 'sub', 'out.json'), '{}', 'the report')).toThrow(
      /cannot write the report .*file\/sub\/out\.json/,
    );
  });
});
