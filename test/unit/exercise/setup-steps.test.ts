// What `lab up` runs, so what a lab README tells a student to look at is there: the leading starts and the lab's
// own commands among them (copies writes its file and starts its server; socket-addresses starts its server and
// a client that holds a connection, after a capture that `lab up` skips); never a student's command file.
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import { setupSteps } from '../../../src/exercise/step-text.js';

const names = (lab: string): (string | undefined)[] => setupSteps(loadLab(lab).steps).map((s) => s.name);

describe('lab up runs', () => {
  it.each([
    ['copies', ['make-file', 'server-readwrite', 'io-readwrite-before']],
    ['socket-addresses', ['server4', 'client4']],
    ['netstat-lsof', ['holder']],
    ['tcp-handshake', ['server', 'client']],
    ['send-buffer', ['server', 'client']],
    ['ipv6', ['server']],
    ['unix-socket', ['clean']],
    // A capture and then the student's ping.sh: nothing of theirs runs before they ask.
    ['ping-icmp', []],
    ['traceroute', []],
  ])('%s: %j', (lab, expected) => {
    expect(names(lab)).toEqual(expected);
  });
});
