// The course labs as files: each loads and validates, carries its metadata, documents every check and every
// mistake in both languages, says the notes swap the ICMP echo types where it matters, and ships starter
// files for exactly what a student submits and at least two mistakes, each a whole submission. (Running them: test/docker/labs-*.test.ts.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECT_FILE, selftestCases } from '../../../src/grade/selftest.js';
import { loadLab } from '../../../src/lab/load.js';
import { compileAll, overlaySubmission } from '../../../src/grade/session.js';
import { ROOT } from '../../helpers/cli.js';

const LABS = [
  'tcp-handshake',
  'tcp-echo-eof',
  'send-buffer',
  'udp-echo',
  'unix-socket',
  'ping-icmp',
  'traceroute',
  'netstat-lsof',
  'ifconfig-mtu',
  'ipv6',
  'socket-addresses',
  'tcpdump',
  'top-talker',
  'copies',
];

it('covers every lab of the catalogue', () => {
  expect(readdirSync(join(ROOT, 'labs')).sort()).toEqual([...LABS].sort());
});

function files(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
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

  it('documents every check and every mistake, in English and in Chinese', () => {
    const lab = loadLab(dir);
    for (const readme of ['README.md', 'README.zh.md']) {
      const text = readFileSync(join(dir, readme), 'utf8');
      for (const check of lab.def.checks) expect(text, `${readme} should mention check ${check.id}`).toContain(`\`${check.id}\``);
      for (const mistake of files(join(dir, 'mistakes')))
        expect(text, `${readme} should explain mistake ${mistake}`).toContain(`\`${mistake}\``);
    }
  });

  it('ships a starter for exactly the files a student submits', () => {
    const lab = loadLab(dir);
    expect(files(join(dir, 'starter')).sort()).toEqual(lab.submissionFiles.sort());
  });

  it('its programs, and every mistake laid over the lab, compile as ES modules under the import rules', async () => {
    const lab = loadLab(dir);
    expect((await compileAll(lab)).unavailable).toEqual({});
    for (const m of files(join(dir, 'mistakes'))) {
      const o = overlaySubmission(lab, join(dir, 'mistakes', m));
      try {
        expect(o.problems, m).toEqual({});
        expect((await compileAll(lab, o.dir, o.problems)).unavailable, m).toEqual({});
      } finally {
        o.cleanup();
      }
    }
  });

  it('says in both READMEs which files a submission holds, exactly those the lab takes', () => {
    const lab = loadLab(dir);
    for (const [readme, start, end] of [
      ['README.md', 'Your submission is a folder holding', /;|\.\s/],
      ['README.zh.md', '提交的是一个包含', /的文件夹/],
    ] as const) {
      const text = readFileSync(join(dir, readme), 'utf8').replace(/\n/g, ' ');
      const at = text.indexOf(start);
      expect(at, `${readme} says what a submission holds`).toBeGreaterThanOrEqual(0);
      const sentence = text.slice(at + start.length).split(end)[0] ?? '';
      expect([...sentence.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort(), readme).toEqual(lab.submissionFiles.sort());
    }
  });

  it('ships at least two mistakes, each a whole submission that differs from the reference', () => {
    const lab = loadLab(dir);
    const mistakes = files(join(dir, 'mistakes'));
    expect(mistakes.length).toBeGreaterThanOrEqual(2);
    for (const m of mistakes) {
      // A grade takes nothing of the reference for a file a student submits: a mistake holds all of them
      // (and its expect.yaml, which a grade does not take).
      expect(
        files(join(dir, 'mistakes', m))
          .filter((f) => f !== EXPECT_FILE)
          .sort(),
        m,
      ).toEqual(lab.submissionFiles.sort());
      const differs = lab.submissionFiles.filter(
        (f) => readFileSync(join(dir, 'mistakes', m, f), 'utf8') !== readFileSync(join(dir, f), 'utf8'),
      );
      expect(differs.length, `${m} differs from the reference`).toBeGreaterThan(0);
    }
  });

  it('declares, beside each mistake, the checks it fails (mistakes/<m>/expect.yaml, checks of this lab)', () => {
    const cases = selftestCases(loadLab(dir));
    expect(cases.map((c) => c.name)).toEqual(['reference', ...files(join(dir, 'mistakes')).sort()]);
    for (const c of cases) expect(c.problem, `${name} ${c.name}`).toBeUndefined();
    for (const c of cases.slice(1)) {
      expect(c.expectFails.length, c.name).toBeGreaterThan(0);
      expect(c.why?.length, `${c.name}: a why`).toBeGreaterThan(10);
    }
  });
});

describe('the ICMP echo types', () => {
  it.each(['ping-icmp/README.md', 'ping-icmp/README.zh.md'])('%s says the notes swap them and teaches 8 and 0', (file) => {
    const text = readFileSync(join(ROOT, 'labs', file), 'utf8');
    expect(text).toMatch(/swap|写反/);
    expect(text).toMatch(/request is type 8|请求是类型 8/);
    expect(text).toMatch(/reply is type 0|应答是类型 0/);
    expect(text).toMatch(/128/);
    expect(text).toMatch(/129/);
  });
});
