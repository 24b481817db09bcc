// Lab authoring without an engine: the cases `lab selftest` reads from a lab folder (expect.yaml beside each
// mistake), how a graded case is judged against its declaration, the table it prints, and the lab `lab new`
// writes. (Grading them for real: test/docker/authoring.test.ts and the labs' Docker tests.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/checks/types.js';
import { ladderOptionsOf } from '../../../src/cli/commands.js';
import { parseEndpoint } from '../../../src/cli/ladder.js';
import {
  judgeCase,
  renderSelftest,
  runSelftest,
  selftestCases,
  selftestJson,
  uncoveredChecks,
  type SelftestCase,
} from '../../../src/grade/selftest.js';
import { loadLab } from '../../../src/lab/load.js';
import { scaffoldLab } from '../../../src/lab/scaffold.js';
import { errorResult, summarize, type GradeResult } from '../../../src/report/result.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import { lab as runLab } from '../../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'toplab-authoring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Writes a scaffolded lab into the temp folder, with `edit` applied to its files first. */
function makeLab(name: string, edit: (files: Record<string, string>) => void = () => undefined): string {
  const files = scaffoldLab(name, { schemaPath: '../schema.json' });
  edit(files);
  const dir = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const check = (id: string, status: CheckResult['status'], maxPoints = 1): CheckResult => ({
  id,
  kind: 'output',
  title: id,
  status,
  points: status === 'passed' ? maxPoints : 0,
  maxPoints,
  message: `${id} ${status}`,
  evidence: [],
});
const result = (statuses: Record<string, CheckResult['status']>): GradeResult =>
  summarize({
    lab: 'demo',
    instance: 'grade-1',
    passMark: 1,
    startedAt: '2026-11-29T00:00:00.000Z',
    durationMs: 1,
    checks: Object.entries(statuses).map(([id, s]) => check(id, s)),
    steps: [],
  });
const mistake = (expectFails: string[], extra: Partial<SelftestCase> = {}): SelftestCase => ({
  lab: 'demo',
  name: 'm',
  submission: '/x',
  expectFails,
  ...extra,
});
const reference: SelftestCase = { lab: 'demo', name: 'reference', submission: '/x', expectFails: [] };

describe('the cases of a lab (selftestCases)', () => {
  it('the reference, then each mistake with the checks its expect.yaml declares, in the lab order', () => {
    const dir = makeLab('cases-ok', (f) => {
      f['mistakes/listens-on-localhost/expect.yaml'] = 'why: "listens on loopback only"\nfails: [close, handshake, echo]\n';
    });
    const cases = selftestCases(loadLab(dir));
    expect(cases.map((c) => [c.name, c.expectFails, c.problem])).toEqual([
      ['reference', [], undefined],
      ['listens-on-localhost', ['handshake', 'echo', 'close'], undefined],
    ]);
    expect(cases[1]?.why).toBe('listens on loopback only');
    expect(cases[1]?.submission).toBe(join(dir, 'mistakes', 'listens-on-localhost'));
  });

  it('a mistake without expect.yaml, naming checks the lab lacks, or not YAML: a problem, not a crash', () => {
    const dir = makeLab('cases-bad', (f) => {
      delete f['mistakes/listens-on-localhost/expect.yaml'];
      f['mistakes/typo/server.ts'] = f['server.ts'] ?? '';
      f['mistakes/typo/expect.yaml'] = 'fails: [handshak]\n';
      f['mistakes/garbled/server.ts'] = f['server.ts'] ?? '';
      f['mistakes/garbled/expect.yaml'] = 'fails: [a, b\n';
      f['mistakes/empty/server.ts'] = f['server.ts'] ?? '';
      f['mistakes/empty/expect.yaml'] = 'fails: []\n';
      f['mistakes/no-files/expect.yaml'] = 'fails: [echo]\n';
    });
    const byName = Object.fromEntries(selftestCases(loadLab(dir)).map((c) => [c.name, c.problem]));
    expect(byName['listens-on-localhost']).toBe(
      'no mistakes/listens-on-localhost/expect.yaml: declare the checks this mistake fails (fails: [check ids])',
    );
    expect(byName.typo).toBe(
      'mistakes/typo/expect.yaml names check(s) the lab does not have: handshak (checks: listen, handshake, echo, close)',
    );
    expect(byName.garbled).toMatch(/^mistakes\/garbled\/expect.yaml: not valid YAML: .*line 2, column 1$/);
    expect(byName.empty).toBe('mistakes/empty/expect.yaml: needs `fails:`, the list of check ids this mistake fails (at least one)');
    expect(byName['no-files']).toBe(
      "mistakes/no-files/ holds none of the lab's files (.ts files): a mistake replaces some of the reference's files",
    );
  });

  it('a mistake folder with nothing to grade is a mismatch of the lab, never graded and never a tool failure', async () => {
    const lab = loadLab(makeLab('cases-empty', (f) => (f['mistakes/nothing/expect.yaml'] = 'fails: [echo]\n')));
    const cases = selftestCases(lab).filter((c) => c.name === 'nothing');
    // No engine is touched: the runtime is never called.
    const report = await runSelftest([{ lab, cases }], { runtime: {} as Runtime, image: 'unused' });
    expect(report.rows.map((r) => [r.case, r.ok, r.status, r.actualFails, r.mismatch])).toEqual([
      [
        'nothing',
        false,
        undefined,
        undefined,
        "mistakes/nothing/ holds none of the lab's files (.ts files): a mistake replaces some of the reference's files",
      ],
    ]);
  });
});

describe('lab validate and the mistakes', () => {
  it('reports a mistake whose expect.yaml is missing or names an unknown check, without Docker', async () => {
    const dir = makeLab('validate-mistakes', (f) => {
      f['mistakes/typo/server.ts'] = f['server.ts'] ?? '';
      f['mistakes/typo/expect.yaml'] = 'fails: [handshak]\n';
      f['mistakes/undeclared/server.ts'] = f['server.ts'] ?? '';
    });
    const r = await runLab(['validate', dir], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n')).toEqual([
      `${join(dir, 'mistakes', 'typo')}: mistakes/typo/expect.yaml names check(s) the lab does not have: handshak (checks: listen, handshake, echo, close)`,
      `${join(dir, 'mistakes', 'undeclared')}: no mistakes/undeclared/expect.yaml: declare the checks this mistake fails (fails: [check ids])`,
      `${dir}: 2 problems in its mistakes`,
      '',
    ]);
    const ok = await runLab(['validate', makeLab('validate-ok')]);
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringMatching(/validate-ok\/lab.yaml: ok\n$/)]);
  }, 20_000);
});

