import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { claimRunFolder } from '../../../src/exercise/artifacts.js';
import { runExercise } from '../../../src/exercise/run.js';
import { localLab } from '../../helpers/local-runtime.js';

const work = mkdtempSync(join(tmpdir(), 'toplab-artifacts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('each run has its own artifacts folder', () => {
  it('gives two runs that ask for the same folder at once two folders', async () => {
    // Two grades of .../a/submission and .../b/submission in the same second ask for the same name.
    const wanted = join(work, 'results', 'udp-echo', 'grade-submission-2026-11-29_23-00-00');
    const running = localLab();
    running.lab = { ...running.lab, def: { ...running.lab.def, exercise: [], checks: [] }, steps: [], checks: [] };
    const [a, b] = await Promise.all([runExercise(running, { artifactsDir: wanted }), runExercise(running, { artifactsDir: wanted })]);
    expect(a.artifactsDir).toBeDefined();
    expect(b.artifactsDir).toBeDefined();
    expect(new Set([a.artifactsDir, b.artifactsDir])).toEqual(new Set([wanted, `${wanted}-2`]));
  });

  it("never hands out a folder that already holds an earlier run's files", () => {
    const wanted = join(work, 'again');
    expect(claimRunFolder(wanted)).toBe(wanted);
    writeFileSync(join(wanted, 'wire.pcap'), 'earlier');
    expect(claimRunFolder(wanted)).toBe(`${wanted}-2`);
    expect(existsSync(join(`${wanted}-2`, 'wire.pcap'))).toBe(false);
    expect(claimRunFolder(wanted)).toBe(`${wanted}-3`);
    writeFileSync(join(work, 'file'), '');
    expect(() => claimRunFolder(join(work, 'file', 'x'))).toThrow(/ENOTDIR|EEXIST/);
  });
});
