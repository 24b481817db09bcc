import { describe, expect, it } from 'vitest';
import { csvField, csvRow } from '../../../src/report/csv.js';
import { summaryCsv, summaryRow } from '../../../src/grade/batch.js';
import type { GradeResult } from '../../../src/report/result.js';

/** A minimal CSV reader (RFC 4180): what a spreadsheet sees in each cell. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

describe('CSV fields', () => {
  it('defuses every text that a spreadsheet would run as a formula (OWASP CSV injection)', () => {
    for (const evil of ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1', "=cmd|' /C calc'!A0"]) {
      const f = csvField(evil);
      expect(f.startsWith('"\''), f).toBe(true);
      expect(cells(f)[0]).toBe(`'${evil}`);
    }
  });

  it('leaves plain text, numbers and empties as they are, and quotes commas, quotes and line breaks', () => {
    expect(csvField('Ada')).toBe('Ada');
    expect(csvField('a=b')).toBe('a=b');
    expect(csvField(9)).toBe('9');
    expect(csvField(-1)).toBe('-1');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField('bob, jr')).toBe('"bob, jr"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(cells(csvRow(['=1', 'x,y', 3]))).toEqual(["'=1", 'x,y', '3']);
  });
});

describe('lab grade summary.csv', () => {
  it('defuses a submission folder name and a message that begin like formulas', () => {
    const result: GradeResult = {
      lab: 'l',
      instance: 'i',
      submission: '=evil',
      status: 'error',
      score: 0,
      maxScore: 4,
      passMark: 1,
      checks: [],
      steps: [],
      startedAt: '2026-01-01T00:00:00Z',
      durationMs: 1000,
      message: '@SUM(1)',
    } as unknown as GradeResult;
    const row = summaryCsv([summaryRow('=HYPERLINK("http://x")', result)]).split('\n')[1] as string;
    const c = cells(row);
    expect(c[0]).toBe('\'=HYPERLINK("http://x")');
    expect(c[6]).toBe("'@SUM(1)");
  });
});
