import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../../src/checks/evaluate.js';
import { resolveCheck, type CheckDef } from '../../../src/checks/registry.js';
import { checkAnswer } from '../../../src/checks/answer.js';
import { checkHandshake } from '../../../src/checks/handshake.js';
import { checkIcmp } from '../../../src/checks/icmp.js';
import { checkInterface } from '../../../src/checks/interface.js';
import { checkError, checkExit, checkOutput, errnosIn } from '../../../src/checks/output.js';
import { checkRoute } from '../../../src/checks/route.js';
import { checkSocket } from '../../../src/checks/socket.js';
import { checkTcpData } from '../../../src/checks/tcp-data.js';
import { checkTeardown } from '../../../src/checks/teardown.js';
import { checkUdp } from '../../../src/checks/udp.js';
import { checkWindow } from '../../../src/checks/window.js';
import { endProbeName, emptyObservations, type Observations, type ProgramObservation } from '../../../src/exercise/observations.js';
import { parseIpAddr } from '../../../src/observe/interfaces.js';
import { parseLsof } from '../../../src/observe/lsof.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { parseSs } from '../../../src/observe/sockets.js';
import { parseTraceroute } from '../../../src/observe/traceroute.js';
import { ROOT } from '../../helpers/cli.js';

const text = (dir: string, name: string): string => readFileSync(join(ROOT, 'test/fixtures', dir, name), 'utf8');
const pcap = (name: string) => decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap', name)));

/** The two containers of test/fixtures/pcap and test/fixtures/sockets, and the routed path of test/fixtures/probes. */
function base(): Observations {
  const obs = emptyObservations({
    server: ['10.77.251.10', 'fd00:7e57:77::10'],
    client: ['10.77.251.20', 'fd00:7e57:77::20'],
    other: ['10.77.251.30'],
    c: ['10.77.1.20'],
    r1: ['10.77.1.2', '10.77.2.2'],
    r2: ['10.77.2.3', '10.77.3.3'],
    s: ['10.77.3.10'],
    pc: ['10.77.250.20'],
  });
  obs.networks = { pc: { lan: '10.77.250.20' } };
  obs.declared = { '10.0.1.20': '10.77.250.20' };
  return obs;
}
function withCapture(name: string, file: string, obs = base()): Observations {
  obs.captures[name] = { node: 'server', packets: pcap(file) };
  return obs;
}
function program(out: Partial<ProgramObservation>): ProgramObservation {
  return { node: 'client', kind: 'program', stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, ...out };
}

describe('handshake', () => {
  it('passes a real handshake over IPv4 and IPv6, Ethernet and cooked captures', () => {
    for (const f of ['tcp-echo-eth.pcap', 'tcp-echo-any-sll.pcap', 'tcp-echo-any-sll2.pcap', 'tcp-echo-eth.pcapng']) {
      expect(checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9000 }, withCapture('w', f)).passed, f).toBe(true);
    }
    const v6 = checkHandshake(
      { capture: 'w', client: 'client', server: 'server', port: 9000, family: 6 },
      withCapture('w', 'ipv6-tcp-echo-eth.pcap'),
    );
    expect(v6.passed).toBe(true);
    expect(v6.evidence?.[0]).toMatch(/\[fd00:7e57:77::20\]:\d+ > \[fd00:7e57:77::10\]:9000 \[S\]/);
    expect(
      checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9000, family: 6 }, withCapture('w', 'tcp-echo-eth.pcap'))
        .passed,
    ).toBe(false);
  });

  it('fails a refused connection, a missing ACK, a wrong port and a failed capture, saying why', () => {
    expect(
      checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9001 }, withCapture('w', 'tcp-closed-port.pcap')).message,
    ).toMatch(/answered the SYN with RST — is it listening on port 9001/);
    expect(
      checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9000 }, withCapture('w', 'tcp-missing-ack.pcap')).message,
    ).toMatch(/never acknowledged the SYN-ACK/);
    expect(
      checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9999 }, withCapture('w', 'tcp-echo-eth.pcap')).message,
    ).toMatch(/SYN went to 10\.77\.251\.10 port 9000, not to server port 9999/);
    const obs = base();
    obs.captures.w = { node: 'server', packets: [], error: 'tcpdump could not start' };
    expect(checkHandshake({ capture: 'w', client: 'client', server: 'server', port: 9000 }, obs).message).toBe(
      'not judged: the capture `w` failed: tcpdump could not start',
    );
    expect(checkHandshake({ capture: 'x', client: 'client', server: 'server', port: 9000 }, base()).message).toMatch(
      /was not taken: an earlier step failed/,
    );
  });
});

