// Ctrl-C while a grading instance is still being created: removeActiveInstances (what the CLI's signal handler
// runs before it exits) must not return while a creation is in flight, or the container that creation makes
// is left behind. The in-memory engine (test/fakes) stands in for Docker so the timing is exact.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InterruptedError } from '../../../src/errors.js';
import { gradeSubmission, gradingInterrupted, removeActiveInstances } from '../../../src/grade/session.js';
import { loadLab } from '../../../src/lab/load.js';
import { scaffoldLab } from '../../../src/lab/scaffold.js';
import { MemoryRuntime } from '../../fakes/memory-runtime.js';

const tmp = mkdtempSync(join(tmpdir(), 'toplab-interrupt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('an interrupted grading (removeActiveInstances)', () => {
  it('waits for containers still being created, so nothing is left, and the grading reports neither pass nor fail', async () => {
    const dir = join(tmp, 'demo');
    for (const [path, text] of Object.entries(scaffoldLab('demo', { schemaPath: 'x' }))) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const lab = loadLab(dir);
    const engine = new MemoryRuntime({ createMs: 150 });
    // Every command fails as in a container that is gone: the grading ends soon after its interruption.
    engine.script({ match: () => true, reply: ({ container }) => Promise.reject(new Error(`no such container: ${container.id}`)) });
    const grading = gradeSubmission(lab, dir, { runtime: engine, image: 'toplab/lab:test', instance: 'grade-int' });
    grading.catch(() => undefined);
    // Ctrl-C while both containers are being created.
    for (let i = 0; i < 200 && engine.creating === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(engine.creating).toBeGreaterThan(0);
    await removeActiveInstances(5_000);
    // The signal handler exits here: nothing may be in flight, nothing left.
    expect(engine.creating).toBe(0);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    await expect(grading).rejects.toBeInstanceOf(InterruptedError);
    // No grading starts after an interruption.
    expect(gradingInterrupted()).toBe(true);
    await expect(gradeSubmission(lab, dir, { runtime: engine, image: 'toplab/lab:test', instance: 'grade-int2' })).rejects.toBeInstanceOf(
      InterruptedError,
    );
    expect(engine.containers.size).toBe(0);
  });
});
