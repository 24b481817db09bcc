import { REPORT_FORMATS } from './registry.js';
import type { RenderOptions, ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

export type { ReportFormat } from './report-format.js';

/** The names of the formats, from the registry (src/report/registry.ts). */
export type Format = (typeof REPORT_FORMATS)[number]['name'];
export const FORMATS: readonly Format[] = REPORT_FORMATS.map((f) => f.name);

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

/** The registry's entry for a format. */
export function reportFormat(name: Format): ReportFormat<Format> {
  const f = REPORT_FORMATS.find((x) => x.name === name);
  if (!f) throw new Error(`no report format '${name}' in src/report/registry.ts`);
  return f;
}

/** Renders a result in a format; `color` and `verbose` only matter to the terminal format. */
export function render(r: GradeResult, format: Format, opts: RenderOptions = { color: false, verbose: true }): string {
  return reportFormat(format).render(r, opts);
}
