/**
 * CSV as toplab writes it (`lab grade`'s summary.csv, the workshop's grades.csv): RFC 4180 fields, and text
 * that a spreadsheet would run as a formula defused.
 *
 * Spreadsheets (Excel, LibreOffice, Google Sheets) treat a cell that begins with `=`, `+`, `-`, `@`, a tab or
 * a carriage return as a formula, so a student's name or a program's message such as `=HYPERLINK(...)` would
 * run when the instructor opens the file (OWASP, "CSV Injection"). Such a text cell gets a leading `'` and
 * is quoted, as OWASP advises; the value stays readable and is shown as text. Numbers are written as they
 * are (a negative number is a number, not a formula).
 */
export type CsvValue = string | number | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One field: empty for null/undefined; text starting like a formula gets `'`; quoted when it holds `"`, `,`, CR, LF or was defused. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const defused = FORMULA_START.test(v);
  const s = defused ? `'${v}` : v;
  return defused || /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record: the fields joined by commas (no line ending). */
export function csvRow(values: CsvValue[]): string {
  return values.map(csvField).join(',');
}
