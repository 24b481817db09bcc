// The common mistakes behind a refused connection, named from what the run observed (src/checks/listen-cause.ts),
// on real fixtures: a server listening on 127.0.0.1:9000 and [::1]:9001 only, on *:9003 (nothing on 9002) and
// on 0.0.0.0:9004 only, with the client's refused SYNs (scripts/capture-fixtures-mistakes.sh); a client that connected to the wrong
// port, as `lab grade` kept its output; a server that crashed, its trace source-mapped by Node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHandshake } from '../../../src/checks/handshake.js';
import { noListenerCause } from '../../../src/checks/listen-cause.js';
import { checkSocket } from '../../../src/checks/socket.js';
import { checkTeardown } from '../../../src/checks/teardown.js';
import { emptyObservations, endProbeName, type Observations, type ProgramObservation } from '../../../src/exercise/observations.js';
import { parseSocketsProbe } from '../../../src/exercise/socket-scope.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { ROOT } from '../../helpers/cli.js';

const fixture = (f: string): Buffer => readFileSync(join(ROOT, 'test/fixtures', f));
const serverTable = parseSocketsProbe(fixture('sockets/server-loopback-listeners-ss.txt').toString('utf8'));

function observed(): Observations {
  const obs = emptyObservations({ server: ['10.77.253.10', 'fd00:7e57:79::10'], client: ['10.77.253.20', 'fd00:7e57:79::20'] });
  obs.captures.wire = { node: 'server', packets: decodePcap(fixture('pcap/tcp-syn-to-loopback-listener.pcap')) };
  obs.probes[endProbeName('server')] = { node: 'server', kind: 'sockets', raw: '', sockets: serverTable };
  obs.probes['held-client'] = { node: 'client', kind: 'sockets', raw: '', sockets: [] };
  return obs;
}

function program(node: string, p: Partial<ProgramObservation>): ProgramObservation {
  return { node, kind: 'program', stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, ...p };
}

