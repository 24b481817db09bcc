import type { GradeResult } from './result.js';

export function renderJson(r: GradeResult): string {
  return JSON.stringify(r, null, 2) + '\n';
}