describe('checks no mistake fails (uncoveredChecks)', () => {
  it('names the checks nothing shows can fail: all of them without mistakes, none when mistakes cover them', () => {
    const lab = loadLab(makeLab('uncovered'));
    expect(uncoveredChecks(lab, selftestCases(lab))).toEqual(['listen']);
    const bare = loadLab(
      makeLab('no-mistakes', (f) => {
        for (const k of Object.keys(f)) if (k.startsWith('mistakes/')) delete f[k];
      }),
    );
    expect(uncoveredChecks(bare, selftestCases(bare))).toEqual(['listen', 'handshake', 'echo', 'close']);
    // A mistake whose expect.yaml is broken covers nothing.
    const broken = loadLab(
      makeLab('broken-expect', (f) => (f['mistakes/listens-on-localhost/expect.yaml'] = 'fails: [handshake, nope]\n')),
    );
    expect(uncoveredChecks(broken, selftestCases(broken))).toEqual(['listen', 'handshake', 'echo', 'close']);
  });
});

describe('judging a graded case (judgeCase)', () => {
  it('the reference must score full marks', () => {
    expect(judgeCase(reference, result({ a: 'passed', b: 'passed' }), 5)).toMatchObject({
      ok: true,
      actualFails: [],
      status: 'passed',
      score: 2,
      maxScore: 2,
    });
    expect(judgeCase(reference, result({ a: 'passed', b: 'failed' }), 5)).toMatchObject({
      ok: false,
      mismatch: 'the reference must score full marks; it failed b (1/2)',
    });
  });

  it('a mistake must fail exactly what it declares, no more, no less', () => {
    expect(judgeCase(mistake(['b']), result({ a: 'passed', b: 'failed' }), 5)).toMatchObject({ ok: true, actualFails: ['b'] });
    expect(judgeCase(mistake(['b']), result({ a: 'failed', b: 'failed' }), 5)).toMatchObject({ ok: false, mismatch: 'also failed a' });
    expect(judgeCase(mistake(['a', 'b']), result({ a: 'passed', b: 'failed' }), 5)).toMatchObject({
      ok: false,
      mismatch: 'passed a, declared to fail',
    });
    expect(judgeCase(mistake(['b']), result({ a: 'failed', b: 'passed' }), 5)).toMatchObject({
      ok: false,
      mismatch: 'also failed a; passed b, declared to fail',
    });
    // A check not judged that decides the verdict makes the case ungraded, never a mistake that behaves.
    expect(judgeCase(mistake(['b']), result({ a: 'skipped', b: 'passed' }), 5)).toMatchObject({
      ok: false,
      mismatch: expect.stringMatching(/^could not be graded: not graded: the check a could not be judged/),
    });
  });

  it('a case the tool could not grade, or whose declaration is broken, never counts as behaving', () => {
    const err = errorResult({ lab: 'demo', maxScore: 2, passMark: 1, startedAt: new Date(), message: 'no Docker engine answers' });
    expect(judgeCase(mistake(['b']), err, 5)).toMatchObject({
      ok: false,
      status: 'error',
      mismatch: 'could not be graded: no Docker engine answers',
    });
    expect(judgeCase(mistake(['b'], { problem: 'no expect.yaml' }), result({ a: 'passed', b: 'failed' }), 5)).toMatchObject({
      ok: false,
      mismatch: 'no expect.yaml',
      actualFails: ['b'],
    });
  });

  it('prints a table, and JSON without the full grading results', () => {
    const rows = [
      judgeCase(reference, result({ a: 'passed', b: 'passed' }), 1200),
      judgeCase(mistake(['b']), result({ a: 'failed', b: 'failed' }), 800),
      judgeCase(mistake(['b'], { name: 'fine' }), result({ a: 'passed', b: 'failed' }), 500),
    ];
    const text = renderSelftest({ ok: false, rows, durationMs: 1300 }, { color: false });
    expect(text.split('\n')).toEqual([
      'lab   case       result    score  expected to fail    failed       time',
      'demo  reference  ok        2/2    (none: full marks)  (none)       1.2s',
      'demo  m          MISMATCH  0/2    b                   a, b         0.8s',
      'demo  fine       ok        1/2    b                   as declared  0.5s',
      'demo m: also failed a',
      'selftest FAILED: 1 of 3 case(s) differ from their declaration (1.3s)',
      '',
    ]);
    expect(text).not.toContain('\x1b[');
    expect(renderSelftest({ ok: true, rows: rows.slice(0, 1), durationMs: 1300 }, { color: true })).toContain(
      '\x1b[32;1mselftest passed: 1 case(s) of 1 lab(s) behave as declared',
    );
    const json = selftestJson({ ok: false, rows, durationMs: 1300 }) as { rows: Record<string, unknown>[] };
    expect(json.rows[1]).toMatchObject({
      case: 'm',
      ok: false,
      expectFails: ['b'],
      actualFails: ['a', 'b'],
      instance: 'grade-1',
      checks: [
        { id: 'a', status: 'failed' },
        { id: 'b', status: 'failed' },
      ],
    });
    expect(json.rows[1]).not.toHaveProperty('result');
  });
});

