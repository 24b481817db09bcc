import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { summaryCsv, summaryRow } from '../../../src/grade/batch.js';
import { toClassroom } from '../../../src/report/classroom.js';
import { render } from '../../../src/report/formats.js';
import { toGradescope } from '../../../src/report/gradescope.js';
import { errorResult, summarize, type GradeResult } from '../../../src/report/result.js';
import { renderTerminal } from '../../../src/report/terminal.js';
import { ROOT } from '../../helpers/cli.js';

const failed: GradeResult = summarize({
  lab: 'tcp-handshake',
  instance: 'grade-x1',
  submission: 'alice',
  passMark: 1,
  startedAt: '2026-11-25T17:00:00.000Z',
  durationMs: 4321,
  checks: [
    {
      id: 'listen',
      kind: 'socket',
      title: 'The server listens',
      status: 'passed',
      points: 1,
      maxPoints: 1,
      message: 'server has a TCP socket on port 9000 in LISTEN.',
      evidence: ['tcp LISTEN 0.0.0.0:9000 (node pid 21)'],
    },
    {
      id: 'handshake',
      kind: 'handshake',
      title: 'SYN, SYN-ACK, ACK <in order> & "right"',
      status: 'failed',
      points: 0,
      maxPoints: 3,
      message: 'no SYN-ACK: the server answered the SYN with RST — is it listening on port 9000?',
      evidence: ['10.0.1.20:4000 > 10.0.1.10:9000 [S] seq=1 win=64240', 'bad \u0001 control \ud800 char'],
    },
  ],
  steps: [{ index: 0, description: 'start server', status: 'failed', message: 'exited with code 1', durationMs: 10 }],
});
const errored = errorResult({
  lab: 'tcp-handshake',
  submission: 'bob',
  maxScore: 4,
  passMark: 1,
  startedAt: new Date('2026-11-25T17:00:00Z'),
  message: 'no Docker engine answers at unix:///var/run/docker.sock',
});
const passed: GradeResult = summarize({ ...failed, checks: [failed.checks[0] ?? failed.checks[1]!] });

describe('the result model', () => {
  it('scores, and keeps failed and error apart', () => {
    expect([failed.status, failed.score, failed.maxScore]).toEqual(['failed', 1, 4]);
    expect([passed.status, passed.score]).toEqual(['passed', 1]);
    expect([errored.status, errored.score, errored.maxScore, errored.checks]).toEqual(['error', 0, 4, []]);
  });

  it('JSON output follows the published schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema/result.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const addFormats = (addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default ?? addFormatsModule;
    addFormats(ajv);
    const validate = ajv.compile(schema);
    for (const r of [failed, errored, passed, { ...passed, reference: true }])
      expect(validate(JSON.parse(render(r, 'json'))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...failed, status: 'weird' })).toBe(false);
  });
});

describe('JUnit XML', () => {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });
  it('is well-formed: one testsuite per lab, one testcase per check, failure for failed, times in seconds', () => {
    const xml = render(failed, 'junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml) as {
      testsuites: {
        tests: string;
        failures: string;
        testsuite: {
          name: string;
          tests: string;
          failures: string;
          errors: string;
          time: string;
          timestamp: string;
          testcase: { name: string; classname: string; time: string; failure?: { message: string; type: string; '#text': string } }[];
        };
      };
    };
    const suite = doc.testsuites.testsuite;
    expect(suite).toMatchObject({
      name: 'tcp-handshake (alice)',
      tests: '2',
      failures: '1',
      errors: '0',
      time: '4.321',
      timestamp: '2026-11-25T17:00:00.000',
    });
    expect(suite.testcase.map((c) => c.name)).toEqual(['listen: The server listens', 'handshake: SYN, SYN-ACK, ACK <in order> & "right"']);
    expect(suite.testcase[0]?.failure).toBeUndefined();
    expect(suite.testcase[1]?.failure?.message).toMatch(/answered the SYN with RST/);
    expect(suite.testcase[1]?.failure?.type).toBe('handshake');
    expect(suite.testcase[1]?.failure?.['#text']).toContain('bad  control  char');
  });

  it('reports a tool failure as an error, not a failure', () => {
    const xml = render(errored, 'junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = parser.parse(xml) as {
      testsuites: { testsuite: { errors: string; failures: string; testcase: { error?: { message: string } } } };
    };
    expect(doc.testsuites.testsuite).toMatchObject({ errors: '1', failures: '0' });
    expect(doc.testsuites.testsuite.testcase.error?.message).toMatch(/no Docker engine/);
  });
});

describe('Gradescope results.json', () => {
  it('has score, max_score and tests with name, score, max_score, status and output', () => {
    const g = toGradescope(failed);
    expect(g).toMatchObject({ score: 1, max_score: 4, execution_time: 4 });
    expect(g.tests).toHaveLength(2);
    for (const t of g.tests ?? []) {
      expect(Object.keys(t)).toEqual(expect.arrayContaining(['name', 'score', 'max_score', 'status', 'output']));
      expect(['passed', 'failed']).toContain(t.status);
      expect(t.score).toBeLessThanOrEqual(t.max_score);
    }
    expect(g.tests?.[1]).toMatchObject({ status: 'failed', score: 0, max_score: 3 });
    expect(g.output).toContain('step 1 (start server) failed: exited with code 1');
    expect(JSON.parse(render(failed, 'gradescope'))).toEqual(g);
    const e = toGradescope(errored);
    // No score at all: Gradescope would record a 0 as the student's score (report-consumers.test.ts).
    expect('score' in e).toBe(false);
    expect(e.output).toMatch(/not your fault/);
  });
});

