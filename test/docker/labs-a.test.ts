// Labs 1-5 of the catalogue on a real engine, through `lab selftest`: each reference scores full marks, and
// each mistake in labs/<lab>/mistakes/ fails exactly the checks its expect.yaml declares. Every case runs in its
// own fresh instance, so a lab's cases run concurrently; each asserts that its instance left nothing behind.
import { describeLabGrading } from '../helpers/grade-lab.js';

for (const lab of ['tcp-handshake', 'tcp-echo-eof', 'send-buffer', 'udp-echo', 'unix-socket'])
  describeLabGrading(lab, { concurrent: true });
