// What makes a class grade faster without changing a verdict: how many submissions a batch grades at once
// when not told, and which exercise steps may run at the same moment.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepGroups } from '../../../src/exercise/run.js';
import { defaultBatchParallel } from '../../../src/grade/batch.js';
import { loadLab } from '../../../src/lab/load.js';
import type { StepDef } from '../../../src/lab/model.js';
import { resolveStep } from '../../../src/lab/resolve.js';

const GiB = 1024 ** 3;

describe('defaultBatchParallel', () => {
  it('grades 4 per CPU, from 4 to 16', () => {
    expect(defaultBatchParallel(1, 16 * GiB)).toBe(4);
    expect(defaultBatchParallel(2, 16 * GiB)).toBe(8);
    expect(defaultBatchParallel(3, 16 * GiB)).toBe(12);
    expect(defaultBatchParallel(8, 16 * GiB)).toBe(16);
  });
  it('grades fewer at once when free memory is short (256 MiB each), and at least one', () => {
    expect(defaultBatchParallel(2, 1 * GiB)).toBe(4);
    expect(defaultBatchParallel(2, 600 * 1024 ** 2)).toBe(2);
    expect(defaultBatchParallel(2, 100 * 1024 ** 2)).toBe(1);
  });
});

describe('stepGroups', () => {
  const indices = (steps: StepDef[]): number[][] => stepGroups(steps.map(resolveStep)).map((g) => g.map((s) => s.index));

  it("takes tcp-handshake's two socket probes at the same moment, every other step alone and in order", () => {
    const lab = loadLab(join(import.meta.dirname, '../../../labs/tcp-handshake'));
    const steps = lab.def.exercise;
    expect(steps.map((s) => Object.keys(s)[0])).toEqual(['start', 'capture', 'start', 'wait', 'probe', 'probe', 'stop']);
    expect(indices(steps)).toEqual([[0], [1], [2], [3], [4, 5], [6]]);
  });

  it('never groups a probe that sends packets (ping, traceroute), nor probes across another step', () => {
    const probe = (name: string, kind?: string): StepDef => ({ probe: { name, node: 'a', ...(kind ? { kind } : {}) } }) as StepDef;
    const steps: StepDef[] = [
      probe('s1'),
      probe('i1', 'interfaces'),
      probe('p1', 'ping'),
      probe('r1', 'routes'),
      probe('l1', 'lsof'),
      { stop: 'x' } as StepDef,
      probe('s2'),
      probe('t1', 'traceroute'),
      probe('s3'),
    ];
    expect(indices(steps)).toEqual([[0, 1], [2], [3, 4], [5], [6], [7], [8]]);
  });
});
