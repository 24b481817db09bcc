import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSocket, describeSocket } from '../../../src/checks/socket.js';
import { emptyObservations, endProbeName, type Observations } from '../../../src/exercise/observations.js';
import { openedInCaptures, parseBaseline, parseSocketsProbe, scopeSockets } from '../../../src/exercise/socket-scope.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import type { SocketEntry } from '../../../src/observe/types.js';
import { ROOT } from '../../helpers/cli.js';

// A client node's tables one run apart (scripts/capture-fixtures-runs.sh): before the run, the earlier run's
// connection from port 20203 waits in TIME_WAIT; at the probe it still does, next to this run's connection
// from port 20204. Docker's DNS resolver listens on 127.0.0.11 in both.
const before = readFileSync(join(ROOT, 'test/fixtures/sockets/client-before-run-proc-net-tcp.txt'), 'utf8');
const after = readFileSync(join(ROOT, 'test/fixtures/sockets/client-after-run-ss.txt'), 'utf8');
const table = (text: string): SocketEntry[] => parseSocketsProbe(text) ?? [];

function probed(sockets = table(after), opened = new Set<string>()): Observations {
  const obs = emptyObservations({ server: ['10.77.252.10'], client: ['10.77.252.20'] });
  obs.probes[endProbeName('client')] = {
    node: 'client',
    kind: 'sockets',
    raw: after,
    ...scopeSockets(sockets, parseBaseline(before), opened),
  };
  return obs;
}

describe('a socket table scoped to this run', () => {
  it("leaves out Docker's DNS listener and sets aside the earlier run's TIME_WAIT", () => {
    const all = table(after);
    expect(all.some((s) => s.localAddress === '127.0.0.11')).toBe(false);
    const { sockets, earlier } = scopeSockets(all, parseBaseline(before), new Set());
    expect(sockets.map(describeSocket)).toEqual(['tcp ESTABLISHED 10.77.252.20:20204 -> 10.77.252.10:9000 (node pid 57)']);
    expect(earlier.map(describeSocket)).toEqual(['tcp TIME_WAIT 10.77.252.20:20203 -> 10.77.252.10:9000']);
  });

  it('keeps a connection this run opened again on the same 4-tuple (its SYN is in the capture)', () => {
    const syn = decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap/tcp-port-reuse.pcap'))).slice(0, 1);
    const tw = { ...table(after).find((s) => s.localPort === 20203), localPort: 20201 } as SocketEntry;
    const baseline = new Map([['10.77.252.10:9000|10.77.252.20:20201', 'TIME_WAIT']]);
    expect(scopeSockets([tw], baseline, new Set()).earlier).toHaveLength(1);
    expect(scopeSockets([tw], baseline, openedInCaptures([syn])).sockets).toHaveLength(1);
    // Over before the run, open now: a new connection on the old 4-tuple.
    expect(scopeSockets([{ ...tw, state: 'ESTABLISHED' }], baseline, new Set()).sockets).toHaveLength(1);
  });

  it("does not cite an earlier run's TIME_WAIT for a client that did not connect this time", () => {
    // The client of this run never sent a SYN: its table has only what the earlier run left.
    const obs = probed(table(after).filter((s) => s.localPort !== 20204));
    const v = checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'server' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'no TCP socket on port 9000 in ESTABLISHED in client: no connection was open when the table was read. (1 TCP socket(s) on port 9000 in TIME_WAIT, left by an earlier run before this one began, were not counted.)',
    );
    expect(v.message).not.toMatch(/but in TIME_WAIT/);
    expect(v.evidence).toEqual(['earlier run: tcp TIME_WAIT 10.77.252.20:20203 -> 10.77.252.10:9000']);
  });

  it("still sees this run's connection, and never takes the DNS listener for the node's", () => {
    const obs = probed();
    expect(checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'server' }, obs).passed).toBe(true);
    const dnsPort = Number(/127\.0\.0\.11:(\d+)/.exec(after)?.[1]);
    const v = checkSocket({ node: 'client', tcp: dnsPort, state: 'LISTEN' }, obs);
    expect(v.passed).toBe(false);
    expect(v.evidence?.join('\n') ?? '').not.toMatch(/127\.0\.0\.11/);
  });
});
