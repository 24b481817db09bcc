import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../../src/checks/evaluate.js';
import { checkRetransmission } from '../../../src/checks/retransmission.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import { parseLabText } from '../../../src/lab/load.js';
import { resolveLab } from '../../../src/lab/resolve.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import type { Packet } from '../../../src/observe/types.js';
import { ROOT } from '../../helpers/cli.js';

// The two containers of test/fixtures/pcap (see its README).
function withCapture(file: string, transform: (p: Packet[]) => Packet[] = (p) => p): Observations {
  const obs = emptyObservations({ server: ['10.77.251.10', 'fd00:7e57:77::10'], client: ['10.77.251.20', 'fd00:7e57:77::20'] });
  obs.captures.w = { node: 'server', packets: transform(decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap', file)))) };
  return obs;
}

describe('retransmission (a check kind added as one module and one registry line)', () => {
  it('sees the data segment the client sent again after the server dropped it (tcp-retransmission.pcap)', () => {
    const v = checkRetransmission({ capture: 'w', from: 'client', port: 9000 }, withCapture('tcp-retransmission.pcap'));
    expect(v.passed).toBe(true);
    expect(v.message).toBe('client sent 1 segment(s) again on port 9000: TCP noticed they were lost and retransmitted them.');
    expect(v.evidence).toHaveLength(1);
    expect(v.evidence?.[0]).toMatch(/^.*10\.77\.251\.20:20112 > 10\.77\.251\.10:9000 \[P\.\].*len=10/);
    // The server sent each of its segments once.
    expect(checkRetransmission({ capture: 'w', from: 'server', expect: 'none' }, withCapture('tcp-retransmission.pcap')).passed).toBe(true);
    const none = checkRetransmission({ capture: 'w', from: 'client', expect: 'none' }, withCapture('tcp-retransmission.pcap'));
    expect(none.passed).toBe(false);
    expect(none.message).toBe('client had to send 1 segment(s) again: they were lost or not acknowledged in time.');
  });

  it('sees a SYN-ACK sent again when the last ACK of the handshake never came (tcp-missing-ack.pcap)', () => {
    const v = checkRetransmission({ capture: 'w', from: 'server' }, withCapture('tcp-missing-ack.pcap'));
    expect(v.passed).toBe(true);
    expect(v.message).toContain('server sent 2 segment(s) again');
    expect(v.evidence?.[0]).toMatch(/\[S\.\]/);
  });

  it('fails `some` on a clean exchange, and does not count a frame `-i any` recorded twice', () => {
    const clean = checkRetransmission({ capture: 'w', from: 'client', port: 9000 }, withCapture('tcp-echo-eth.pcap'));
    expect(clean.passed).toBe(false);
    expect(clean.message).toMatch(/^client retransmitted nothing on port 9000 \(\d+ segment\(s\) sent, each once\)/);
    const doubled = (ps: Packet[]): Packet[] =>
      ps.flatMap((p) => [p, { ...p, time: p.time + 0.00002, link: { ...p.link, ifindex: 99, direction: 'out' as const } }]);
    expect(checkRetransmission({ capture: 'w', from: 'client', expect: 'none' }, withCapture('tcp-echo-eth.pcap', doubled)).passed).toBe(
      true,
    );
    expect(checkRetransmission({ capture: 'w', from: 'client', port: 9001 }, withCapture('tcp-echo-eth.pcap')).message).toBe(
      'not judged: the capture `w` holds no TCP connection of client on port 9001 (10 packet(s) in all), so there is no retransmission to count, or to rule out.',
    );
  });

  it('is a check kind of the lab format: validated, evaluated by kind name', () => {
    const lab = parseLabText(
      [
        'name: r',
        'title: R',
        'networks: { lan: { subnet: 10.0.1.0/24 } }',
        'nodes: { a: { interfaces: { lan: 10.0.1.10 } } }',
        'exercise: [{ capture: { name: w, node: a } }]',
        'checks:',
        '  - { id: again, points: 1, retransmission: { capture: w, from: a, expect: some } }',
      ].join('\n'),
      join(ROOT, 'labs', 'tcp-handshake', 'lab.yaml'),
    );
    const obs = withCapture('tcp-retransmission.pcap');
    obs.addresses.a = obs.addresses.client ?? [];
    expect(evaluateChecks(resolveLab(lab).checks, obs)[0]).toMatchObject({ id: 'again', kind: 'retransmission', status: 'passed' });
    expect(() =>
      parseLabText(
        [
          'name: r',
          'title: R',
          'networks: { lan: { subnet: 10.0.1.0/24 } }',
          'nodes: { a: { interfaces: { lan: 10.0.1.10 } } }',
          'exercise: [{ capture: { name: w, node: a } }]',
          'checks:',
          '  - { id: again, points: 1, retransmission: { capture: w, from: a, expect: many } }',
        ].join('\n'),
        join(ROOT, 'labs', 'tcp-handshake', 'lab.yaml'),
      ),
    ).toThrow('checks.0.retransmission.expect: "many" is not allowed: use one of `some`, `none`');
    // What it reads is checked when the lab loads, like every kind's references.
    expect(() =>
      parseLabText(
        [
          'name: r',
          'title: R',
          'networks: { lan: { subnet: 10.0.1.0/24 } }',
          'nodes: { a: { interfaces: { lan: 10.0.1.10 } } }',
          'exercise: [{ capture: { name: w, node: a } }]',
          'checks:',
          '  - { id: again, points: 1, retransmission: { capture: wire, from: b } }',
        ].join('\n'),
        join(ROOT, 'labs', 'tcp-handshake', 'lab.yaml'),
      ),
    ).toThrow(
      /checks\.0\.retransmission\.capture: unknown capture `wire` \(known: `w`\)[\s\S]*checks\.0\.retransmission\.from: unknown node `b`/,
    );
  });
});
