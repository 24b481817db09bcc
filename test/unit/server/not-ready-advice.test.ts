import { describe, expect, it } from 'vitest';
import { notReadyAdvice } from '../../../src/server/orchestrator.js';

describe('what a student whose lab is not ready is told to do', () => {
  it('says press Start only in the states that have a Start button (stopped, failed), and wait otherwise', () => {
    expect(notReadyAdvice('stopped')).toBe('press Start first');
    expect(notReadyAdvice('failed')).toBe('press Start first');
    // A queued student (e.g. after their engine was lost and no other engine has room) has no Start button.
    for (const state of ['queued', 'starting', 'resetting', 'checking'] as const)
      expect(notReadyAdvice(state)).toBe('wait until it is ready');
  });
});