describe('a server listening on the loopback interface only', () => {
  it('handshake: the SYN to 10.77.253.10:9000 was refused because the server listens on 127.0.0.1:9000 only', () => {
    const v = checkHandshake({ capture: 'wire', client: 'client', server: 'server', port: 9000 }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'no SYN-ACK: the server answered the SYN with RST. server listens on 127.0.0.1:9000 only, the loopback interface, which only server itself can reach: a SYN to 10.77.253.10 from another node finds no socket listening there and is answered with RST; listen on 0.0.0.0 or :: (give listen() no host).',
    );
  });

  it('handshake over IPv6: [::1]:9001 only, and the SYN went to fd00:7e57:79::10', () => {
    const v = checkHandshake({ capture: 'wire', client: 'client', server: 'server', port: 9001, family: 6 }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toContain('server listens on [::1]:9001 only, the loopback interface');
    expect(v.message).toContain('a SYN to fd00:7e57:79::10 from another node');
  });

  it('socket ESTABLISHED on the server: its one socket on the port is the loopback listener, and the message says so', () => {
    const v = checkSocket({ node: 'server', tcp: 9000, state: 'ESTABLISHED', peer: 'client' }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'server has a TCP socket on port 9000, but in LISTEN, not ESTABLISHED. server listens on 127.0.0.1:9000 only, the loopback interface, which only server itself can reach: a SYN to 10.77.253.10 from another node finds no socket listening there and is answered with RST; listen on 0.0.0.0 or :: (give listen() no host).',
    );
  });

  it("socket ESTABLISHED on the client, its peer the server: the server's table gives the cause", () => {
    const v = checkSocket({ node: 'client', tcp: 9000, state: 'ESTABLISHED', peer: 'server', probe: 'held-client' }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toContain('no connection was open when the table was read. server listens on 127.0.0.1:9000 only');
  });

  it('teardown: the refused SYN closed nothing, and the cause is the loopback listener, not "nothing was listening"', () => {
    const v = checkTeardown({ capture: 'wire', port: 9000 }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'there was no connection to close: the SYN to 10.77.253.10 (server) port 9000 was refused with a RST from 10.77.253.10 (server) (no socket was listening on that address), so the connection was never opened. server listens on 127.0.0.1:9000 only, the loopback interface, which only server itself can reach: a SYN to 10.77.253.10 from another node finds no socket listening there and is answered with RST; listen on 0.0.0.0 or :: (give listen() no host).',
    );
  });

  it('handshake over IPv6 to a server listening on 0.0.0.0 only (IPv4): listen on ::', () => {
    const v = checkHandshake({ capture: 'wire', client: 'client', server: 'server', port: 9004, family: 6 }, observed());
    expect(v.message).toBe(
      "no SYN-ACK: the server answered the SYN with RST. server listens on 0.0.0.0:9004 only, IPv4's wildcard address: a SYN over IPv6 to fd00:7e57:79::10 finds no socket listening there and is answered with RST; listen on :: (give listen() no host), which takes IPv4 and IPv6.",
    );
  });

  it('socket LISTEN over IPv6 on 9004: an IPv4 listener on 0.0.0.0 is there, and the fix is ::, not a question about listen()', () => {
    const v = checkSocket({ node: 'server', tcp: 9004, family: 6 }, observed());
    expect(v.message).toBe(
      "no TCP socket on port 9004 in LISTEN in server. There is a TCP IPv4 socket on port 9004 in LISTEN, over IPv4 rather than IPv6. It is bound to 0.0.0.0, IPv4's wildcard address: listen on :: (give listen() no host), which takes IPv4 and IPv6.",
    );
  });

  it('a listener on a wildcard address, or on the address the SYN went to, is no such cause', () => {
    const obs = observed();
    expect(noListenerCause(obs, 'server', 9003, { dst: '10.77.253.10' })).toBeUndefined();
    expect(noListenerCause(obs, 'server', 9003, { dst: 'fd00:7e57:79::10' })).toBeUndefined();
    expect(noListenerCause(obs, 'server', 9004, { dst: '10.77.253.10' })).toBeUndefined();
    expect(noListenerCause(obs, 'server', 9000, { dst: '127.0.0.1' })).toBeUndefined();
  });
});

describe('nothing on the port, something on another', () => {
  it('handshake: the SYN to port 9002 was refused, and the server listens on 9004 and 9003 (wildcard listeners named first)', () => {
    const v = checkHandshake({ capture: 'wire', client: 'client', server: 'server', port: 9002 }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'no SYN-ACK: the server answered the SYN with RST: nothing listens on port 9002 in server; server listens on ports 9004, 9003, 9000 instead (0.0.0.0:9004 node pid 13, [::]:9003 node pid 13): is the port right?',
    );
  });

  it('socket LISTEN on 9002: nothing is listening there, and what listens instead', () => {
    const v = checkSocket({ node: 'server', tcp: 9002 }, observed());
    expect(v.passed).toBe(false);
    expect(v.message).toContain(
      'no TCP socket on port 9002 in LISTEN in server: nothing is listening there; server listens on ports 9004, 9003, 9000 instead',
    );
    expect(v.message).not.toContain('Does the server call listen()');
  });

  it("handshake: a client that connected to another port (its SYN outside the capture's filter) is named by its own error", () => {
    const obs = emptyObservations({ server: ['10.236.167.10'], client: ['10.236.167.20'] });
    obs.captures.wire = { node: 'server', packets: [] };
    obs.programs.client = program('client', {
      stderr: fixture('outputs/tcp-handshake-wrong-port-client.stderr').toString('utf8'),
      exitCode: 1,
    });
    const v = checkHandshake({ capture: 'wire', client: 'client', server: 'server', port: 9000 }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'no SYN from client to server port 9000 in the capture: client connected to 10.236.167.10 port 9001 instead (it printed "connection to server:9001 failed: connect ECONNREFUSED 10.236.167.10:9001"). Check the host and port it connects to.',
    );
  });
});

describe('a client that did not run', () => {
  it('handshake: no SYN, because the client did not compile (not "check the host and port")', () => {
    const obs = emptyObservations({ server: ['10.236.167.10'], client: ['10.236.167.20'] });
    obs.captures.wire = { node: 'server', packets: [] };
    obs.programs.client = program('client', { error: 'client.ts does not compile:\n  client.ts:4:25: Expected ")" but found ";"' });
    const v = checkHandshake({ capture: 'wire', client: 'client', server: 'server', port: 9000 }, obs);
    expect(v.message).toBe(
      'no SYN from client to server port 9000 in the capture: client did not run (client.ts does not compile: client.ts:4:25: Expected ")" but found ";").',
    );
  });
});

describe('a server that crashed', () => {
  it('socket LISTEN: nothing is listening because the program had exited, with its error and where in server.ts', () => {
    const obs = observed();
    obs.probes[endProbeName('server')] = { node: 'server', kind: 'sockets', raw: '', sockets: [] };
    obs.programs.server = program('server', {
      stderr: fixture('outputs/node-typeerror-source-mapped.stderr').toString('utf8'),
      exitCode: 1,
    });
    const v = checkSocket({ node: 'server', tcp: 9000 }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      `no TCP socket on port 9000 in LISTEN in server: nothing is listening there; the program server had exited with code 1, after printing "TypeError: Cannot read properties of undefined (reading 'text') (at server.ts:10:33)".`,
    );
  });

  it('socket LISTEN on a unix path: the server had exited on EADDRINUSE (a stale socket file), and the message says so', () => {
    const obs = observed();
    obs.programs.server = program('server', { stderr: fixture('outputs/node-unix-eaddrinuse.stderr').toString('utf8'), exitCode: 1 });
    expect(checkSocket({ node: 'server', unix: '/tmp/echo.sock' }, obs).message).toBe(
      'no unix socket on /tmp/echo.sock in LISTEN in server: nothing is listening there; the program server had exited with code 1, after printing "Error: listen EADDRINUSE: address already in use /tmp/echo.sock".',
    );
  });

  it('a server still running with nothing listening keeps the question about listen()', () => {
    const obs = observed();
    obs.probes[endProbeName('server')] = { node: 'server', kind: 'sockets', raw: '', sockets: [] };
    obs.programs.server = program('server', { running: true });
    expect(checkSocket({ node: 'server', tcp: 9000 }, obs).message).toBe(
      'no TCP socket on port 9000 in LISTEN in server: nothing is listening there. Does the server call listen() on that port?',
    );
  });
});
