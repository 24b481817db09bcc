import { renderClassroom } from './classroom.js';
import { renderGradescope } from './gradescope.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import type { GradeResult } from './result.js';
import { renderTap } from './tap.js';
import { renderTerminal } from './terminal.js';

export const FORMATS = ['terminal', 'json', 'junit', 'gradescope', 'classroom', 'tap'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

/** Renders a result in a format; `color` and `verbose` only matter to the terminal format. */
export function render(r: GradeResult, format: Format, opts: { color: boolean; verbose: boolean } = { color: false, verbose: true }): string {
  switch (format) {
    case 'terminal':
      return renderTerminal(r, opts);
    case 'json':
      return renderJson(r);
    case 'junit':
      return renderJunit(r);
    case 'gradescope':
      return renderGradescope(r);
    case 'classroom':
      return renderClassroom(r);
    case 'tap':
      return renderTap(r);
  }
}
