// Labs 1-5 of the catalogue on a real engine: each reference scores full marks, and each mistake in
// labs/<lab>/mistakes/ fails exactly the checks it is meant to fail. Every grade runs in its own fresh
// instance (lab grade), so a lab's grades run concurrently; each asserts that its instance left nothing behind.
import { describeLabGrading } from '../helpers/grade-lab.js';

describeLabGrading(
  'tcp-handshake',
  {
    'listens-on-localhost': ['handshake', 'established-server', 'established-client', 'echo', 'close'],
    'closes-without-reading': ['established-server', 'established-client', 'echo', 'close'],
  },
  { concurrent: true },
);

describeLabGrading(
  'tcp-echo-eof',
  {
    'server-never-closes': ['half-close', 'reply', 'client-exit'],
    'client-closes-before-reading': ['half-close', 'reply'],
  },
  { concurrent: true },
);

describeLabGrading(
  'send-buffer',
  {
    'ignores-backpressure': ['stall-report'],
    'trusts-write': ['stall-report'],
    // Only the first 64 KiB go out and the client closes at once: nothing fills, nothing is held.
    'gives-up-on-false': ['zero-window', 'server-recv-q', 'client-send-q', 'stall-report', 'accepted', 'delivered'],
  },
  { concurrent: true },
);

describeLabGrading(
  'udp-echo',
  {
    'replies-to-fixed-port': ['replies', 'output', 'client-exit'],
    'client-concatenates': ['datagrams', 'replies'],
  },
  { concurrent: true },
);

describeLabGrading(
  'unix-socket',
  {
    'no-unlink': ['listen', 'echo'],
    'swallows-errors': ['no-server', 'no-server-exit', 'denied', 'denied-exit'],
  },
  { concurrent: true },
);
