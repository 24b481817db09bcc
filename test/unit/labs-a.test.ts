// Labs 1-5 as files: each loads and validates, carries its metadata, documents every check in both
// languages, and ships starter files and at least two mistakes. (Running them: test/docker/labs-a.test.ts.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../src/lab/load.js';
import { ROOT } from '../helpers/cli.js';

const LABS = ['tcp-handshake', 'tcp-echo-eof', 'send-buffer', 'udp-echo', 'unix-socket'];

function tsFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')) : [];
}

describe.each(LABS)('lab %s', (name) => {
  const dir = join(ROOT, 'labs', name);

  it('loads and validates, with its metadata and the schema line first', () => {
    const lab = loadLab(dir);
    expect(lab.def.name).toBe(name);
    expect(lab.def.title.length).toBeGreaterThan(5);
    expect(lab.def.summary?.length).toBeGreaterThan(20);
    expect(lab.def.difficulty).toBeDefined();
    expect(lab.def.seed).toBeDefined();
    expect(lab.def.minutes).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'lab.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/lab.schema.json');
  });

  it('documents every check, in English and in Chinese', () => {
    const lab = loadLab(dir);
    for (const readme of ['README.md', 'README.zh.md']) {
      const text = readFileSync(join(dir, readme), 'utf8');
      for (const check of lab.def.checks) expect(text, `${readme} should mention check ${check.id}`).toContain(`\`${check.id}\``);
      for (const mistake of readdirSync(join(dir, 'mistakes'))) expect(text, `${readme} should explain mistake ${mistake}`).toContain(`\`${mistake}\``);
    }
  });

  it('ships starter files that replace the programs a student writes', () => {
    const lab = loadLab(dir);
    const sources = Object.values(lab.def.programs ?? {}).map((p) => p.source);
    const starters = tsFiles(join(dir, 'starter'));
    expect(starters.length).toBeGreaterThan(0);
    for (const f of starters) expect(sources).toContain(f);
  });

  it('ships at least two mistakes, each replacing programs of the lab', () => {
    const lab = loadLab(dir);
    const sources = Object.values(lab.def.programs ?? {}).map((p) => p.source);
    const mistakes = readdirSync(join(dir, 'mistakes'));
    expect(mistakes.length).toBeGreaterThanOrEqual(2);
    for (const m of mistakes) {
      const files = tsFiles(join(dir, 'mistakes', m));
      expect(files.length, m).toBeGreaterThan(0);
      for (const f of files) expect(sources, `${m}/${f}`).toContain(f);
    }
  });
});
