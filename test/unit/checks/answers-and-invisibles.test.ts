// Texts a student compares by eye: a difference that does not print (a BOM, a zero-width space, a no-break
// space) is written visibly; answers typed with a Chinese input method (full-width colon and digits, an
// ideographic space) are read as what they mean; a wrong answer is never told the right one.
import { describe, expect, it } from 'vitest';
import { answerValue, checkAnswer, normalizeAnswer } from '../../../src/checks/answer.js';
import { show, visible } from '../../../src/checks/observed.js';
import { checkOutput } from '../../../src/checks/output.js';
import { checkUdp } from '../../../src/checks/udp.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import { withCapture } from '../../helpers/observations.js';

function printed(stdout: string): Observations {
  return {
    ...emptyObservations(),
    programs: {
      client: { node: 'client', kind: 'program', stdout, stderr: '', exitCode: 0, timedOut: false, running: false, droppedBytes: 0 },
    },
  };
}

describe('invisible differences are shown', () => {
  it.each([
    ['a BOM', '\ufeffhello\n', '"\\ufeffhello"'],
    ['a zero-width space', 'hel\u200blo\n', '"hel\\u200blo"'],
    ['a no-break space', 'hello\u00a0\n', '"hello\\u00a0"'],
    ['an ideographic space', '\u3000hello\n', '"\\u3000hello"'],
    ['a line separator', 'hel\u2028lo\n', '"hel\\u2028lo"'],
  ])('%s', (_, stdout, shown) => {
    const v = checkOutput({ program: 'client', equals: 'hello' }, printed(stdout));
    expect(v.passed).toBe(false);
    expect(v.message).toBe(`client should print exactly "hello" on stdout, but printed ${shown}.`);
  });

  it('leaves visible text alone: plain spaces, Chinese, emoji', () => {
    expect(visible('a b 你好 ☃')).toBe('"a b 你好 ☃"');
    expect(show('\u{10ffff}x')).toBe('"\\u{10ffff}x"');
  });

  it('in UDP payloads too', () => {
    const obs = withCapture('udp-echo.pcap');
    const v = checkUdp(
      { capture: 'wire', from: 'client', to: 'server', port: 9002, payloads: ['datagram 1\u200b\n', 'datagram 2\n'] },
      obs,
    );
    expect(v.message).toContain('the payloads were ["datagram 1\\n", "datagram 2\\n"], expected ["datagram 1\\u200b\\n", "datagram 2\\n"]');
  });
});

describe('answers typed with a Chinese input method', () => {
  it('are normalised (NFKC) before they are read and compared', () => {
    expect(normalizeAnswer('ｍｔｕ：１５００')).toBe('mtu:1500');
    expect(answerValue('hops：３\n', 'hops')).toBe('3');
    expect(answerValue('mtu\u3000＝\u3000１４００\n', 'mtu')).toBe('1400');
    expect(answerValue('\ufeff９７２', undefined)).toBe('972');
  });

  it('a value in quotes is read without them: the curly quotes of a Chinese input method, or plain ones', () => {
    expect(answerValue('first-fin： “client2”\n', 'first-fin')).toBe('client2');
    expect(answerValue('mss: "1360"\n', 'mss')).toBe('1360');
    expect(answerValue("who = 'server'\n", 'who')).toBe('server');
    expect(answerValue('“９７２”', undefined)).toBe('972');
    // Only one enclosing pair: quotes inside a value stay.
    expect(answerValue('cmd: "a" or "b"\n', 'cmd')).toBe('"a" or "b"');
    const quoted: Observations = { ...emptyObservations(), files: { 'answers.txt': 'size：“９７２”\n' } };
    expect(checkAnswer({ file: 'answers.txt', key: 'size', expect: { value: 972 } }, quoted)).toMatchObject({ passed: true });
  });

  it("a starter's blank line is not the answer: a later line with a value is, and an empty one says so", () => {
    expect(answerValue('mss:\nfirst-fin:\n\nmss: 1360\n', 'mss')).toBe('1360');
    expect(answerValue('mss:\n', 'mss')).toBe('');
    expect(answerValue('first-fin: x\n', 'mss')).toBeUndefined();
    const blank: Observations = { ...emptyObservations(), files: { 'answers.txt': 'size:\n' } };
    expect(checkAnswer({ file: 'answers.txt', key: 'size', expect: { value: 972 } }, blank).message).toBe(
      'answers.txt has `size:` with no value after it: write your answer there.',
    );
    expect(checkAnswer({ file: 'answers.txt', key: 'other', expect: { value: 972 } }, blank).message).toBe(
      'answers.txt has no line `other: <value>`.',
    );
  });

  const obs: Observations = { ...emptyObservations(), files: { 'answers.txt': 'size：９７２\ncommand：ｎｃ\u3000-l\nwrong：９７１\n' } };
  it('a full-width answer is right when its value is', () => {
    expect(checkAnswer({ file: 'answers.txt', key: 'size', expect: { value: 972 } }, obs)).toMatchObject({ passed: true });
    expect(checkAnswer({ file: 'answers.txt', key: 'command', expect: { value: 'nc -l' } }, obs)).toMatchObject({ passed: true });
  });

  it('a wrong answer is not told the right one', () => {
    const v = checkAnswer({ file: 'answers.txt', key: 'wrong', expect: { value: 972 } }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toBe('"971" is not the expected answer in this run. Look again.');
    expect(JSON.stringify(v)).not.toContain('972');
  });
});
