import { classroomFormat } from './classroom.js';
import { gradescopeFormat } from './gradescope.js';
import { jsonFormat } from './json.js';
import { junitFormat } from './junit.js';
import { tapFormat } from './tap.js';
import { terminalFormat } from './terminal.js';

/**
 * Every report format, in the order help text lists them (the first is the default). Adding a format is one
 * module exporting a ReportFormat (see src/report/report-format.ts) and one line here.
 */
export const REPORT_FORMATS = [terminalFormat, jsonFormat, junitFormat, gradescopeFormat, classroomFormat, tapFormat] as const;
