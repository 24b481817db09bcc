// Labs 1-5 of the catalogue on a real engine: each reference scores full marks, and each mistake in
// labs/<lab>/mistakes/ fails exactly the checks it is meant to fail. Every grade runs in its own fresh
// instance (lab grade), so they run concurrently; each asserts that its instance left nothing behind.
import { describe, expect, it } from 'vitest';
import { explain, gradeMistake, gradeReference, mistakesOf } from '../helpers/grade.js';

/** Lab → mistake → the checks it must fail (every other check must pass). */
const EXPECTED: Record<string, Record<string, string[]>> = {
  'tcp-handshake': {
    'listens-on-localhost': ['handshake', 'established-server', 'established-client', 'echo', 'close'],
    'closes-without-reading': ['established-server', 'established-client', 'echo', 'close'],
  },
  'tcp-echo-eof': {
    'server-never-closes': ['half-close', 'reply', 'client-exit'],
    'client-closes-before-reading': ['half-close', 'reply'],
  },
  'send-buffer': {
    'ignores-backpressure': ['stall-report'],
    'trusts-write': ['stall-report'],
    // Only the first 64 KiB go out and the client closes at once: nothing fills, nothing is held.
    'gives-up-on-false': ['zero-window', 'server-recv-q', 'client-send-q', 'stall-report', 'accepted', 'delivered'],
  },
  'udp-echo': {
    'replies-to-fixed-port': ['replies', 'output', 'client-exit'],
    'client-concatenates': ['datagrams', 'replies'],
  },
  'unix-socket': {
    'no-unlink': ['listen', 'echo'],
    'swallows-errors': ['no-server', 'no-server-exit', 'denied', 'denied-exit'],
  },
};

for (const [labName, mistakes] of Object.entries(EXPECTED)) {
  describe.concurrent(labName, () => {
    it('ships the mistakes this test knows about', () => {
      expect(mistakesOf(labName)).toEqual(Object.keys(mistakes).sort());
    });

    it('the reference scores full marks', async () => {
      const g = await gradeReference(labName);
      expect(g.failed, explain(g)).toEqual([]);
      expect(g.report.status).toBe('passed');
      expect(g.code).toBe(0);
      expect(g.report.score).toBe(g.report.maxScore);
    });

    for (const [mistake, failing] of Object.entries(mistakes)) {
      it(`mistake ${mistake} fails exactly ${failing.join(', ')}`, async () => {
        const g = await gradeMistake(labName, mistake);
        expect(g.failed, explain(g)).toEqual(g.report.checks.map((c) => c.id).filter((id) => failing.includes(id)));
        expect(g.failed.length, explain(g)).toBe(failing.length);
        expect(g.report.status).toBe('failed');
        expect(g.code).toBe(1);
      });
    }
  });
}
