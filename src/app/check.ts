import { checkInstance, compileAll, overlaySubmission, type CheckOptions } from '../grade/session.js';
import type { GradeResult } from '../report/result.js';
import type { CheckTarget } from './workspace.js';

/**
 * `lab check`: runs the exercise on the instance (deploying it when needed) with the programs and files of
 * `target`, and grades it. A workspace or submission is laid over the lab as `lab grade` does (a file it lacks
 * is graded as absent, never replaced by the lab's reference); the reference is graded as it is, and the result
 * says so (`reference: true`).
 */
export async function checkWork(
  target: CheckTarget,
  opts: Omit<CheckOptions, 'submission' | 'filesDir' | 'files' | 'problems'>,
): Promise<GradeResult> {
  if (target.kind === 'reference') {
    const compiled = await compileAll(target.lab);
    return { ...(await checkInstance(target.lab, compiled, opts)), reference: true };
  }
  const overlay = overlaySubmission(target.lab, target.dir);
  try {
    const compiled = await compileAll(target.lab, overlay.dir, overlay.problems);
    return await checkInstance(target.lab, compiled, {
      ...opts,
      submission: target.dir,
      filesDir: overlay.dir,
      files: overlay.files,
      problems: overlay.problems,
    });
  } finally {
    overlay.cleanup();
  }
}
