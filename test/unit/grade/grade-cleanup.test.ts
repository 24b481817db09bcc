// gradeSubmission on the in-memory engine: the grading instance (and the submission's temporary copy) is
// removed whatever the grade, on an engine error, and on an interruption, which is never a failed grade.
// The same against a real engine: test/docker/grade.test.ts and test/docker/reliability.test.ts.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError, InterruptedError } from '../../../src/errors.js';
import { bringUp, compileAll, gradeSubmission, SUBMISSION_PREFIX } from '../../../src/grade/session.js';
import { LABEL } from '../../../src/plan/labels.js';
import { engineFor, gradedLab, WORKING } from '../../helpers/graded-lab.js';

const { tmp, lab } = gradedLab('toplab-grade-cleanup-');
const submission = join(tmp, 'submission');
mkdirSync(submission);
for (const f of ['server.ts', 'client.ts']) writeFileSync(join(submission, f), 'console.log("student");\n');

/** The submission copies of this process left in the temp folder. */
const copies = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith(`${SUBMISSION_PREFIX}${process.pid}-`));

let n = 0;
const instance = (): string => `gc${n++}`;

describe('grading clean-up (gradeSubmission)', () => {
  it('a passing grade: the result, then the instance (nodes, observers, network, lock) and the copy are gone', async () => {
    const engine = engineFor(WORKING);
    const result = await gradeSubmission(lab, submission, { runtime: engine, image: 'toplab/lab:test', instance: instance() });
    expect([result.status, result.score, result.maxScore]).toEqual(['passed', 3, 3]);
    expect(engine.callsOf('createContainer').map(([s]) => (s as { name: string }).name)).toContain('tl-graded-gc0-server-observer');
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    expect(copies()).toEqual([]);
  });

  it('a failing grade: the same clean-up', async () => {
    const engine = engineFor({ ...WORKING, client: { stdout: 'goodbye\n' } });
    const result = await gradeSubmission(lab, submission, { runtime: engine, image: 'toplab/lab:test', instance: instance() });
    expect([result.status, result.score, result.checks.map((c) => [c.id, c.status])]).toEqual([
      'failed',
      1,
      [
        ['listen', 'passed'],
        ['echo', 'failed'],
      ],
    ]);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    expect(copies()).toEqual([]);
  });

  it('a step that fails (the server never ready): a failed grade, and the same clean-up', async () => {
    const engine = engineFor({ ...WORKING, server: { runsMs: Infinity } });
    const result = await gradeSubmission(lab, submission, { runtime: engine, image: 'toplab/lab:test', instance: instance() });
    expect(result.status).toBe('failed');
    expect(result.steps[0]).toMatchObject({
      status: 'failed',
      message: 'server was not ready after 1s: there was still no TCP socket listening on port 9000 in node server',
    });
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });

  it("an engine that fails mid-run: the engine's error (no grade), and the same clean-up", async () => {
    const noAnswer = new EngineError('the Docker engine at memory:// did not answer within 60s while running `sh` in container x');
    const engine = engineFor(WORKING, [
      {
        match: (c) => c.cmd[3] === 'toplab-launch' && c.cmd.at(-1) === '/opt/toplab/programs/client.mjs',
        reply: () => Promise.reject(noAnswer),
      },
    ]);
    await expect(gradeSubmission(lab, submission, { runtime: engine, image: 'toplab/lab:test', instance: instance() })).rejects.toBe(
      noAnswer,
    );
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    expect(copies()).toEqual([]);
  });

  it('interrupted while the client runs: InterruptedError (neither passed nor failed), and the same clean-up', async () => {
    const engine = engineFor({ ...WORKING, client: { runsMs: Infinity } });
    const controller = new AbortController();
    const grading = gradeSubmission(lab, submission, {
      runtime: engine,
      image: 'toplab/lab:test',
      instance: instance(),
      signal: controller.signal,
      onProgress: (l) => void (l.startsWith('run client') && setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 30)),
    });
    await expect(grading).rejects.toBeInstanceOf(InterruptedError);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    expect(copies()).toEqual([]);
  });

  it('interrupted while the nodes are being created: nothing is left once it has returned', async () => {
    const engine = engineFor(WORKING, [], 40);
    const controller = new AbortController();
    const grading = gradeSubmission(lab, submission, {
      runtime: engine,
      image: 'toplab/lab:test',
      instance: instance(),
      signal: controller.signal,
    });
    for (let i = 0; i < 400 && engine.creating === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(engine.creating).toBeGreaterThan(0);
    controller.abort(new InterruptedError('SIGTERM'));
    await expect(grading).rejects.toBeInstanceOf(InterruptedError);
    expect(engine.creating).toBe(0);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });
});

describe('lab up (bringUp): the setup steps, and what is left when they do not finish', () => {
  it('a server that never becomes ready: the lab stays up for debugging, the failure is reported, the lock released', async () => {
    const engine = engineFor({ server: { stderr: 'Error: listen EACCES\n', exitCode: 1 } });
    const compiled = await compileAll(lab);
    const up = await bringUp(lab, compiled, { runtime: engine, image: 'toplab/lab:test', instance: 'bu1' });
    expect(up.failures).toEqual([
      'server exited with code 1 before it was ready (a TCP socket listening on port 9000 in node server); it printed:\n    Error: listen EACCES',
    ]);
    expect(engine.leftovers().containers).toEqual(['tl-graded-bu1-client', 'tl-graded-bu1-server']);
    expect(engine.find('tl-graded-bu1-server')?.labels[LABEL.purpose]).toBe('lab');
    // Only the setup steps ran: the client's run is for check and grade.
    expect(
      engine
        .execs()
        .filter((c) => c[3] === 'toplab-launch')
        .map((c) => c.at(-1)),
    ).toEqual(['/opt/toplab/programs/server.mjs']);
  });

  it('interrupted during the setup steps: nothing is left, not even the lock, and it says interrupted', async () => {
    const engine = engineFor({ server: { runsMs: Infinity } });
    const controller = new AbortController();
    const compiled = await compileAll(lab);
    const up = bringUp(lab, compiled, {
      runtime: engine,
      image: 'toplab/lab:test',
      instance: 'bu2',
      signal: controller.signal,
      onProgress: (l) => void (l.startsWith('start server') && setTimeout(() => controller.abort(new InterruptedError('SIGINT')), 30)),
    });
    await expect(up).rejects.toBeInstanceOf(InterruptedError);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });
});