describe('teardown', () => {
  it('sees who closed first and a clean close', () => {
    const obs = withCapture('w', 'tcp-echo-eth.pcap');
    expect(checkTeardown({ capture: 'w', initiator: 'client', port: 9000 }, obs)).toMatchObject({
      passed: true,
      message: expect.stringMatching(/\(client\) closed first/),
    });
    expect(checkTeardown({ capture: 'w', initiator: 'server', port: 9000 }, obs).message).toMatch(
      /the other side closed first: the first FIN came from 10\.77\.251\.20 \(client\), not from server/,
    );
    expect(checkTeardown({ capture: 'w', port: 9000 }, obs).passed).toBe(true);
    // The echo came back before the client's FIN: no half-close here.
    expect(checkTeardown({ capture: 'w', initiator: 'client', halfClose: false }, obs).passed).toBe(true);
    expect(checkTeardown({ capture: 'w', initiator: 'client', halfClose: true }, obs).message).toMatch(/no half-close/);
  });

  it('tells a reset from a close', () => {
    const obs = withCapture('w', 'tcp-reset-after-data.pcap');
    expect(checkTeardown({ capture: 'w', port: 9600 }, obs).message).toMatch(
      /reset by 10\.77\.251\.10 \(server\) \(RST\) instead of being closed with FIN/,
    );
    expect(checkTeardown({ capture: 'w', port: 9600, reset: 'required' }, obs).passed).toBe(true);
    expect(checkTeardown({ capture: 'w', port: 9000, reset: 'required' }, withCapture('w', 'tcp-echo-eth.pcap')).passed).toBe(false);
    expect(checkTeardown({ capture: 'w', initiator: 'client' }, withCapture('w', 'tcp-missing-ack.pcap')).message).toMatch(/no FIN at all/);
  });
});

