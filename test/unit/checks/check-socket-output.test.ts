import { describe, expect, it } from 'vitest';
import { checkExit, checkOutput } from '../../../src/checks/output.js';
import { checkSocket } from '../../../src/checks/socket.js';
import { emptyObservations, endProbeName, type Observations } from '../../../src/exercise/observations.js';
import { parseSs } from '../../../src/observe/sockets.js';
import { fixture } from '../../helpers/observations.js';

function withSockets(file: string): Observations {
  const raw = fixture(`sockets/${file}`).toString();
  return { ...emptyObservations(), probes: { [endProbeName('server')]: { node: 'server', kind: 'sockets', raw, sockets: parseSs(raw) } } };
}

describe('socket check on a real ss -tanp table', () => {
  const obs = withSockets('server-ss-tanp.txt');

  it('finds the listening socket and names its program', () => {
    const v = checkSocket({ node: 'server', tcp: 9000, state: 'LISTEN' }, obs);
    expect(v.passed).toBe(true);
    expect(v.evidence?.[0]).toBe('tcp LISTEN 0.0.0.0:9000 (node pid 21)');
  });

  it('accepts ss and netstat spellings of a state', () => {
    expect(checkSocket({ node: 'server', tcp: 9000, state: 'ESTABLISHED' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'server', tcp: 9200, state: 'time-wait' }, obs).passed).toBe(true);
    expect(checkSocket({ node: 'server', tcp: 9400, state: 'CLOSE_WAIT' }, obs).passed).toBe(true);
  });

  it('fails a port nothing listens on, and says what listens on other ports', () => {
    expect(checkSocket({ node: 'server', tcp: 9100, state: 'LISTEN' }, obs).passed).toBe(true);
    const v = checkSocket({ node: 'server', tcp: 9101, state: 'LISTEN' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'no TCP socket on port 9101 in LISTEN in server: nothing is listening there; server listens on ports 9200, 9000, 9600 instead (0.0.0.0:9200 node pid 21, 0.0.0.0:9000 node pid 21): is the port right?',
    );
  });

  it('fails a port in another state, showing what it is in', () => {
    const v = checkSocket({ node: 'server', tcp: 9200, state: 'ESTABLISHED' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe('server has a TCP socket on port 9200, but in LISTEN, TIME_WAIT, not ESTABLISHED.');
    expect(v.evidence).toEqual(['tcp LISTEN 0.0.0.0:9200 (node pid 21)', 'tcp TIME_WAIT 10.77.251.10:9200 -> 10.77.251.20:20003']);
  });

  it('fails when the table could not be read', () => {
    const v = checkSocket({ node: 'client', tcp: 9000, state: 'LISTEN' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toContain('was not read');
  });
});

describe('output and exit checks', () => {
  const obs: Observations = {
    ...emptyObservations(),
    programs: {
      client: {
        node: 'client',
        kind: 'program',
        stdout: 'hello\n',
        stderr: '',
        exitCode: 0,
        timedOut: false,
        running: false,
        droppedBytes: 0,
      },
      broken: {
        node: 'client',
        kind: 'program',
        stdout: '',
        stderr: 'connect ECONNREFUSED 10.0.1.10:9000\n',
        exitCode: 1,
        timedOut: false,
        running: false,
        droppedBytes: 0,
      },
      hung: { node: 'client', kind: 'program', stdout: '', stderr: '', timedOut: true, running: false, droppedBytes: 0 },
    },
  };

  it('compares exactly, ignoring one trailing newline', () => {
    expect(checkOutput({ program: 'client', equals: 'hello' }, obs).passed).toBe(true);
    const v = checkOutput({ program: 'client', equals: 'hello!' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe('client should print exactly "hello!" on stdout, but printed "hello".');
  });

  it('says what a failing program printed on stderr', () => {
    const v = checkOutput({ program: 'broken', equals: 'hello' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe('broken should print exactly "hello" on stdout, but printed nothing.');
    expect(v.evidence).toContain('broken stderr: "connect ECONNREFUSED 10.0.1.10:9000"');
  });

  it('supports contains and matches on either stream', () => {
    expect(checkOutput({ program: 'broken', stream: 'stderr', contains: 'ECONNREFUSED' }, obs).passed).toBe(true);
    expect(checkOutput({ program: 'broken', stream: 'stderr', matches: '^connect E[A-Z]+' }, obs).passed).toBe(true);
    expect(checkOutput({ program: 'client', matches: '^bye' }, obs).passed).toBe(false);
  });

  it('checks exit codes, and a program that never finished has none', () => {
    expect(checkExit({ program: 'client', code: 0 }, obs).passed).toBe(true);
    expect(checkExit({ program: 'broken', code: 0 }, obs).message).toBe('broken exited with code 1, expected 0.');
    expect(checkExit({ program: 'hung', code: 0 }, obs).message).toBe(
      'hung did not finish in time, so it has no exit code (expected code 0).',
    );
    expect(checkExit({ program: 'absent', code: 0 }, obs).message).toBe('absent did not run: an earlier step failed.');
  });
});
