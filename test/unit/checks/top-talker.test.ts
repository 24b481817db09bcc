import { describe, expect, it } from 'vitest';
import { answerValue } from '../../../src/checks/answer.js';
import { checkTopTalker, parseRate, talkers } from '../../../src/checks/top-talker.js';
import type { TopTalkerCheck } from '../../../src/lab/model.js';
import { withCapture } from '../../helpers/observations.js';

describe('rates as people and tools write them', () => {
  it("reads bits and bytes, decimal and binary prefixes, iftop's short forms", () => {
    expect(parseRate('7.2Mb')).toBe(900_000);
    expect(parseRate('7.2 Mbit/s')).toBe(900_000);
    expect(parseRate('7.2Mbps')).toBe(900_000);
    expect(parseRate('900 KB/s')).toBe(900_000);
    expect(parseRate('900kB')).toBe(900_000);
    expect(parseRate('1 MiB/s')).toBe(1024 * 1024);
    expect(parseRate('731438 B/s')).toBe(731_438);
    expect(parseRate('5,000 bytes/sec')).toBe(5000);
    expect(parseRate('７．２　Ｍｂ')).toBe(900_000);
  });

  it('wants a unit', () => {
    expect(parseRate('900000')).toBeUndefined();
    expect(parseRate('fast')).toBeUndefined();
    expect(parseRate('9 MHz')).toBeUndefined();
  });
});

describe('an empty answer line', () => {
  it('is empty, not the next line', () => {
    expect(answerValue('top:\nrate: 5 MB/s\n', 'top')).toBe('');
    expect(answerValue('top: alpha\nrate: 5 MB/s\n', 'rate')).toBe('5 MB/s');
  });
});

describe('top-talker on a real capture (tcp-echo-any-sll: the client sends 6 bytes to port 9000)', () => {
  const spec = (measure: 'host' | 'rate', key: string): TopTalkerCheck => ({
    from: 'find',
    key,
    measure,
    capture: 'wire',
    server: 'server',
    port: 9000,
    clients: ['client'],
  });
  const obs = (stdout: string) => ({
    ...withCapture('tcp-echo-any-sll.pcap'),
    programs: {
      find: { node: 'server', kind: 'command' as const, stdout, stderr: '', timedOut: false, running: false, droppedBytes: 0, exitCode: 0 },
    },
  });

  it("measures IP bytes from each client over the capture's span", () => {
    const list = talkers(obs(''), 'wire', 'server', 9000, ['client']);
    expect(Array.isArray(list)).toBe(true);
    const [t] = list as { node: string; bytes: number; rate: number }[];
    expect(t?.node).toBe('client');
    // SYN 60, ACK 52, data 58, ACK 52, FIN 52, ACK 52 (IPv4 total lengths, with TCP timestamps)
    expect(t?.bytes).toBeGreaterThan(200);
  });

  it('takes a name or the address in any printed form, and a rate within the tolerance', () => {
    const list = talkers(obs(''), 'wire', 'server', 9000, ['client']) as { rate: number }[];
    const rate = Math.round(list[0]?.rate ?? 0);
    expect(checkTopTalker(spec('host', 'top'), obs('top: client\n')).passed).toBe(true);
    expect(checkTopTalker(spec('host', 'top'), obs('top: [::ffff:10.77.251.20]\n')).passed).toBe(true);
    expect(checkTopTalker(spec('host', 'top'), obs('top: [::ffff:10.77.251.20]:20001\n')).passed).toBe(true);
    expect(checkTopTalker(spec('host', 'top'), obs('top: 10.77.251.20:20001\n')).passed).toBe(true);
    expect(checkTopTalker(spec('host', 'top'), obs('top: server\n')).message).toBe(
      '"server" is none of the clients (client) or their addresses.',
    );
    expect(checkTopTalker(spec('rate', 'rate'), obs(`rate: ${rate} B/s\n`)).passed).toBe(true);
    expect(checkTopTalker(spec('rate', 'rate'), obs(`rate: ${rate * 8} B/s\n`)).message).toMatch(/about 8 times too much: bits/);
    expect(checkTopTalker(spec('rate', 'rate'), obs(`rate: ${rate}\n`)).message).toMatch(/is not a rate with its unit/);
  });
});
