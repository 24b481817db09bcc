import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHandshake } from '../../../src/checks/handshake.js';
import { checkTcpData } from '../../../src/checks/tcp-data.js';
import { checkTeardown } from '../../../src/checks/teardown.js';
import { connections, dedupe, tcpPackets } from '../../../src/checks/tcp.js';
import { checkUdp } from '../../../src/checks/udp.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import { conversationLadder, conversations } from '../../../src/observe/ladder.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { ROOT } from '../../helpers/cli.js';

// Captures made by scripts/capture-fixtures-runs.sh (client 10.77.252.20, server 10.77.252.10).
function observed(file: string): Observations {
  const obs = emptyObservations({ server: ['10.77.252.10'], client: ['10.77.252.20'] });
  obs.captures.w = { node: 'server', packets: decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap', file))) };
  return obs;
}

describe('two connections on one port pair (tcp-port-reuse.pcap)', () => {
  const obs = observed('tcp-port-reuse.pcap');
  const packets = dedupe(tcpPackets(obs.captures.w?.packets ?? []));

  it('are two connections, each from its own SYN (as tcpdump -S shows: 10 packets, then 8)', () => {
    const conns = connections(packets);
    expect(conns.map((c) => c.length)).toEqual([10, 8]);
    expect(conns.map((c) => c[0]?.tcp.seq)).toEqual([1016693305, 1016758850]);
    expect(conns.map((c) => c[0]?.tcp.flags.syn)).toEqual([true, true]);
    // A retransmitted SYN (same ISN) stays in its connection.
    const first = conns[0] ?? [];
    const again = { ...first[0], index: 1000 } as (typeof first)[number];
    expect(connections([...first, again]).length).toBe(1);
  });

  it("judges the first connection's teardown by its own packets, not the second one's RST", () => {
    const v = checkTeardown({ capture: 'w', port: 9000, initiator: 'client' }, obs);
    expect(v.message).toMatch(
      /^10\.77\.252\.20 \(client\) closed first \(FIN\); the other side answered with its own FIN, and both were acknowledged\.$/,
    );
    expect(v.passed).toBe(true);
  });

  it('reassembles each connection from its own ISN: both messages, both ways', () => {
    const v = checkTcpData(
      { capture: 'w', client: 'client', server: 'server', port: 9000, echo: true, toServer: { equals: 'first\nsecond\n' } },
      obs,
    );
    expect(v.evidence).toContain('2 connection(s)');
    expect(v.evidence?.[0]).toBe('client to server: 13 bytes "first\\nsecond\\n"');
    expect(v.passed).toBe(true);
  });

  it('are two exchanges in the ladder view, each drawn from its own SYN to its own end', () => {
    const packets = obs.captures.w?.packets ?? [];
    const convs = conversations(packets);
    expect(convs.map((c) => [c.protocol, c.packets])).toEqual([
      ['tcp', 10],
      ['tcp', 8],
    ]);
    const [first, second] = convs.map((c) => conversationLadder(packets, c));
    expect(first?.arrows.filter((a) => a.flags?.includes('RST'))).toEqual([]);
    expect(first?.arrows[0]?.flags).toEqual(['SYN']);
    expect(second?.arrows[0]?.flags).toEqual(['SYN']);
    expect(second?.arrows.at(-1)?.flags).toContain('RST');
  });

  it('finds the handshake of each connection in that connection', () => {
    const v = checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9000 }, obs);
    expect(v.message).toBe('SYN, SYN-ACK, ACK in order: client ISN 1016693305, server ISN 2943018380.');
  });
});

describe('a UDP echo with one byte more (udp-echo-extra-byte.pcap)', () => {
  it('says what the reply was, with the packets, not that there was none', () => {
    const v = checkUdp(
      { capture: 'w', from: 'client', to: 'server', port: 9002, count: 3, echo: true },
      observed('udp-echo-extra-byte.pcap'),
    );
    expect(v.passed).toBe(false);
    expect(v.message).toBe('the reply to "one" (3 bytes) was "one\\n" (4 bytes): an echo sends back exactly the bytes it received.');
    expect(v.evidence?.slice(0, 2)).toEqual([
      '10.77.252.20:20202 > 10.77.252.10:9002 UDP len=3 "one"',
      '10.77.252.10:9002 > 10.77.252.20:20202 UDP len=4 "one\\n"',
    ]);
  });
});
