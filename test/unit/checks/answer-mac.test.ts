// `answer` with `expect: { mac }`: a MAC address a student reads from a node's neighbour table (ARP / NDP),
// compared with what a neighbours probe of the same run read (test/fixtures/probes/client-ip-neigh*.txt,
// read in a lab-image container: 10.77.1.20 is the neighbour, 10.77.1.99 an address nobody holds).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAnswer } from '../../../src/checks/answer.js';
import { probeOf } from '../../../src/checks/observed.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import { parseIpNeigh } from '../../../src/observe/neighbours.js';
import { ROOT } from '../../helpers/cli.js';

const fixture = (name: string): string => readFileSync(join(ROOT, 'test/fixtures/probes', name), 'utf8');

function observations(table: string): Observations {
  const obs = emptyObservations({
    client: ['10.77.1.10', 'fd77:0:0:1::10'],
    server: ['10.77.1.20', 'fd77:0:0:1::20'],
    ghost: ['10.77.1.99'],
  });
  obs.networks = { client: { lan: '10.77.1.10' }, server: { lan: '10.77.1.20' }, ghost: { lan: '10.77.1.99' } };
  const raw = fixture(table);
  obs.probes['arp'] = { node: 'client', kind: 'neighbours', raw, neighbours: parseIpNeigh(raw) };
  return obs;
}

const asked = (answer: string, of = 'server', table = 'client-ip-neigh.txt') => {
  const obs = observations(table);
  obs.files['answers.txt'] = `mac: ${answer}\n`;
  return checkAnswer({ file: 'answers.txt', key: 'mac', expect: { mac: { node: 'client', of, probe: 'arp' } } }, obs);
};

describe('answer: the MAC address a node resolved for another', () => {
  it("passes the neighbour's MAC address however it is written", () => {
    for (const a of ['02:42:0a:4d:01:14', '02:42:0A:4D:01:14', '02-42-0A-4D-01-14', '0242.0a4d.0114'])
      expect(asked(a).passed, a).toBe(true);
  });

  it("fails another node's or a made-up one, without showing the right one", () => {
    const v = asked('02:00:00:00:00:50');
    expect(v.passed).toBe(false);
    expect(v.message).not.toContain('02:42:0a:4d:01:14');
    expect(v.message).toContain('ip neigh');
    expect(asked('02:42:0a:4d:01').passed).toBe(false);
  });

  it('reads a STALE entry too (the table 45 s later): the address is still the one the node resolved', () => {
    expect(asked('02:42:0a:4d:01:14', 'server', 'client-ip-neigh-later.txt').passed).toBe(true);
  });

  it('says why when the node could not resolve the address (INCOMPLETE, then FAILED) or never asked', () => {
    expect(asked('00:00:00:00:00:00', 'ghost').message).toBe(
      "client's neighbour table has no MAC address for ghost (10.77.1.99 is INCOMPLETE): client could not resolve it.",
    );
    expect(asked('00:00:00:00:00:00', 'ghost', 'client-ip-neigh-later.txt').message).toContain('10.77.1.99 is FAILED');
    const obs = observations('client-ip-neigh.txt');
    obs.files['answers.txt'] = 'mac: 02:42:0a:4d:01:0a\n';
    expect(
      checkAnswer({ file: 'answers.txt', key: 'mac', expect: { mac: { node: 'client', of: 'client', probe: 'arp' } } }, obs).message,
    ).toBe(
      "client's neighbour table (probe `arp`) has no entry for client: client had not sent to it (on that network) when the probe was taken.",
    );
  });

  it('names the table it could not read, as each probe kind calls it', () => {
    const obs = emptyObservations();
    expect(
      checkAnswer({ file: 'a.txt', expect: { mac: { node: 'client', of: 'server', probe: 'arp' } } }, { ...obs, files: { 'a.txt': 'x' } })
        .message,
    ).toBe('the neighbour table of client (probe `arp`) was not read: an earlier step failed.');
    expect(probeOf(obs, undefined, 'server', 'sockets')).toEqual({
      passed: false,
      message: 'the socket table of server was not read: an earlier step failed.',
    });
    obs.probes['i'] = { node: 'server', kind: 'interfaces', raw: '', error: 'timed out' };
    expect(probeOf(obs, 'i', 'server', 'interfaces')).toEqual({
      passed: false,
      unobserved: true,
      message: 'not judged: could not read the interfaces of server: timed out',
    });
  });
});