describe('lab new (scaffoldLab)', () => {
  it('writes a lab that validates, documents every check and its mistake in both languages, with starters', () => {
    const dir = makeLab('fresh-lab');
    const lab = loadLab(dir);
    expect(lab.def.name).toBe('fresh-lab');
    expect(lab.def.title).toBe('Fresh lab');
    expect(readFileSync(join(dir, 'lab.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schema.json');
    for (const readme of ['README.md', 'README.zh.md']) {
      const text = readFileSync(join(dir, readme), 'utf8');
      for (const c of lab.def.checks) expect(text, `${readme}: ${c.id}`).toContain(`\`${c.id}\``);
      expect(text).toContain('`listens-on-localhost`');
    }
    const sources = Object.values(lab.def.programs ?? {}).map((p) => p.source);
    expect(sources.sort()).toEqual(['client.ts', 'server.ts']);
    const cases = selftestCases(lab);
    expect(cases.map((c) => [c.name, c.expectFails, c.problem])).toEqual([
      ['reference', [], undefined],
      ['listens-on-localhost', ['handshake', 'echo', 'close'], undefined],
    ]);
  });

  it('takes a title, and refuses names that cannot be a lab', () => {
    expect(scaffoldLab('a1', { schemaPath: 'x', title: 'Asking: "DNS"' })['lab.yaml']).toContain('title: "Asking: \\"DNS\\""');
    expect(
      loadLab(makeLab('titled', (f) => Object.assign(f, scaffoldLab('titled', { schemaPath: 'x', title: 'Asking: "DNS"' })))).def.title,
    ).toBe('Asking: "DNS"');
    for (const bad of ['My-Lab', '1lab', 'a_b', '', 'x'.repeat(33), 'x--', 'ab-', '../up'])
      expect(() => scaffoldLab(bad, { schemaPath: 'x' }), bad).toThrow(/cannot name a lab/);
    // Every name it accepts is one the schema accepts: the longest, one letter, inner hyphens.
    for (const good of ['x'.repeat(32), 'a', 'a--b']) expect(loadLab(makeLab(good)).def.name).toBe(good);
  });

  it('the command makes the folder, says what to run next, and never overwrites one', async () => {
    const r = await runLab(['new', 'cli-made', '--dir', tmp]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`made ${join(tmp, 'cli-made')}/`);
    expect(r.stdout).toContain('mistakes/listens-on-localhost/expect.yaml');
    expect(loadLab(join(tmp, 'cli-made')).def.name).toBe('cli-made');
    const again = await runLab(['new', 'cli-made', '--dir', tmp]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
    expect((await runLab(['new', 'Bad_Name', '--dir', tmp])).code).toBe(2);
    // A name the lab file would refuse is refused before anything is written; an empty one is asked for.
    const trailing = await runLab(['new', 'x--', '--dir', tmp]);
    expect([trailing.code, trailing.stderr]).toEqual([2, expect.stringContaining('cannot name a lab')]);
    expect(existsSync(join(tmp, 'x--'))).toBe(false);
    const untitled = await runLab(['new', 'untitled', '--dir', tmp, '--title', '']);
    expect([untitled.code, untitled.stderr]).toEqual([2, expect.stringContaining('title: should not be empty')]);
    expect(existsSync(join(tmp, 'untitled'))).toBe(false);
    const empty = await runLab(['new', '', '--dir', tmp]);
    expect([empty.code, empty.stderr]).toEqual([2, expect.stringContaining('which name?')]);
  });
});

describe('lab ladder', () => {
  it('lab check/grade: --ladder-format asks for ladders too (it is never silently ignored), ASCII outside UTF-8', () => {
    const utf8 = { LANG: 'en_US.UTF-8' };
    expect(ladderOptionsOf({}, utf8)).toEqual({ ladder: false, style: 'unicode' });
    expect(ladderOptionsOf({ ladder: true }, { LANG: 'C' })).toEqual({ ladder: true, style: 'ascii' });
    expect(ladderOptionsOf({ ladderFormat: 'mermaid' }, utf8)).toEqual({ ladder: true, style: 'mermaid' });
    expect(ladderOptionsOf({ ladderFormat: 'ascii' }, utf8)).toEqual({ ladder: true, style: 'ascii' });
    expect(() => ladderOptionsOf({ ladderFormat: 'svg' })).toThrow(/unknown ladder format 'svg'/);
  });

  it('reads endpoints as users write them', () => {
    expect(parseEndpoint('10.0.1.20:40312')).toEqual({ address: '10.0.1.20', port: 40312 });
    expect(parseEndpoint('10.0.1.10')).toEqual({ address: '10.0.1.10' });
    expect(parseEndpoint('[FD00::10]:9000')).toEqual({ address: 'fd00::10', port: 9000 });
    expect(parseEndpoint('fd00::10')).toEqual({ address: 'fd00::10' });
    expect(() => parseEndpoint('server:9000')).toThrow(/not an endpoint/);
  });

  it('draws a capture file, chosen exchange and format, and lists the exchanges', async () => {
    const file = 'test/fixtures/pcap/tcp-echo-eth.pcap';
    const text = await runLab(['ladder', file, '--format', 'ascii']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/SYN-SENT \|-+>\| SYN-RECEIVED/);
    const mermaid = await runLab(['ladder', file, '--between', '10.77.251.10:9000', '10.77.251.20', '--format', 'mermaid']);
    expect(mermaid.stdout.split('\n').slice(0, 3)).toEqual([
      'sequenceDiagram',
      '    participant A as 10.77.251.20:20101',
      '    participant B as 10.77.251.10:9000',
    ]);
    const json = await runLab(['ladder', 'test/fixtures/pcap/udp-closed-port.pcap', '--all', '--format', 'json']);
    expect((JSON.parse(json.stdout) as { protocol: string }[]).map((l) => l.protocol)).toEqual(['udp']);
    const list = await runLab(['ladder', 'test/fixtures/pcap/icmp-echo-nano.pcap', '--list']);
    expect(list.stdout).toMatch(/^icmp +10\.77\.251\.20 ↔ 10\.77\.251\.10 +6 packet\(s\)$/m);
    const none = await runLab(['ladder', file, '--between', '10.0.0.1', '10.0.0.2']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--list');
  });

  it('draws a capture cut short up to its last whole packet and says so; refuses a file that is not one', async () => {
    const file = 'test/fixtures/pcap/tcp-echo-eth.pcap';
    // A capture cut short in its last packet: drawn up to the last whole one, with a note saying so.
    const whole = readFileSync(file);
    writeFileSync(join(tmp, 'cut.pcap'), whole.subarray(0, whole.length - 10));
    const cut = await runLab(['ladder', join(tmp, 'cut.pcap'), '--format', 'json']);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/ends in the middle of a packet \(at byte \d+ of \d+\)/);
    expect((JSON.parse(cut.stdout) as { arrows: unknown[] }[])[0]?.arrows).toHaveLength(9);
    expect((await runLab(['ladder', file])).stderr).toBe('');
    // The list, like the drawing, is plain ASCII outside a UTF-8 locale.
    const plain = await runLab(['ladder', file, '--list'], { env: { LANG: 'C', LC_ALL: '', LC_CTYPE: '' } });
    expect(plain.stdout).toMatch(/^tcp +10\.77\.251\.20:20101 <-> 10\.77\.251\.10:9000 +10 packet\(s\)\n$/);
    const reused = await runLab(['ladder', 'test/fixtures/pcap/tcp-port-reuse-time-wait.pcap', '--list']);
    expect(reused.stdout.split('\n')[1]).toMatch(/8 packet\(s\) {2}\(connection 2 on this four-tuple\)$/);
    // A file that is not a capture is the user's input: a usage error naming the file.
    writeFileSync(join(tmp, 'notes.pcap'), 'not a capture at all\n');
    const notPcap = await runLab(['ladder', join(tmp, 'notes.pcap')]);
    expect([notPcap.code, notPcap.stderr]).toEqual([2, expect.stringContaining('notes.pcap: not a pcap or pcapng file')]);
  }, 20_000);
});
