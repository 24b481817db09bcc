import type { ReportFormat } from './report-format.js';
import type { GradeResult } from './result.js';

export function renderJson(r: GradeResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}

export const jsonFormat: ReportFormat<'json'> = {
  name: 'json',
  description: "toplab's result (schema/result.schema.json), for scripts",
  ext: 'json',
  batchFile: 'report.json',
  inBundle: false,
  render: (r) => renderJson(r),
};
