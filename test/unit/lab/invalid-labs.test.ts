import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, LabValidationError } from '../../../src/errors.js';
import { loadLab, parseLabText } from '../../../src/lab/load.js';

const CORPUS = join(import.meta.dirname, '..', '..', 'fixtures', 'invalid-labs');

/** The problems a lab file produces, each as `lab.yaml:line:col: path: message`. */
function problems(file: string, text?: string): string[] {
  try {
    if (text === undefined) loadLab(file);
    else parseLabText(text, file);
  } catch (e) {
    if (!(e instanceof LabValidationError)) throw e;
    return e.problems.map((p) => formatProblem({ ...p, file: 'lab.yaml' }));
  }
  return [];
}

const cases = readdirSync(CORPUS)
  .filter((d) => statSync(join(CORPUS, d)).isDirectory())
  .sort();

describe('the invalid-lab corpus', () => {
  it('has at least 30 cases, each with its expected errors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    for (const c of cases) expect(existsSync(join(CORPUS, c, 'expected.txt')), c).toBe(true);
  });

  for (const c of cases) {
    it(c, () => {
      const file = join(CORPUS, c, 'lab.yaml');
      const got = problems(file);
      const expectedFile = join(CORPUS, c, 'expected.txt');
      if (process.env.TOPLAB_UPDATE_CORPUS && !existsSync(expectedFile)) writeFileSync(expectedFile, got.join('\n') + '\n');
      const expected = readFileSync(expectedFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '');
      expect(got).toEqual(expected);
    });
  }

  it('rejects a file over 256 KiB before parsing it', () => {
    const text = 'name: big\n' + '# padding\n'.repeat(30_000);
    expect(problems(join(CORPUS, 'big', 'lab.yaml'), text)).toEqual([
      'lab.yaml:1:1: (top level): the file is 300010 bytes; a lab file may be at most 262144 bytes (256 KiB)',
    ]);
  });
});