describe('tcp-data', () => {
  it('reassembles each direction and sees an exact echo', () => {
    const obs = withCapture('w', 'tcp-echo-eth.pcap');
    const ok = checkTcpData(
      {
        capture: 'w',
        client: 'client',
        server: 'server',
        port: 9000,
        toServer: { bytes: 13, equals: 'hello toplab\n' },
        toClient: { contains: 'hello' },
        echo: true,
      },
      obs,
    );
    expect(ok.passed, ok.message).toBe(true);
    expect(
      checkTcpData({ capture: 'w', client: 'client', server: 'server', port: 9000, toServer: { minBytes: 100 } }, obs).message,
    ).toMatch(/only 13 bytes, expected at least 100/);
    expect(checkTcpData({ capture: 'w', client: 'client', server: 'server', port: 9000, toClient: { equals: 'bye\n' } }, obs).passed).toBe(
      false,
    );
    expect(
      checkTcpData({ capture: 'w', client: 'client', server: 'server', port: 9000, echo: true }, withCapture('w', 'ipv6-tcp-echo-eth.pcap'))
        .passed,
    ).toBe(true);
    // A refused connection carried no data: an echo of nothing is no echo.
    expect(
      checkTcpData({ capture: 'w', client: 'client', server: 'server', port: 9001, echo: true }, withCapture('w', 'tcp-closed-port.pcap'))
        .message,
    ).toMatch(/^the client's connection to server port 9001 was refused \(the SYN was answered with RST\)/);
    expect(
      checkTcpData({ capture: 'w', client: 'client', server: 'server', port: 9002, echo: true }, withCapture('w', 'tcp-echo-eth.pcap'))
        .message,
    ).toMatch(/no TCP connection/);
  });
});

describe('udp', () => {
  it('counts datagrams, compares payloads and sees echoes to the sender', () => {
    const obs = withCapture('w', 'udp-echo.pcap');
    const ok = checkUdp(
      {
        capture: 'w',
        from: 'client',
        to: 'server',
        port: 9002,
        count: 2,
        payloads: ['datagram 1\n', 'datagram 2\n'],
        echo: true,
        noTcp: true,
      },
      obs,
    );
    expect(ok.passed, ok.message).toBe(true);
    expect(checkUdp({ capture: 'w', from: 'client', to: 'server', port: 9002, count: 3 }, obs).message).toMatch(
      /2 datagram\(s\) from client to server, expected 3 \(were messages joined/,
    );
    expect(
      checkUdp({ capture: 'w', from: 'client', to: 'server', port: 9002, payloads: ['datagram 1\ndatagram 2\n'] }, obs).message,
    ).toMatch(/one message per datagram/);
    expect(checkUdp({ capture: 'w', from: 'client', to: 'server', port: 9003 }, obs).message).toMatch(
      /the first one went to 10\.77\.251\.10 port 9002/,
    );
    expect(
      checkUdp({ capture: 'w', from: 'client', to: 'server', port: 9000, noTcp: true }, withCapture('w', 'tcp-echo-eth.pcap')).passed,
    ).toBe(false);
  });

  it('fails an echo sent to the wrong port', () => {
    const obs = withCapture('w', 'udp-echo.pcap');
    const cap = obs.captures.w;
    const reply = cap?.packets.find((p) => p.udp?.srcPort === 9002);
    if (reply?.udp) reply.udp = { ...reply.udp, dstPort: 7777 };
    expect(checkUdp({ capture: 'w', from: 'client', to: 'server', port: 9002, echo: true }, obs).message).toMatch(
      /went to port 7777, not to the sender's port \d+/,
    );
  });
});

describe('icmp', () => {
  it('pairs echo requests (8) and replies (0) by id and seq, with count and size; ICMPv6 too', () => {
    const obs = withCapture('w', 'icmp-echo-nano.pcap');
    const ok = checkIcmp({ capture: 'w', echo: { from: 'client', to: 'server', count: 3, size: 100 } }, obs);
    expect(ok.passed, ok.message).toBe(true);
    expect(ok.evidence?.[0]).toMatch(/ICMP echo request id=\d+ seq=1 len=100/);
    expect(checkIcmp({ capture: 'w', echo: { from: 'client', to: 'server', count: 4 } }, obs).message).toMatch(
      /3 echo request\(s\), expected 4/,
    );
    expect(checkIcmp({ capture: 'w', echo: { from: 'client', to: 'server', size: 56 } }, obs).message).toMatch(
      /carry 100 bytes of data, expected 56/,
    );
    expect(checkIcmp({ capture: 'w', echo: { from: 'server', to: 'client' } }, obs).message).toMatch(
      /no echo request \(type 8\) from server to client in the capture; server sent type 0 to 10\.77\.251\.20 \(client\) instead/,
    );
    expect(
      checkIcmp(
        { capture: 'w', family: 6, echo: { from: 'client', to: 'server', count: 2, size: 56 } },
        withCapture('w', 'icmpv6-echo.pcap'),
      ).passed,
    ).toBe(true);
    expect(checkIcmp({ capture: 'w', echo: { from: 'client', to: 'server' } }, withCapture('w', 'icmpv6-echo.pcap', base())).passed).toBe(
      false,
    );
  });

  it('fails a request without its reply', () => {
    const obs = withCapture('w', 'icmp-echo-nano.pcap');
    const cap = obs.captures.w;
    if (cap) cap.packets = cap.packets.filter((p) => !(p.icmp?.type === 0 && p.icmp.seq === 2));
    expect(checkIcmp({ capture: 'w', echo: { from: 'client', to: 'server', count: 3 } }, obs).message).toMatch(
      /seq 2 got no echo reply \(type 0\)/,
    );
  });

  it('sees time-exceeded from each router of a real traceroute', () => {
    const obs = base();
    obs.captures.t = { node: 'c', packets: pcap('../probes/traceroute-3hops-icmp.pcap') };
    expect(checkIcmp({ capture: 't', timeExceeded: { from: ['r1', 'r2'], to: 'c' } }, obs)).toMatchObject({ passed: true });
    expect(checkIcmp({ capture: 't', timeExceeded: { from: ['r1', 'r2', 's'], to: 'c' } }, obs).message).toMatch(
      /no ICMP time-exceeded \(type 11\) to c from s/,
    );
  });
});

describe('route', () => {
  const obs = base();
  obs.probes.trace = { node: 'c', kind: 'traceroute', raw: '', traceroute: parseTraceroute(text('probes', 'traceroute-3hops.txt')) };
  obs.probes.lossy = {
    node: 'c',
    kind: 'traceroute',
    raw: '',
    traceroute: parseTraceroute(text('probes', 'traceroute-3hops-sequential.txt')),
  };
  obs.programs.cmd = program({ kind: 'command', stdout: text('probes', 'traceroute-3hops-names.txt') });
  it('passes the hops through the expected routers, from a probe or a command', () => {
    expect(checkRoute({ traceroute: 'trace', hops: ['r1', 'r2', 's'] }, obs)).toMatchObject({
      passed: true,
      message: 'the route goes r1 → r2 → s.',
    });
    expect(checkRoute({ traceroute: 'cmd', hops: ['r1', 'r2', 's'] }, obs).passed).toBe(true);
  });
  it('fails a wrong router, a silent hop and a missing one', () => {
    expect(checkRoute({ traceroute: 'trace', hops: ['r2', 'r1', 's'] }, obs).message).toBe(
      'hop 1 is 10.77.1.2 (r1), not r2: the route goes another way.',
    );
    expect(checkRoute({ traceroute: 'lossy', hops: ['r1', 'r2', 's'] }, obs).message).toMatch(/hop 3 did not answer/);
    expect(checkRoute({ traceroute: 'trace', hops: ['r1', 's'] }, obs).message).toMatch(/hop 2 is 10\.77\.2\.3 \(r2\), not s/);
  });
});

describe('socket', () => {
  const obs = base();
  obs.probes[endProbeName('server')] = {
    node: 'server',
    kind: 'sockets',
    raw: '',
    sockets: [...parseSs(text('sockets', 'server-ss-tanp.txt')), ...parseSs(text('sockets', 'server-ss-xanp.txt'))],
  };
  obs.probes.cli = { node: 'client', kind: 'sockets', raw: '', sockets: parseSs(text('sockets', 'client-ss-tanp.txt')) };
  obs.programs.server = program({ node: 'server', pid: 21 });
  obs.programs.other = program({ node: 'server', pid: 99 });
  it('finds listening, connected and unix sockets, their owners and peers', () => {
    expect(checkSocket({ node: 'server', tcp: 9000, state: 'LISTEN', program: 'server' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'server', probe: 'cli' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'client', tcp: 9000, state: 'TIME_WAIT', probe: 'cli' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'server', unix: '/tmp/echo.sock' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'server', unix: '/tmp/echo.sock', state: 'ESTABLISHED' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'server', tcp: 9999, absent: true }, obs).passed).toBe(true);
  });
  it('says what is wrong', () => {
    expect(checkSocket({ node: 'server', tcp: 9999 }, obs).message).toMatch(
      /no TCP socket on port 9999 in LISTEN in server: nothing is listening there/,
    );
    expect(checkSocket({ node: 'server', tcp: 9000, program: 'other' }, obs).message).toMatch(/does not belong to other \(pid 99\)/);
    expect(checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'other', probe: 'cli' }, obs).message).toMatch(
      /but not with other/,
    );
    expect(checkSocket({ node: 'server', unix: '/tmp/nope.sock' }, obs).passed).toBe(false);
    expect(checkSocket({ node: 'server', tcp: 9000, absent: true }, obs).message).toMatch(/still has/);
    expect(checkSocket({ node: 'nobody', tcp: 9000 }, obs).message).toMatch(/was not read: an earlier step failed/);
  });
});

