import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gradeLab } from '../helpers/grade-lab.js';

// netstat-lsof: the reference scores full marks; each mistake fails exactly the checks it should.
const LAB = 'netstat-lsof';
const MISTAKES: Record<string, string[]> = {
  'swallows-error': ['exits-nonzero'],
  'moves-to-another-port': ['exits-nonzero', 'says-eaddrinuse', 'names-port'],
  'finds-the-wrapper': ['holder-pid', 'holder-command'],
};

describe(`${LAB} graded on a real engine`, () => {
  it('ships the mistakes this test knows about', () => {
    expect(readdirSync(`labs/${LAB}/mistakes`).sort()).toEqual(Object.keys(MISTAKES).sort());
  });

  it('the reference scores full marks', async () => {
    const g = await gradeLab(LAB, `labs/${LAB}`);
    expect(g.failing, g.explain).toEqual([]);
    expect(g.report.status, g.explain).toBe('passed');
    expect(g.report.score).toBe(g.report.maxScore);
    expect(g.code).toBe(0);
  });

  for (const [mistake, failing] of Object.entries(MISTAKES)) {
    it(`mistakes/${mistake} fails exactly ${failing.join(', ')}`, async () => {
      const g = await gradeLab(LAB, `labs/${LAB}/mistakes/${mistake}`);
      expect(g.failing, g.explain).toEqual(failing);
      expect(g.report.status).toBe('failed');
      expect(g.code).toBe(1);
    });
  }
});
