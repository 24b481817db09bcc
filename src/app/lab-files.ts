import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../lab/model.js';

/** At most this many bytes per submission file saved through the workshop server. */
export const MAX_FILE_BYTES = 256 * 1024;

/**
 * The files a student edits: those of the lab's `starter/` folder that are `.ts` programs or listed under
 * `submission.files` (the same rule `overlaySubmission` applies), sorted. A lab without a starter folder
 * offers the lab's own program sources and submission files.
 */
export function editableFiles(lab: Lab): string[] {
  const extra = new Set(lab.submissionFiles);
  const starter = join(lab.dir, 'starter');
  const names = existsSync(starter)
    ? readdirSync(starter).filter((f) => statSync(join(starter, f)).isFile())
    : [...Object.values(lab.programs).map((p) => p.source), ...extra];
  return [...new Set(names.filter((f) => (f.endsWith('.ts') || extra.has(f)) && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f)))].sort();
}

/** The starter's content of an editable file (empty when the lab has no starter copy of it). */
export function starterContent(lab: Lab, name: string): string {
  for (const p of [join(lab.dir, 'starter', name), ...(existsSync(join(lab.dir, 'starter')) ? [] : [join(lab.dir, name)])]) {
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  return '';
}

/** Why a file name cannot be saved for this lab, or undefined when it can. */
export function fileNameProblem(lab: Lab, name: string): string | undefined {
  const files = editableFiles(lab);
  if (files.includes(name)) return undefined;
  return `'${name}' is not one of this lab's files (${files.join(', ')})`;
}
