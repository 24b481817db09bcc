import { join } from 'node:path';
import { errorMessage, LabValidationError, ToplabError, UsageError } from '../errors.js';
import { checkInstance, compileAll, overlaySubmission, type CheckOptions } from '../grade/session.js';
import type { Lab } from '../lab/model.js';
import { errorResult, type GradeResult } from '../report/result.js';
import { engineForInstance, type EngineAccess } from './engine-access.js';
import { resultsDir } from './results.js';
import { checkTarget, type CheckTarget } from './workspace.js';

/**
 * Runs the exercise on the instance (deploying it when needed) with the programs and files of `target`, and
 * grades it. A workspace or submission is laid over the lab as `lab grade` does (a file it lacks is graded as
 * absent, never replaced by the lab's reference); the reference is graded as it is, and the result says so
 * (`reference: true`).
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

/**
 * The result of a run the tool could not finish (engine, instance, interruption): status `error`, never
 * `failed`, with the error's message and hint. `lab check`, `lab grade` and the workshop's Check report it so.
 */
export function toolErrorResult(
  lab: Lab,
  e: unknown,
  base: { startedAt: Date; instance?: string | undefined; submission?: string | undefined },
): GradeResult {
  return errorResult({
    lab: lab.name,
    ...(base.instance !== undefined ? { instance: base.instance } : {}),
    ...(base.submission !== undefined ? { submission: base.submission } : {}),
    maxScore: lab.maxScore,
    passMark: lab.passMark,
    startedAt: base.startedAt,
    message: errorMessage(e) + (e instanceof ToplabError && e.hint ? ` (${e.hint})` : ''),
  });
}

/** A mistake of the user's (a lab or option that cannot be used), unless the run was stopped: thrown, not a result. */
export function isUsersMistake(e: unknown, signal: AbortSignal | undefined): boolean {
  return (e instanceof UsageError || e instanceof LabValidationError) && signal?.aborted !== true;
}

export interface CheckLabOptions {
  /** The lab named (a name under labs/, a folder or a lab.yaml path); undefined inside a workspace. */
  lab?: string | undefined;
  /** The student's folder (--submission); else the workspace around `cwd`, else the lab's reference. */
  submission?: string | undefined;
  /** Where a workspace is looked for and a relative `submission` is read from. */
  cwd: string;
  /** The instance's name (checked: see instanceName). */
  instance: string;
  engines: EngineAccess;
  subnetPools: { pool: string; pool6: string };
  /** The folder of results/<lab>/<run>/ (default: the workspace's results/, else ./results). */
  results?: string | undefined;
  /** How many runs of the lab results/ keeps (see keepResults). */
  keepResults: number;
  /** Draw each capture's exchanges as ladders in the result. */
  ladder?: boolean;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * `lab check`: what to grade (checkTarget), a run folder under results/ (older runs pruned), the engine, and
 * the run on the instance (deployed when needed, kept after). Returns what was graded and the result; a
 * failure of the tool or an interruption is a result with status `error`. A UsageError or LabValidationError
 * (the lab, the workspace, the options) is thrown.
 */
export async function checkLab(opts: CheckLabOptions): Promise<{ target: CheckTarget; result: GradeResult }> {
  const say = opts.onProgress ?? ((): void => undefined);
  // A workspace (lab init) or --submission: the student's files; else the lab's reference, and the result says so.
  const target = checkTarget(opts.lab, { cwd: opts.cwd, ...(opts.submission !== undefined ? { submission: opts.submission } : {}) });
  const lab = target.lab;
  if (target.kind === 'reference')
    say(`grading the lab's own reference files in ${lab.dir}, not yours: \`lab init ${lab.name}\` makes a workspace of your own`);
  else say(`grading your files in ${target.dir}`);
  const { instance } = opts;
  const startedAt = new Date();
  const artifactsDir = resultsDir(
    opts.results ?? (target.kind === 'workspace' ? join(target.dir, 'results') : undefined),
    lab.name,
    instance,
    opts.keepResults,
  );
  try {
    const { runtime, tag } = await engineForInstance(opts.engines, lab.name, instance, say);
    const result = await checkWork(target, {
      runtime,
      image: tag,
      instance,
      artifactsDir,
      subnetPools: opts.subnetPools,
      onProgress: say,
      ladder: opts.ladder ?? false,
      command: 'check',
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return { target, result };
  } catch (e) {
    if (isUsersMistake(e, opts.signal)) throw e;
    const submission = target.kind !== 'reference' ? target.dir : undefined;
    return { target, result: toolErrorResult(lab, e, { startedAt, instance, submission }) };
  }
}
