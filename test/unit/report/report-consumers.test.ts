// Every report format read by its consumer's own reader: JUnit against the Jenkins xUnit XSD (xmllint), TAP
// by node-tap's parser (TAP 14) and Perl's prove (TAP 13), Gradescope's results.json against its field list,
// GitHub Classroom's result decoded and totalled as its reporter does. A tool error must read as a tool
// error to each of them, never as the student's score; a submission that does not compile says so in each.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Parser, type FinalResults } from 'tap-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { summaryCsv, summaryRow } from '../../../src/grade/batch.js';
import { render } from '../../../src/report/formats.js';
import { errorResult, summarize, type GradeResult } from '../../../src/report/result.js';
import { ROOT } from '../../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-consumers-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const CONSUMERS = join(ROOT, 'test', 'fixtures', 'consumers');

const base = {
  lab: 'udp-echo',
  instance: 'grade-x1',
  submission: 'alice',
  passMark: 1,
  startedAt: '2026-11-25T17:00:00.000Z',
  durationMs: 4321,
  steps: [],
};
const graded = summarize({
  ...base,
  checks: [
    {
      id: 'bound',
      kind: 'socket',
      title: 'The server is bound',
      status: 'passed',
      points: 1,
      maxPoints: 1,
      message: 'server has a UDP socket on port 9000.',
      evidence: ['udp UNCONN 0.0.0.0:9000'],
    },
    {
      id: 'replies',
      kind: 'udp',
      title: 'Each datagram echoed # to its sender',
      status: 'failed',
      points: 0,
      maxPoints: 3,
      message: 'the reply to "one" was "one\\n" (4 bytes)',
      evidence: ['10.0.1.10:9000 > 10.0.1.20:40000 udp 4'],
    },
    { id: 'skipped-one', kind: 'output', title: 'Prints', status: 'skipped', points: 0, maxPoints: 0, message: 'not run', evidence: [] },
  ],
});
const noCompile = summarize({
  ...base,
  checks: graded.checks.map((c) => ({ ...c, status: c.status === 'skipped' ? 'skipped' : ('failed' as const), points: 0 })),
  message: 'server.ts does not compile:\n  server.ts:6:7: Unexpected ";"',
});
const missing: GradeResult = {
  ...noCompile,
  message: 'expected server.ts; found Server.ts (file names are case-sensitive)',
  files: { submission: ['client.ts'], lab: [], missing: ['server.ts'], ignored: ['Server.ts'] },
};
const toolError = errorResult({
  lab: 'udp-echo',
  submission: 'bob',
  maxScore: 4,
  passMark: 1,
  startedAt: new Date('2026-11-25T17:00:00Z'),
  message: 'interrupted; not graded',
});
const passed = summarize({ ...base, checks: [graded.checks[0]!] });
const ALL = { graded, noCompile, missing, toolError, passed };

function file(name: string, text: string): string {
  const f = join(work, name);
  writeFileSync(f, text);
  return f;
}

describe("JUnit: valid against the Jenkins xUnit plugin's junit-10.xsd (xmllint)", () => {
  it.each(Object.entries(ALL))('%s', (name, r) => {
    const f = file(`${name}.xml`, render(r, 'junit'));
    const v = spawnSync('xmllint', ['--noout', '--schema', join(CONSUMERS, 'jenkins-junit-10.xsd'), f], { encoding: 'utf8' });
    expect(v.error, 'xmllint is installed by scripts/setup.sh (Debian libxml2-utils)').toBeUndefined();
    expect(v.stderr.trim()).toBe(`${f} validates`);
    expect(v.status).toBe(0);
  });

  it("a submission that does not compile is a failed testcase `submission` with the compiler's message", () => {
    const xml = render(noCompile, 'junit');
    expect(xml).toMatch(
      /<testcase classname="udp-echo" name="submission" time="0.000">\n\s+<failure message="server.ts does not compile:" type="submission">server.ts does not compile:\n {2}server.ts:6:7: Unexpected &quot;;&quot;<\/failure>/,
    );
    expect(xml).toMatch(/<testsuites [^>]*failures="3" errors="0"/);
  });

  it('a tool error is an error, not a failure', () => {
    const xml = render(toolError, 'junit');
    expect(xml).toMatch(/<testsuites [^>]*tests="1" failures="0" errors="1"/);
    expect(xml).toContain(
      '<error message="the grader could not run (not the student&apos;s fault; not graded): interrupted; not graded"'.replace(
        '&apos;',
        "'",
      ),
    );
  });
});