describe('output, exit and error', () => {
  const obs = base();
  obs.programs.client = program({ stdout: 'hello\n', exitCode: 0 });
  obs.programs.refused = program({ stderr: text('probes', 'errno-econnrefused-uncaught.txt'), exitCode: 1 });
  obs.programs.busy = program({ stderr: text('probes', 'errno-eaddrinuse-handled.txt'), exitCode: 2 });
  obs.programs.nc = program({ stderr: text('probes', 'errno-nc-refused.txt'), exitCode: 1 });
  obs.programs.enoent = program({ stderr: text('probes', 'errno-enoent.txt'), exitCode: 1 });
  obs.programs.eacces = program({ stderr: text('probes', 'errno-eacces-uncaught.txt'), exitCode: 1 });
  obs.programs.emsgsize = program({ stderr: text('probes', 'errno-emsgsize.txt'), exitCode: 1 });
  obs.programs.ping = program({ stdout: text('probes', 'client-ping-emsgsize.txt'), exitCode: 1 });
  obs.programs.loops = program({ timedOut: true, stdout: 'x'.repeat(10), droppedBytes: 5_000_000 });
  obs.programs.broken = program({ error: 'client.ts does not compile' });
  it('output: equals, contains, matches, not, both', () => {
    expect(checkOutput({ program: 'client', equals: 'hello' }, obs).passed).toBe(true);
    expect(checkOutput({ program: 'client', equals: 'bye' }, obs).message).toBe(
      'client should print exactly "bye" on stdout, but printed "hello".',
    );
    expect(checkOutput({ program: 'busy', stream: 'stderr', contains: '9001' }, obs).passed).toBe(true);
    expect(checkOutput({ program: 'busy', stream: 'both', matches: '^cannot listen on port \\d+' }, obs).passed).toBe(true);
    expect(checkOutput({ program: 'client', stream: 'both', contains: 'Error', not: true }, obs).passed).toBe(true);
    expect(checkOutput({ program: 'refused', stream: 'both', contains: 'Error', not: true }, obs).message).toMatch(/should not print/);
    expect(checkOutput({ program: 'loops', equals: 'x' }, obs).evidence).toContain('(5000000 more bytes of output were counted, not kept)');
    expect(checkOutput({ program: 'broken', equals: 'x' }, obs).message).toBe('broken did not run: client.ts does not compile');
  });
  it('exit: a code, non-zero, timed out', () => {
    expect(checkExit({ program: 'client', code: 0 }, obs).passed).toBe(true);
    expect(checkExit({ program: 'busy', nonzero: true }, obs).passed).toBe(true);
    expect(checkExit({ program: 'client', nonzero: true }, obs).message).toMatch(/exited with code 0, but it should fail/);
    expect(checkExit({ program: 'busy', code: 0 }, obs).message).toBe('busy exited with code 2, expected 0.');
    expect(checkExit({ program: 'loops', code: 0 }, obs).message).toMatch(/did not finish in time/);
  });
  it('error: errno names and texts from real Node and C tool messages', () => {
    expect(checkError({ program: 'refused', errno: 'ECONNREFUSED' }, obs).passed).toBe(true);
    expect(checkError({ program: 'nc', errno: 'ECONNREFUSED' }, obs).passed).toBe(true);
    expect(checkError({ program: 'busy', errno: 'EADDRINUSE' }, obs).passed).toBe(true);
    expect(checkError({ program: 'enoent', errno: 'ENOENT' }, obs).passed).toBe(true);
    expect(checkError({ program: 'eacces', errno: 'EACCES' }, obs).passed).toBe(true);
    expect(checkError({ program: 'emsgsize', errno: 'EMSGSIZE' }, obs).passed).toBe(true);
    expect(checkError({ program: 'ping', errno: 'EMSGSIZE' }, obs).passed).toBe(true);
    expect(checkError({ program: 'enoent', errno: 'ECONNREFUSED' }, obs).message).toBe(
      'enoent failed with ENOENT, not ECONNREFUSED (Connection refused).',
    );
    expect(checkError({ program: 'client', errno: 'EADDRINUSE' }, obs).message).toMatch(/exited with code 0 and reported no error/);
    expect(errnosIn(text('probes', 'errno-eaddrinuse-uncaught.txt'))).toEqual(['EADDRINUSE']);
  });
});

