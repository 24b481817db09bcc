import { describe, expect, it } from 'vitest';
import { checkProcIo, parseBytes, parseProcIo } from '../../../src/checks/proc-io.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import type { ProcIoCheck } from '../../../src/lab/model.js';
import { fixture } from '../../helpers/observations.js';

// /proc/<pid>/io of the copies lab's reference server, read from its observer before and after one 4 MiB
// read() + write() transfer (`lab grade copies`, saved from the run's results folder).
const BEFORE = fixture('proc-io/copies-readwrite-before.txt').toString();
const AFTER = fixture('proc-io/copies-readwrite-after.txt').toString();

function obs(answers: string, after = AFTER): Observations {
  const cmd = (stdout: string) => ({
    node: 'server',
    kind: 'command' as const,
    stdout,
    stderr: '',
    timedOut: false,
    running: false,
    droppedBytes: 0,
    exitCode: 0,
  });
  return { ...emptyObservations(), programs: { before: cmd(BEFORE), after: cmd(after) }, files: { 'answers.txt': answers } };
}
const spec = (key: string, counters: ProcIoCheck['counters'], per?: number): ProcIoCheck => ({
  file: 'answers.txt',
  key,
  before: 'before',
  after: 'after',
  counters,
  ...(per ? { per } : {}),
});

describe('/proc/<pid>/io', () => {
  it('reads the counters', () => {
    expect(parseProcIo(BEFORE)).toMatchObject({ rchar: 946166, wchar: 70, syscr: 279, syscw: 3 });
    expect(parseProcIo('cat: /proc/1/io: No such file or directory')).toBeUndefined();
  });

  it('reads byte counts as people write them', () => {
    expect(parseBytes('4194304')).toBe(4194304);
    expect(parseBytes('4 MiB')).toBe(4194304);
    expect(parseBytes('4,194,304 bytes')).toBe(4194304);
    expect(parseBytes('４１９４３０４')).toBe(4194304);
    expect(parseBytes('lots')).toBeUndefined();
  });
});

describe('proc-io check', () => {
  it("compares a byte answer with a counter's growth, within 10%", () => {
    expect(checkProcIo(spec('read', ['rchar']), obs('read: 4 MiB\n')).passed).toBe(true);
    const v = checkProcIo(spec('read', ['rchar']), obs('read: 8388608\n'));
    expect(v.message).toBe('"8388608" is not within ±10% of what this run measured (rchar in /proc/<pid>/io).');
    // A wrong answer is never shown what was measured: that would be the answer.
    expect(JSON.stringify(v)).not.toMatch(/4194824/);
  });

  it("counts copies: the growth of rchar + wchar over the file's size, rounded", () => {
    expect(checkProcIo(spec('copies', ['rchar', 'wchar'], 4194304), obs('copies: 2\n')).passed).toBe(true);
    expect(checkProcIo(spec('copies', ['rchar', 'wchar'], 4194304), obs('copies: “２”\n')).passed).toBe(true);
    const v = checkProcIo(spec('copies', ['rchar', 'wchar'], 4194304), obs('copies: 0\n'));
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(/count how many times each byte crossed between the kernel and user space/);
    expect(JSON.stringify(v)).not.toMatch(/\b2(\.00)? ×|crossed 2|is 2\b/);
  });

  it('says so when a reading is missing', () => {
    expect(checkProcIo(spec('copies', ['rchar'], 4194304), obs('copies: 2\n', 'cat: /proc//io: No such file')).message).toMatch(
      /^after printed no \/proc\/<pid>\/io counters/,
    );
    expect(checkProcIo(spec('copies', ['rchar'], 4194304), obs('')).message).toBe('answers.txt has no line `copies: <value>`.');
    // The starter's blank line: the line is there, its value is not.
    expect(checkProcIo(spec('copies', ['rchar'], 4194304), obs('copies:\n')).message).toBe(
      'answers.txt has `copies:` with no value after it: write your answer there.',
    );
  });
});