function tapParse(text: string): Promise<FinalResults> {
  return new Promise((resolve) => {
    const p = new Parser(resolve);
    p.end(text);
  });
}

describe("TAP: read by node-tap's parser and by prove", () => {
  it('a graded run: the plan, the counts and the failure', async () => {
    const r = await tapParse(render(graded, 'tap'));
    expect([r.ok, r.count, r.pass, r.fail, r.skip, r.bailout]).toEqual([false, 3, 2, 1, 1, false]);
    expect(r.failures[0]?.name).toBe('replies: Each datagram echoed # to its sender');
    expect((await tapParse(render(passed, 'tap'))).ok).toBe(true);
  });

  it("a submission that does not compile: test point 1 fails with the compiler's message", async () => {
    const r = await tapParse(render(noCompile, 'tap'));
    expect(r.ok).toBe(false);
    expect(r.failures[0]?.name).toBe('submission: server.ts does not compile:');
    expect(r.failures[0]?.diag).toMatchObject({ message: 'server.ts does not compile:\n  server.ts:6:7: Unexpected ";"' });
    expect((await tapParse(render(missing, 'tap'))).failures[0]?.name).toBe(
      'submission: expected server.ts; found Server.ts (file names are case-sensitive)',
    );
  });

  it('a tool error is a bailout: never a pass, never a failed test', async () => {
    const r = await tapParse(render(toolError, 'tap'));
    expect(r.ok).toBe(false);
    expect(r.bailout).toMatch(/^the grader could not run \(not the student's fault; not graded\): interrupted; not graded/);
    expect([r.count, r.fail]).toEqual([0, 0]);
  });

  const prove = spawnSync('prove', ['--version'], { encoding: 'utf8' });
  it.skipIf(prove.error !== undefined)('prove (TAP 13) reads every one without a parse error; the tool error as a bailout', () => {
    for (const [name, r] of Object.entries(ALL)) {
      const f = file(`${name}.tap`, render(r, 'tap'));
      const out = spawnSync('prove', ['-v', '-e', 'cat', f], { encoding: 'utf8' });
      const text = out.stdout + out.stderr;
      // A bailout ends the run before any plan: prove adds "No plan found" to its bailout, nothing else.
      expect(text.replace(r === toolError ? /Parse errors: No plan found in TAP output/ : /^$/, ''), name).not.toMatch(/Parse errors/);
      if (r === passed) expect(out.status, text).toBe(0);
      else expect(out.status, text).not.toBe(0);
      if (r === toolError) expect(text).toMatch(/Further testing stopped: the grader could not run/);
    }
  });
});

describe('JSON: the published schema, with the files a grade took from the submission and the lab', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema', 'result.schema.json'), 'utf8')) as object);
  it.each(Object.entries(ALL))('%s', (_, r) => {
    expect(validate(JSON.parse(render(r, 'json'))), JSON.stringify(validate.errors)).toBe(true);
  });
  it('a `files` entry missing a list is refused', () => {
    expect(validate({ ...JSON.parse(render(missing, 'json')), files: { submission: [] } })).toBe(false);
  });
});

describe('Gradescope results.json', () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(readFileSync(join(CONSUMERS, 'gradescope-results.schema.json'), 'utf8')) as object);

  it.each(Object.entries(ALL))('%s has only the fields Gradescope reads', (_, r) => {
    const g = JSON.parse(render(r, 'gradescope')) as object;
    expect(validate(g), JSON.stringify(validate.errors)).toBe(true);
  });

  it('a tool error records no score: no `score` and no scored tests', () => {
    const g = JSON.parse(render(toolError, 'gradescope')) as { score?: number; tests?: unknown[]; output: string };
    expect('score' in g).toBe(false);
    expect(g.tests ?? []).toEqual([]);
    expect(g.output).toMatch(/could not run.*no score is recorded.*interrupted; not graded/);
  });

  it('a submission that does not compile says so first, and scores what it scored', () => {
    const g = JSON.parse(render(noCompile, 'gradescope')) as { score: number; output: string };
    expect(g.score).toBe(0);
    expect(g.output.split('\n').slice(0, 3)).toEqual(['udp-echo: 0/4', 'server.ts does not compile:', '  server.ts:6:7: Unexpected ";"']);
  });
});