describe('interface', () => {
  const obs = base();
  obs.probes[endProbeName('pc', 'interfaces')] = {
    node: 'pc',
    kind: 'interfaces',
    raw: '',
    interfaces: parseIpAddr(text('probes', 'client-ip-d-addr.txt')),
  };
  it('finds the interface on a network or by name; MTU, address, flags', () => {
    expect(checkInterface({ node: 'pc', network: 'lan', mtu: 1400, flags: ['UP', 'LOWER_UP'], address: '10.0.1.20' }, obs)).toMatchObject({
      passed: true,
    });
    expect(checkInterface({ node: 'pc', interface: 'lo', address: '127.0.0.1', mtu: 65536 }, obs).passed).toBe(true);
    expect(checkInterface({ node: 'pc', network: 'lan', mtu: 1500 }, obs).message).toBe("pc's eth0: its MTU is 1400, expected 1500.");
    expect(checkInterface({ node: 'pc', interface: 'eth1', mtu: 1500 }, obs).message).toMatch(/has no interface eth1 \(it has lo, eth0\)/);
    expect(checkInterface({ node: 'pc', interface: 'lo', flags: ['BROADCAST'] }, obs).message).toMatch(/lacks the flag\(s\) BROADCAST/);
  });
});

describe('window', () => {
  it('sees a zero window only when one was advertised', () => {
    const obs = withCapture('w', 'tcp-echo-eth.pcap');
    expect(checkWindow({ capture: 'w', from: 'server', port: 9000 }, obs).message).toMatch(
      /never advertised a zero window \(smallest: \d+\)/,
    );
    const cap = obs.captures.w;
    const seg = cap?.packets.find((p) => p.tcp && p.ip?.src === '10.77.251.10' && !p.tcp.flags.syn && !p.tcp.flags.rst);
    if (seg?.tcp) seg.tcp = { ...seg.tcp, window: 0 };
    expect(checkWindow({ capture: 'w', from: 'server', port: 9000 }, obs)).toMatchObject({ passed: true });
  });
});

