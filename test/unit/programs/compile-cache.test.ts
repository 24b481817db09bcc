import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProgram } from '../../../src/programs/compile.js';

describe('compiled programs are cached on disk by the content of every input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toplab-compile-'));
  const cacheDir = join(dir, 'cache');
  const before = process.env.TOPLAB_CACHE_DIR;
  beforeAll(() => {
    process.env.TOPLAB_CACHE_DIR = cacheDir;
    writeFileSync(join(dir, 'main.ts'), "import { word } from './word';\nconsole.log(word);\n");
    writeFileSync(join(dir, 'word.ts'), "export const word: string = 'first';\n");
  });
  afterAll(() => {
    if (before === undefined) delete process.env.TOPLAB_CACHE_DIR;
    else process.env.TOPLAB_CACHE_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores a compiled program and gives it back unchanged', async () => {
    const a = await compileProgram('main', join(dir, 'main.ts'), dir);
    expect(a.code).toContain('first');
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const b = await compileProgram('other-name', join(dir, 'main.ts'), dir);
    expect(b).toEqual({ ...a, name: 'other-name' });
  });

  it('compiles again when an imported file changes, not just the entry', async () => {
    writeFileSync(join(dir, 'word.ts'), "export const word: string = 'second';\n");
    const c = await compileProgram('main', join(dir, 'main.ts'), dir);
    expect(c.code).toContain('second');
    expect(c.code).not.toContain('first');
  });
});
