/**
 * A check whose expected value is none, zero or absent must not pass on a missing or empty observation, and
 * must not fail for it either: it is not judged (status `skipped`, no points), and says what was not seen.
 * Each case below passed (or failed) on the old code.
 */
import { describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../../src/checks/evaluate.js';
import type { ResolvedCheck } from '../../../src/checks/registry.js';
import { emptyObservations, endProbeName, type Observations } from '../../../src/exercise/observations.js';
import { probeKind } from '../../../src/exercise/probe-kinds/registry.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { fixture } from '../../helpers/observations.js';

const ADDRESSES = { server: ['10.77.251.10', 'fd00:7e57:77::10'], client: ['10.77.251.20', 'fd00:7e57:77::20'] };

function judged(kind: string, spec: object, obs: Observations): { status: string; points: number; message: string } {
  const check = { id: 'c', title: 'c', points: 2, kind, spec } as ResolvedCheck;
  const [r] = evaluateChecks([check], obs);
  if (!r) throw new Error('no result');
  return { status: r.status, points: r.points, message: r.message };
}

function withCapture(pcap: string): Observations {
  const obs = emptyObservations(ADDRESSES);
  obs.captures.w = { node: 'server', packets: decodePcap(fixture(`pcap/${pcap}`)) };
  return obs;
}

// /proc/<pid>/io of the copies lab's reference server (test/fixtures/proc-io): the reading taken before a
// transfer, and after one 4 MiB read() + write() transfer.
const BEFORE = fixture('proc-io/copies-readwrite-before.txt').toString();
const AFTER = fixture('proc-io/copies-readwrite-after.txt').toString();

function procIo(answers: string, before: string, after: string): Observations {
  const cmd = (stdout: string) => ({
    node: 'server',
    kind: 'command' as const,
    stdout,
    stderr: '',
    timedOut: false,
    running: false,
    droppedBytes: 0,
    exitCode: 0,
  });
  return { ...emptyObservations(), programs: { before: cmd(before), after: cmd(after) }, files: { 'answers.txt': answers } };
}
const copies = { file: 'answers.txt', key: 'pipe-copies', before: 'before', after: 'after', counters: ['rchar', 'wchar'], per: 4194304 };

/** The end-of-run sockets probe of `node` as the probe kind parses `stdout` (what the run keeps). */
function withSocketsProbe(node: string, stdout: string, stderr = ''): Observations {
  const obs = emptyObservations(ADDRESSES);
  obs.probes[endProbeName(node)] = { node, kind: 'sockets', raw: stdout + stderr, ...probeKind('sockets').parse(stdout, stdout + stderr) };
  return obs;
}
const SS_MISSING = fixture('sockets/probe-ss-missing.stdout').toString();
const SS_MISSING_ERR = fixture('sockets/probe-ss-missing.stderr').toString();

describe('a check that could not observe what it judges is not judged', () => {
  it('proc-io: `pipe-copies: 0` when no transfer happened between the readings (the server moved nothing)', () => {
    // The same reading twice: a server that read and wrote nothing between them. Old code: 0 copies, passed.
    const none = judged('proc-io', copies, procIo('pipe-copies: 0\n', BEFORE, BEFORE));
    expect(none).toMatchObject({ status: 'skipped', points: 0 });
    expect(none.message).toBe(
      "not judged: between before and after the process's rchar + wchar grew by 0 bytes, less than half of the 4194304-byte file: the transfer did not happen (see what the client received), so there is no copy to count.",
    );
    // Any other answer is not judged either: the run measured nothing to compare it with.
    expect(judged('proc-io', copies, procIo('pipe-copies: 2\n', BEFORE, BEFORE)).status).toBe('skipped');
    // With the transfer, the same answers are judged.
    expect(judged('proc-io', copies, procIo('pipe-copies: 2\n', BEFORE, AFTER))).toMatchObject({ status: 'passed', points: 2 });
    expect(judged('proc-io', copies, procIo('pipe-copies: 0\n', BEFORE, AFTER))).toMatchObject({ status: 'failed', points: 0 });
  });

  it('proc-io in bytes: an answer of 0 when the process made no read() or write() at all', () => {
    const bytes = { file: 'answers.txt', key: 'written', before: 'before', after: 'after', counters: ['write_bytes'] };
    // Old code: the growth was 0 and so was the answer: passed.
    expect(judged('proc-io', bytes, procIo('written: 0\n', BEFORE, BEFORE))).toMatchObject({ status: 'skipped', points: 0 });
    // A counter that did not grow while the process did read and write is a measurement: 0 is judged.
    const disk = { ...bytes, counters: ['read_bytes'] };
    expect(judged('proc-io', disk, procIo('written: 0\n', BEFORE, AFTER))).toMatchObject({ status: 'passed', points: 2 });
  });

  it('socket `absent: true` when ss printed no table (the probe ran, ss did not)', () => {
    const obs = withSocketsProbe('server', SS_MISSING, SS_MISSING_ERR);
    // Old code: an empty table, so "no TCP socket on port 9000 in LISTEN, as it should": passed.
    const v = judged('socket', { node: 'server', tcp: 9000, absent: true }, obs);
    expect(v).toMatchObject({ status: 'skipped', points: 0 });
    expect(v.message).toBe(
      'not judged: the socket table of server was not read: ss printed no table ("@@\\n@@\\nsh: 1: ss: not found\\nsh: 1: ss: not found\\nsh: 1: ss: not found").',
    );
    // A socket that should be there is not failed for it either.
    expect(judged('socket', { node: 'server', tcp: 9000, state: 'LISTEN' }, obs).status).toBe('skipped');
    // A real table is still read, empty of the port or not.
    const table = withSocketsProbe('server', fixture('sockets/server-ss-tanp.txt').toString());
    expect(judged('socket', { node: 'server', tcp: 9000, absent: true }, table).status).toBe('failed');
    expect(judged('socket', { node: 'server', tcp: 9999, absent: true }, table).status).toBe('passed');
  });

  it('answer (the pid holding a port) when ss printed no table', () => {
    const obs = withSocketsProbe('server', SS_MISSING, SS_MISSING_ERR);
    obs.files['answers.txt'] = 'pid: 21\n';
    const v = judged('answer', { file: 'answers.txt', key: 'pid', expect: { pid: { node: 'server', tcp: 9000 } } }, obs);
    // Old code: "no process holds tcp port 9000": failed.
    expect(v).toMatchObject({ status: 'skipped', points: 0 });
  });

  it('retransmission `expect: none` on a capture that caught nothing, or no connection of the node', () => {
    // Old code: "holds no TCP connection": failed, for a capture that saw nothing to count.
    const empty = judged('retransmission', { capture: 'w', from: 'client', expect: 'none' }, withCapture('empty-capture.pcap'));
    expect(empty).toMatchObject({ status: 'skipped', points: 0 });
    expect(empty.message).toBe(
      'not judged: the capture `w` holds no TCP connection of client (0 packet(s) in all), so there is no retransmission to count, or to rule out.',
    );
    expect(judged('retransmission', { capture: 'w', from: 'client', expect: 'none' }, withCapture('udp-echo.pcap')).status).toBe('skipped');
    expect(judged('retransmission', { capture: 'w', from: 'client', expect: 'none' }, withCapture('tcp-echo-eth.pcap')).status).toBe(
      'passed',
    );
  });

  it('udp `count: 0` on a capture that caught nothing; judged on one that caught other traffic', () => {
    const spec = { capture: 'w', from: 'client', to: 'server', port: 9999, count: 0 };
    // Old code: failed whatever the capture held, so `count: 0` could never pass.
    expect(judged('udp', spec, withCapture('empty-capture.pcap'))).toMatchObject({ status: 'skipped', points: 0 });
    expect(judged('udp', spec, withCapture('udp-echo.pcap'))).toMatchObject({ status: 'passed', points: 2 });
    expect(judged('udp', { ...spec, port: 9002 }, withCapture('udp-echo.pcap')).status).toBe('failed');
  });

  it('a capture or a probe that failed is not judged (teardown with RST forbidden, socket absent)', () => {
    const obs = emptyObservations(ADDRESSES);
    obs.captures.w = { node: 'server', packets: [], error: 'tcpdump could not start' };
    obs.probes[endProbeName('server')] = { node: 'server', kind: 'sockets', raw: '', error: 'sockets probe on server failed: timed out' };
    // Old code: failed ("the capture `w` failed", "could not read the socket table").
    expect(judged('teardown', { capture: 'w', reset: 'forbidden' }, obs)).toMatchObject({ status: 'skipped', points: 0 });
    expect(judged('socket', { node: 'server', tcp: 9000, absent: true }, obs)).toMatchObject({ status: 'skipped', points: 0 });
    // A capture an earlier step never took is still the run's failure, as before.
    expect(judged('teardown', { capture: 'x' }, obs).status).toBe('failed');
  });
});
