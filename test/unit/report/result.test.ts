import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../src/checks/types.js';
import { exitCodeFor, summarize } from '../../../src/report/result.js';

/** A check result of `points` out of `maxPoints`. */
function check(id: string, status: CheckResult['status'], maxPoints: number): CheckResult {
  return { id, kind: 'socket', title: id, status, points: status === 'passed' ? maxPoints : 0, maxPoints, message: status, evidence: [] };
}

function result(checks: CheckResult[], passMark = 1) {
  return summarize({ lab: 'l', instance: 'i', passMark, startedAt: '2026-11-30T00:00:00.000Z', durationMs: 1, checks, steps: [] });
}

describe('summarize: checks that were not judged (skipped)', () => {
  it('is error, not failed, when the checks not judged decide the verdict', () => {
    // Every judged check passed; the capture failed, so the check reading it was not judged.
    const r = result([check('listen', 'passed', 1), check('handshake', 'skipped', 3)]);
    expect(r.status).toBe('error');
    expect(r.message).toMatch(/not graded: the check handshake could not be judged/);
    expect(exitCodeFor(r)).toBe(4);
    expect(r.score).toBe(1);
    expect(r.maxScore).toBe(4);
  });

  it('stays failed when the judged checks already settle it', () => {
    const r = result([check('listen', 'failed', 1), check('handshake', 'skipped', 3)]);
    expect(r.status).toBe('failed');
    expect(r.message).toBeUndefined();
  });

  it('stays passed when the judged checks reach the pass mark without it', () => {
    const r = result([check('listen', 'passed', 3), check('copies', 'skipped', 1)], 0.75);
    expect(r.status).toBe('passed');
  });

  it('is error in a lab without points when every judged check passed', () => {
    const r = result([check('a', 'passed', 0), check('b', 'skipped', 0)]);
    expect(r.status).toBe('error');
    expect(result([check('a', 'failed', 0), check('b', 'skipped', 0)]).status).toBe('failed');
  });

  it('is unchanged when every check was judged', () => {
    expect(result([check('a', 'passed', 1), check('b', 'failed', 1)]).status).toBe('failed');
    expect(result([check('a', 'passed', 1), check('b', 'passed', 1)]).status).toBe('passed');
  });
});