/** What autograding-grading-reporter does with one runner's result: base64 → JSON → points and outcome. */
function classroomReporter(env: Record<string, string>, runners: string[]): { points?: string; failed?: string; tests: string[] } {
  const results = runners.map(
    (runner) =>
      JSON.parse(Buffer.from(env[`${runner.toUpperCase()}_RESULTS`] ?? '', 'base64').toString('utf-8')) as {
        status: string;
        max_score: number;
        tests: { name: string; status: string; score: number }[];
      },
  );
  let total = 0;
  let max = 0;
  for (const r of results) {
    if (!r.max_score) continue;
    max += r.max_score;
    for (const t of r.tests) total += t.score;
  }
  const failed = results.some((r) => r.status === 'fail')
    ? 'Some tests failed.'
    : results.some((r) => r.status === 'error')
      ? 'Some tests errored.'
      : undefined;
  return {
    ...(max ? { points: `Points ${total}/${max}` } : {}),
    ...(failed ? { failed } : {}),
    tests: results.flatMap((r) => r.tests.map((t) => `${t.status} ${t.name}`)),
  };
}

describe('GitHub Classroom: decoded from base64 as the grading reporter does', () => {
  const encoded = (r: GradeResult): Record<string, string> => ({
    TOPLAB_RESULTS: execFileSync('base64', ['-w0'], { input: render(r, 'classroom') }).toString(),
  });

  it('a graded run: its points, and the workflow fails for a failed check', () => {
    expect(classroomReporter(encoded(graded), ['toplab'])).toEqual({
      points: 'Points 1/4',
      failed: 'Some tests failed.',
      tests: ['pass bound: The server is bound', 'fail replies: Each datagram echoed # to its sender', 'fail skipped-one: Prints'],
    });
    expect(classroomReporter(encoded(passed), ['toplab'])).toEqual({ points: 'Points 1/1', tests: ['pass bound: The server is bound'] });
  });

  it('a submission that does not compile: a failing `submission` test with the message', () => {
    const r = classroomReporter(encoded(noCompile), ['toplab']);
    expect(r.tests[0]).toBe('fail submission');
    expect(r.points).toBe('Points 0/4');
  });

  it('a tool error records no points and reads as errored', () => {
    expect(classroomReporter(encoded(toolError), ['toplab'])).toEqual({ failed: 'Some tests errored.', tests: ['error toplab'] });
  });
});

describe('summary.csv', () => {
  it('says why a submission scored nothing: the compile error, the missing file, the tool error', () => {
    const csv = summaryCsv([summaryRow('alice', noCompile), summaryRow('carol', missing), summaryRow('bob', toolError)]).split('\n');
    expect(csv[1]).toBe('alice,0,4,failed,bound replies,4.3,"server.ts does not compile: server.ts:6:7: Unexpected "";"""');
    expect(csv[2]).toBe('carol,0,4,failed,bound replies,4.3,expected server.ts; found Server.ts (file names are case-sensitive)');
    expect(csv[3]).toMatch(/^bob,,4,error,,\d+\.\d,interrupted; not graded$/);
  });
});