describe('answer', () => {
  const obs = base();
  obs.probes.trace = { node: 'c', kind: 'traceroute', raw: '', traceroute: parseTraceroute(text('probes', 'traceroute-3hops.txt')) };
  obs.probes.holder = { node: 'server', kind: 'lsof', raw: '', lsof: parseLsof(text('probes', 'server-lsof-i.txt')) };
  obs.probes[endProbeName('server')] = {
    node: 'server',
    kind: 'sockets',
    raw: '',
    sockets: parseSs(text('sockets', 'server-ss-tanp.txt')),
  };
  obs.probes[endProbeName('pc', 'interfaces')] = {
    node: 'pc',
    kind: 'interfaces',
    raw: '',
    interfaces: parseIpAddr(text('probes', 'client-ip-addr.txt')),
  };
  const ncPid = parseLsof(text('probes', 'server-lsof-i.txt'))[0]?.pid ?? 0;
  obs.files['answers.txt'] = `# my answers\nhops: 3\nmtu = 1400\npid: ${ncPid}\ncommand: /usr/bin/nc -l -p 9000\naddr: 10.77.250.20\n`;
  obs.files['wrong.txt'] = 'hops: 2\nmtu: 1500\n';
  obs.programs.find = program({ kind: 'command', stdout: `${ncPid}\n` });
  it('compares answers with observed values', () => {
    expect(checkAnswer({ file: 'answers.txt', key: 'hops', expect: { hops: 'trace' } }, obs)).toMatchObject({
      passed: true,
      message: '"3" is right: it is the number of hops.',
    });
    expect(checkAnswer({ file: 'answers.txt', key: 'mtu', expect: { mtu: { node: 'pc', network: 'lan' } } }, obs).passed).toBe(true);
    expect(
      checkAnswer({ file: 'answers.txt', key: 'pid', expect: { pid: { node: 'server', tcp: 9000, probe: 'holder' } } }, obs).passed,
    ).toBe(true);
    expect(checkAnswer({ from: 'find', expect: { pid: { node: 'server', tcp: 9000, probe: 'holder' } } }, obs).passed).toBe(true);
    expect(
      checkAnswer({ file: 'answers.txt', key: 'command', expect: { command: { node: 'server', tcp: 9000, probe: 'holder' } } }, obs).passed,
    ).toBe(true);
    expect(checkAnswer({ file: 'answers.txt', key: 'pid', expect: { pid: { node: 'server', tcp: 9000 } } }, obs).message).toMatch(
      /is not the PID holding tcp port 9000/,
    );
    expect(checkAnswer({ file: 'answers.txt', key: 'addr', expect: { address: { node: 'pc', network: 'lan' } } }, obs).passed).toBe(true);
    expect(checkAnswer({ file: 'answers.txt', key: 'hops', expect: { value: 3 } }, obs).passed).toBe(true);
  });
  it('fails wrong, missing and empty answers', () => {
    expect(checkAnswer({ file: 'wrong.txt', key: 'hops', expect: { hops: 'trace' } }, obs).message).toBe(
      '"2" is not the number of hops in this run. Look again at the traceroute.',
    );
    expect(checkAnswer({ file: 'wrong.txt', key: 'mtu', expect: { mtu: { node: 'pc', network: 'lan' } } }, obs).passed).toBe(false);
    expect(checkAnswer({ file: 'wrong.txt', key: 'pid', expect: { value: 1 } }, obs).message).toBe('wrong.txt has no line `pid: <value>`.');
    expect(checkAnswer({ file: 'missing.txt', expect: { value: 1 } }, obs).message).toMatch(/missing from the submission/);
  });
});

