import type { GradeResult } from './result.js';

/** How a report is rendered: `color` and `verbose` matter only to formats for people (the terminal's). */
export interface RenderOptions {
  color: boolean;
  verbose: boolean;
}

/**
 * One report format, declared by its own module and listed once in src/report/registry.ts; help text, the
 * `--format` check, the workshop's export and its evidence bundle all read it from there.
 */
export interface ReportFormat<N extends string = string> {
  /** The value of `--format`. */
  name: N;
  /** One line for help text: who reads it. */
  description: string;
  /** File extension (without the dot) of a report written to a file, e.g. in the workshop's evidence bundle. */
  ext: string;
  /** The file `lab grade --submissions` writes each student's report in this format to, beside report.json. */
  batchFile: string;
  /** Whether the workshop's evidence bundle carries it beside each attempt's report.json. */
  inBundle: boolean;
  render(r: GradeResult, opts: RenderOptions): string;
}
