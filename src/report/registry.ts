import { renderClassroom } from './classroom.js';
import { renderGradescope } from './gradescope.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import type { GradeResult } from './result.js';
import { renderTap } from './tap.js';
import { renderTerminal } from './terminal.js';

/** How a report format renders a result; `color` and `verbose` matter to the terminal format only. */
export interface ReportFormat {
  name: string;
  /** One line for `lab check --help` and the docs. */
  description: string;
  render(r: GradeResult, opts: { color: boolean; verbose: boolean }): string;
}

/** The report formats of `lab check|grade --format`, in the order help lists them. */
export const REPORT_FORMATS: readonly ReportFormat[] = [
  { name: 'terminal', description: 'a summary for people, in colour on a terminal', render: (r, o) => renderTerminal(r, o) },
  { name: 'json', description: "toplab's own report (every check with its evidence)", render: (r) => renderJson(r) },
  { name: 'junit', description: 'JUnit XML, for CI test reports', render: (r) => renderJunit(r) },
  { name: 'gradescope', description: "Gradescope's results.json", render: (r) => renderGradescope(r) },
  { name: 'classroom', description: 'GitHub Classroom autograding output', render: (r) => renderClassroom(r) },
  { name: 'tap', description: 'TAP version 14', render: (r) => renderTap(r) },
];
