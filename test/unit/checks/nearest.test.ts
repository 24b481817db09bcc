import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkIcmp } from '../../../src/checks/icmp.js';
import { checkSocket } from '../../../src/checks/socket.js';
import { checkTcpData } from '../../../src/checks/tcp-data.js';
import { emptyObservations, endProbeName, type Observations } from '../../../src/exercise/observations.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { parseSs } from '../../../src/observe/sockets.js';
import { ROOT } from '../../helpers/cli.js';

// A failure names what was seen nearest to what was expected. Fixtures from scripts/capture-fixtures.sh.
const fixture = (dir: string, name: string): Buffer => readFileSync(join(ROOT, 'test/fixtures', dir, name));
const base = (): Observations =>
  emptyObservations({ server: ['10.77.251.10', 'fd00:7e57:77::10'], client: ['10.77.251.20', 'fd00:7e57:77::20'] });

describe('what was seen nearest to what was expected', () => {
  it('socket: the port in the other protocol, or over the other IP version', () => {
    const obs = base();
    const tcp = parseSs(fixture('sockets', 'server-ss-tanp.txt').toString(), { proto: 'tcp' });
    const udp = parseSs(fixture('sockets', 'server-ss-uanp.txt').toString(), { proto: 'udp' });
    obs.probes[endProbeName('server')] = { node: 'server', kind: 'sockets', raw: '', sockets: [...tcp, ...udp] };
    const wrongProto = checkSocket({ node: 'server', udp: 9000 }, obs);
    expect(wrongProto.message).toBe(
      'no UDP socket on port 9000 in UNCONN in server. There is a TCP IPv4 socket on port 9000 in LISTEN: UDP was expected.',
    );
    expect(wrongProto.evidence?.[0]).toBe('tcp LISTEN 0.0.0.0:9000 (node pid 21)');
    const wrongFamily = checkSocket({ node: 'server', udp: 9002, family: 6 }, obs);
    expect(wrongFamily.message).toBe(
      "no UDP socket on port 9002 in UNCONN in server. There is a UDP IPv4 socket on port 9002 in UNCONN, over IPv4 rather than IPv6. It is bound to 0.0.0.0, IPv4's wildcard address: bind to :: (give bind() no address), which takes IPv4 and IPv6.",
    );
  });

  it('tcp-data: the port the client connected to instead', () => {
    const obs = base();
    obs.captures.w = { node: 'server', packets: decodePcap(fixture('pcap', 'tcp-echo-eth.pcap')) };
    const v = checkTcpData({ capture: 'w', client: 'client', server: 'server', port: 9002, echo: true }, obs);
    expect(v.message).toBe(
      'no TCP connection from client to server port 9002 in the capture, so no data; client connected to 10.77.251.10 port 9000 instead.',
    );
    expect(v.evidence?.[0]).toMatch(/^10\.77\.251\.20:20101 > 10\.77\.251\.10:9000 \[S\]/);
  });

  it('icmp: the reply that came back, with another seq', () => {
    const obs = base();
    // The real exchange, with the first reply's seq changed as a broken responder would.
    const packets = decodePcap(fixture('pcap', 'icmp-echo-nano.pcap'));
    const firstReply = packets.find((p) => p.icmp?.type === 0);
    if (!firstReply?.icmp) throw new Error('no reply in the fixture');
    const seq = firstReply.icmp.seq ?? 0;
    firstReply.icmp = { ...firstReply.icmp, seq: seq + 100 };
    obs.captures.w = { node: 'server', packets };
    const v = checkIcmp({ capture: 'w', echo: { from: 'client', to: 'server', count: 3 } }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(
      new RegExp(`got no echo reply \\(type 0\\) with the same id and seq; the nearest reply from server has id \\d+ seq ${seq + 100}\\.$`),
    );
  });
});
