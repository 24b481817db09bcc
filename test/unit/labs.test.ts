// The course labs as files: each loads and validates, carries its metadata, documents every check and every
// mistake in both languages, says the notes swap the ICMP echo types where it matters, and ships starter
// files and at least two mistakes, all replacing files a student submits. (Running them: test/docker/labs-*.test.ts.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPECT_FILE, selftestCases } from '../../src/grade/selftest.js';
import { loadLab } from '../../src/lab/load.js';
import type { Lab } from '../../src/lab/model.js';
import { ROOT } from '../helpers/cli.js';

const LABS = ['tcp-handshake', 'tcp-echo-eof', 'send-buffer', 'udp-echo', 'unix-socket', 'ping-icmp', 'traceroute', 'netstat-lsof', 'ifconfig-mtu', 'ipv6', 'socket-addresses', 'tcpdump', 'top-talker', 'copies'];

it('covers every lab of the catalogue', () => {
  expect(readdirSync(join(ROOT, 'labs')).sort()).toEqual([...LABS].sort());
});

/** The files a submission may replace: program sources and the lab's submission files. */
function submittable(lab: Lab): string[] {
  return [...Object.values(lab.def.programs ?? {}).map((p) => p.source), ...(lab.def.submission?.files ?? [])];
}

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
      for (const mistake of files(join(dir, 'mistakes'))) expect(text, `${readme} should explain mistake ${mistake}`).toContain(`\`${mistake}\``);
    }
  });

  it('ships starter files for everything a student submits', () => {
    const lab = loadLab(dir);
    const starters = files(join(dir, 'starter'));
    expect(starters.length).toBeGreaterThan(0);
    for (const f of starters) expect(submittable(lab), `starter/${f}`).toContain(f);
    for (const f of lab.def.submission?.files ?? []) expect(starters, `a starter for ${f}`).toContain(f);
  });

  it('ships at least two mistakes, each replacing files a student submits', () => {
    const lab = loadLab(dir);
    const mistakes = files(join(dir, 'mistakes'));
    expect(mistakes.length).toBeGreaterThanOrEqual(2);
    for (const m of mistakes) {
      const own = files(join(dir, 'mistakes', m)).filter((f) => f !== EXPECT_FILE);
      expect(own.length, m).toBeGreaterThan(0);
      for (const f of own) expect(submittable(lab), `${m}/${f}`).toContain(f);
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