describe('evaluateChecks', () => {
  it('fills in points, adds the hint to a failure, and caps evidence', () => {
    const obs = base();
    obs.programs.client = program({ stdout: 'hello\n', exitCode: 0 });
    const checks: CheckDef[] = [
      { id: 'a', points: 2, output: { program: 'client', equals: 'hello' } },
      { id: 'b', points: 3, title: 'B', hint: 'print bye', output: { program: 'client', equals: 'bye' } },
    ];
    const results = evaluateChecks(checks.map(resolveCheck), obs);
    expect(results.map((r) => [r.id, r.status, r.points, r.maxPoints])).toEqual([
      ['a', 'passed', 2, 2],
      ['b', 'failed', 0, 3],
    ]);
    expect(results[1]?.message).toMatch(/Hint: print bye$/);
    expect(results[1]?.title).toBe('B');
  });

  it('says a failure may come from packets the capture lost, and only for checks that read that capture', () => {
    // A real capture whose client FIN the kernel dropped (a full capture ring): the server acknowledged it
    // (ack 19 after 18 bytes), but the capture shows the server's FIN first.
    const obs = emptyObservations({ server: ['10.156.153.10'], client: ['10.156.153.20'] });
    obs.captures.wire = {
      node: 'server',
      packets: decodePcap(readFileSync(join(ROOT, 'test/fixtures/incidents/tcp-eof-lost-fin-any-sll2.pcap'))),
      dropped: 3,
    };
    obs.programs.client = program({ stdout: 'x\n', exitCode: 0 });
    const checks = (
      [
        { id: 'close', points: 1, teardown: { capture: 'wire', initiator: 'client', port: 9000 } },
        { id: 'out', points: 1, output: { program: 'client', equals: 'y' } },
        { id: 'hs', points: 1, handshake: { capture: 'wire', client: 'client', server: 'server', port: 9000 } },
      ] satisfies CheckDef[]
    ).map(resolveCheck);
    const [close, out, hs] = evaluateChecks(checks, obs);
    expect(close?.status).toBe('failed');
    expect(close?.message).toMatch(
      /^the other side closed first: the first FIN came from 10\.156\.153\.10 \(server\).*Note: the capture `wire` lost 3 packet\(s\) in the kernel/,
    );
    expect(out?.status).toBe('failed');
    expect(out?.message).not.toMatch(/lost/);
    expect(hs?.status).toBe('passed');
    expect(hs?.message).not.toMatch(/lost/);
    delete obs.captures.wire?.dropped;
    expect(evaluateChecks(checks, obs)[0]?.message).not.toMatch(/lost/);
  });
});
