import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpTexts } from '../../../src/cli/program.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** `npx lab …`, also with npx's flags (`npx --no-install lab`): scripts/setup.sh puts `lab` itself on PATH. */
const NPX_LAB = /\bnpx\s+(?:--?[\w-]+\s+)*lab\b/;

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f));
  const labs = readdirSync(join(ROOT, 'labs'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(ROOT, 'labs', d.name))
        .filter((f) => /^README.*\.md$/.test(f))
        .map((f) => join('labs', d.name, f)),
    );
  return ['README.md', ...docs, ...labs];
}

describe('the lab command as users type it', () => {
  it('the help text says `lab …`, never `npx lab …`', () => {
    const texts = helpTexts();
    expect(Object.keys(texts).length).toBeGreaterThan(15);
    const offenders = Object.entries(texts)
      .filter(([, text]) => NPX_LAB.test(text))
      .map(([name]) => `lab ${name} --help`);
    expect(offenders).toEqual([]);
    expect(texts['']).toMatch(/\blab /);
  });

  it("README.md, docs/*.md and the labs' READMEs say `lab …`, never `npx lab …`", () => {
    const files = markdownFiles();
    expect(files.length).toBeGreaterThan(3);
    const offenders = files.flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (NPX_LAB.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('the pattern finds the forms it is meant to find', () => {
    expect(NPX_LAB.test('npx lab up tcp-handshake')).toBe(true);
    expect(NPX_LAB.test('npx --no-install lab --version')).toBe(true);
    expect(NPX_LAB.test('lab up tcp-handshake')).toBe(false);
    expect(NPX_LAB.test('npx vitest run test/unit/lab/labs.test.ts')).toBe(false);
  });

  it('the README quick start runs the main job with `lab` and the tests with `bash scripts/setup.sh && npm test`', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = quick
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.replace(/\s+#.*$/, ''));
    expect(commands).toEqual(['bash scripts/setup.sh && lab check tcp-handshake', 'bash scripts/setup.sh && npm test']);
  });

  it("`lab --version` prints package.json's version", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lab.js'), flag], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`toplab ${pkg.version}\n`);
    }
  });
});
