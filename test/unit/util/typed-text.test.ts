// Answers written with a Chinese input method (full-width digits, colons, spaces, commas, “curly” quotes)
// read as the same answers everywhere answers are read: answer files, answer checks, capture answers,
// /proc/<pid>/io answers, rates, a program's reported fields, and the tcpdump command file. An integer may
// be written with digit groups (1,500); a malformed group (1,5) is not taken for a number.
import { describe, expect, it } from 'vitest';
import { checkAnswer } from '../../../src/checks/answer.js';
import { checkCaptureAnswer, checkTcpdumpCommand } from '../../../src/checks/capture-match.js';
import { parseBytes } from '../../../src/checks/proc-io.js';
import { parseRate } from '../../../src/checks/top-talker.js';
import { compareField } from '../../../src/checks/sockaddr.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import { parseTcpdumpCommand } from '../../../src/exercise/tcpdump-command.js';
import { joinDigitGroups, normalizeTyped, typedInteger } from '../../../src/util/typed-text.js';
import { withCapture } from '../../helpers/observations.js';

describe('normalizeTyped', () => {
  it("reads a Chinese input method's punctuation as ASCII", () => {
    expect(normalizeTyped('“tcp port 9000”')).toBe('"tcp port 9000"');
    expect(normalizeTyped('‘host server’')).toBe("'host server'");
    expect(normalizeTyped('ｍｔｕ：１，５００。')).toBe('mtu:1,500.');
    expect(normalizeTyped('４、２\u3000ＭｉＢ')).toBe('4,2 MiB');
    expect(normalizeTyped('\ufeff−３')).toBe('-3');
  });

  it('joins digit groups of an integer, and only well-formed ones', () => {
    expect(typedInteger('1,500')).toBe(1500);
    expect(typedInteger('１，５００')).toBe(1500);
    expect(typedInteger(' 4,194,304 ')).toBe(4194304);
    expect(typedInteger('1 500')).toBe(1500);
    expect(typedInteger('1,5')).toBeUndefined();
    expect(typedInteger('12,345,67')).toBeUndefined();
    expect(typedInteger('1500 bytes')).toBeUndefined();
    expect(joinDigitGroups('10.0.1.20')).toBe('10.0.1.20');
    expect(joinDigitGroups('0.123,456')).toBe('0.123,456');
  });
});

describe('every answer reader takes the same answers', () => {
  const files = (f: Record<string, string>): Observations => ({ ...emptyObservations(), files: f });

  it('an answer check: 1,500 is 1500; 1,5 is not', () => {
    const obs = files({ 'answers.txt': 'mtu: 1,500\nsize：１，５００\nodd: 1,5\n' });
    expect(checkAnswer({ file: 'answers.txt', key: 'mtu', expect: { value: 1500 } }, obs).passed).toBe(true);
    expect(checkAnswer({ file: 'answers.txt', key: 'size', expect: { value: 1500 } }, obs).passed).toBe(true);
    expect(checkAnswer({ file: 'answers.txt', key: 'odd', expect: { value: 15 } }, obs).passed).toBe(false);
    expect(checkAnswer({ file: 'answers.txt', key: 'odd', expect: { value: 1.5 } }, obs).passed).toBe(false);
  });

  it('a capture answer: the MSS written 1,460 or with full-width digits and a full-width comma', () => {
    const o: Observations = { ...withCapture('tcp-echo-any-sll.pcap'), files: { 'answers.txt': 'mss: 1,460\nmss2：１，４６０\n' } };
    const spec = { file: 'answers.txt', capture: 'wire', value: 'mss' as const, client: 'client', server: 'server', port: 9000 };
    const a = checkCaptureAnswer({ ...spec, key: 'mss' }, o);
    const b = checkCaptureAnswer({ ...spec, key: 'mss2' }, o);
    expect(a.evidence?.[1]).toBe('observed: 1460');
    expect(a.passed).toBe(true);
    expect(b.passed).toBe(true);
  });

  it('bytes and rates', () => {
    expect(parseBytes('４，１９４，３０４ bytes')).toBe(4194304);
    expect(parseBytes('4,1943,04')).toBeUndefined();
    expect(parseRate('５７４，０００ Ｂ／ｓ')).toBe(574000);
  });

  it('a reported port', () => {
    const peer = {
      family: 4 as const,
      address: '10.0.1.20',
      port: 51234,
      portHostOrder: 8904,
      portBytes: [0xc8, 0x22] as [number, number],
      addressBytes: [10, 0, 1, 20],
    };
    expect(compareField('port', '５１，２３４', peer).passed).toBe(true);
    expect(compareField('port', '51234', peer).passed).toBe(true);
  });

  it("the tcpdump command file, with a Chinese input method's quotes", () => {
    const c = parseTcpdumpCommand('tcpdump -i any -nn “tcp port 9000 and host client2”\n');
    expect(c.filter).toEqual(['tcp port 9000 and host client2']);
    expect(parseTcpdumpCommand('tcpdump -nn ‘tcp[tcpflags] & tcp-fin != 0’').filter).toEqual(['tcp[tcpflags] & tcp-fin != 0']);
    expect(
      checkTcpdumpCommand({ file: 'capture.txt', numeric: true }, files({ 'capture.txt': 'tcpdump －i any －nn “port 9000”' })).passed,
    ).toBe(true);
  });
});