describe('GitHub Classroom autograding result', () => {
  it('is version 1 with pass/fail/error and per-test scores, and round-trips through base64', () => {
    const c = toClassroom(failed);
    expect(c).toMatchObject({ version: 1, status: 'fail', max_score: 4 });
    expect(c.tests.map((t) => [t.name.split(':')[0], t.status, t.score])).toEqual([
      ['listen', 'pass', 1],
      ['handshake', 'fail', 0],
    ]);
    const encoded = Buffer.from(render(failed, 'classroom')).toString('base64');
    expect(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'))).toEqual(c);
    expect(toClassroom(passed).status).toBe('pass');
    expect(toClassroom(errored)).toMatchObject({ status: 'error', max_score: 0, tests: [{ name: 'toplab', status: 'error' }] });
  });
});

describe('TAP (version 13, which TAP 14 readers accept)', () => {
  it('starts with the version line and a plan that matches the test points', () => {
    const tap = render(failed, 'tap');
    const lines = tap.trimEnd().split('\n');
    expect(lines[0]).toBe('TAP version 13');
    const plan = lines.find((l) => /^1\.\.\d+$/.test(l));
    expect(plan).toBe('1..2');
    const points = lines.filter((l) => /^(not )?ok \d+ /.test(l));
    expect(points).toEqual(['ok 1 - listen: The server listens', 'not ok 2 - handshake: SYN, SYN-ACK, ACK <in order> & "right"']);
    // The YAML diagnostic block of the failure is indented and closed.
    const start = lines.indexOf('  ---');
    expect(start).toBeGreaterThan(lines.indexOf(points[1] ?? ''));
    expect(lines.slice(start).includes('  ...')).toBe(true);
    expect(lines.slice(start + 1, lines.indexOf('  ...')).every((l) => l.startsWith('  '))).toBe(true);
  });

  it('bails out when the tool failed', () => {
    const tap = render(errored, 'tap').split('\n');
    expect(tap[0]).toBe('TAP version 13');
    expect(tap.find((l) => l.startsWith('Bail out!'))).toMatch(/no Docker engine/);
  });
});

describe('terminal', () => {
  it('is plain without colour, coloured with it, and shows evidence with --verbose', () => {
    const plain = renderTerminal(failed, { color: false, verbose: false });
    expect(plain).not.toContain('\u001b[');
    expect(plain).toMatch(/PASS listen/);
    expect(plain).toMatch(/FAIL handshake\s+0\/3/);
    expect(plain).toMatch(/FAILED {2}score 1\/4/);
    expect(renderTerminal(failed, { color: true, verbose: false })).toContain('\u001b[31mFAIL');
    expect(renderTerminal(passed, { color: false, verbose: true })).toContain('tcp LISTEN 0.0.0.0:9000');
    expect(renderTerminal(passed, { color: false, verbose: false })).not.toContain('tcp LISTEN 0.0.0.0:9000');
    expect(renderTerminal(errored, { color: false, verbose: false })).toMatch(/ERROR/);
  });
});

describe('class summary', () => {
  it('writes one CSV row per student with status and failed checks, quoting where needed', () => {
    const csv = summaryCsv([summaryRow('alice', failed), summaryRow('bob, jr', errored)]);
    expect(csv.split('\n')[0]).toBe('student,score,max_score,status,failed_checks,seconds,message');
    expect(csv.split('\n')[1]).toBe('alice,1,4,failed,handshake,4.3,');
    expect(csv.split('\n')[2]).toMatch(/^"bob, jr",,4,error,,\d+\.\d,no Docker engine/);
  });
});

describe('the report format registry (src/report/registry.ts)', () => {
  it('lists each format once, with a description and an extension, and renders through the module that declares it', async () => {
    const { REPORT_FORMATS } = await import('../../../src/report/registry.js');
    const names = REPORT_FORMATS.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toBe('terminal');
    for (const f of REPORT_FORMATS) {
      expect(f.description.length, f.name).toBeGreaterThan(10);
      expect(f.ext, f.name).toMatch(/^[a-z]+$/);
      expect(render(failed, f.name, { color: false, verbose: true })).toBe(f.render(failed, { color: false, verbose: true }));
    }
    expect(render(failed, 'junit')).toContain('<testsuite');
    // A batch's per-student files: one name each, and the names graders' tools look for.
    const files = REPORT_FORMATS.map((f) => f.batchFile);
    expect(new Set(files).size).toBe(files.length);
    expect(REPORT_FORMATS.find((f) => f.name === 'gradescope')?.batchFile).toBe('results.json');
  });
});
