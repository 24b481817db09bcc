import { randomBytes } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { evaluateChecks } from '../checks/evaluate.js';
import { currentOwner, deploy } from '../deploy/up.js';
import { acquireRunLock } from '../deploy/run-lock.js';
import { removeInstance } from '../deploy/down.js';
import { track } from '../deploy/owned.js';
import { instanceState, type RunningLab } from '../deploy/running-lab.js';
import { InterruptedError, StepError, throwIfAborted, UsageError } from '../errors.js';
import { installPrograms } from '../exercise/programs.js';
import { runExercise, runSetupStep } from '../exercise/run.js';
import { describeStep, setupSteps } from '../exercise/step-text.js';
import type { Lab } from '../lab/model.js';
import { compileProgram, CompileError, type CompiledProgram } from '../programs/compile.js';
import type { Runtime } from '../runtime/runtime.js';
import { summarize, type GradeResult } from '../report/result.js';
import { laddersOf } from './ladders.js';

export interface SessionOptions {
  runtime: Runtime;
  image: string;
  instance: string;
  onProgress?: (line: string) => void;
  /**
   * Cancels the work: nothing new starts, what this call created is removed, and it rejects with an
   * InterruptedError (a grade is never `failed` for an interruption).
   */
  signal?: AbortSignal;
  /** The command named in the ownership labels of what is created (`up`, `check`, `grade`; default `library`). */
  command?: string;
  /** The IPv4 and IPv6 ranges a new instance's subnets come from (default: TOPLAB_SUBNET_POOL(6), else toplab's defaults). */
  subnetPools?: { pool: string; pool6: string };
}

export interface Compiled {
  programs: CompiledProgram[];
  /** Program name → why it cannot run (its compile errors). */
  unavailable: Record<string, string>;
}

/**
 * Compiles every program of the lab from `dir` (the lab folder, or a copy with a submission laid over it).
 * `missing`: source file → why the submission lacks it; such a program is unavailable with that message.
 */
export async function compileAll(lab: Lab, dir = lab.dir, missing: Record<string, string> = {}): Promise<Compiled> {
  const out: Compiled = { programs: [], unavailable: {} };
  const opts = { modules: lab.modules, modulesFrom: lab.dir };
  await Promise.all(
    Object.entries(lab.programs).map(async ([name, def]) => {
      const lacking = missing[def.source];
      if (lacking !== undefined) {
        out.unavailable[name] = lacking;
        return;
      }
      try {
        out.programs.push(await compileProgram(name, resolve(dir, def.source), dir, opts));
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
        out.unavailable[name] = e.message;
      }
    }),
  );
  return out;
}

export interface UpOutcome {
  running: RunningLab;
  alreadyUp: boolean;
  /** Setup steps that failed (a program that never became ready): the lab stays up for debugging. */
  failures: string[];
}

/**
 * Runs the lab's setup steps (`setupSteps`: its leading `start` steps and its own commands among them) on a
 * running instance with these compiled programs, each start until ready. Returns the reasons of the steps that failed (a program that did not compile, or a step
 * error); any other error is thrown. `fresh`: nothing has run in the instance yet (no earlier run to end).
 */
export async function startSetupSteps(
  running: RunningLab,
  lab: Lab,
  compiled: Compiled,
  opts: { fresh?: boolean; signal?: AbortSignal; onProgress?: (line: string) => void } = {},
): Promise<string[]> {
  const failures: string[] = [];
  for (const step of setupSteps(lab.steps)) {
    throwIfAborted(opts.signal);
    opts.onProgress?.(describeStep(step));
    try {
      await runSetupStep(running, step, { fresh: opts.fresh === true, unavailable: compiled.unavailable });
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      failures.push(e.message);
    }
  }
  return failures;
}

/** Deploys the instance if needed and runs the setup steps (see `setupSteps`). */
export async function bringUp(lab: Lab, compiled: Compiled, opts: SessionOptions): Promise<UpOutcome> {
  // The creation lock is held through the setup steps: until they are done, the instance is not up, and a
  // command that finds it so (this one interrupted or killed) rebuilds it.
  const { running, alreadyUp, releaseLock } = await deploy(lab, {
    ...opts,
    programs: compiled.programs,
    command: opts.command ?? 'up',
    keepLock: true,
  });
  const failures: string[] = [];
  if (alreadyUp) return { running, alreadyUp, failures };
  try {
    failures.push(...(await startSetupSteps(running, lab, compiled, { ...opts, fresh: true })));
    throwIfAborted(opts.signal);
  } catch (e) {
    // Half made is never left looking up: it goes, and so does the lock.
    await removeInstance(opts.runtime, lab.name, opts.instance).catch(() => undefined);
    await releaseLock().catch(() => undefined);
    throw e;
  }
  await releaseLock();
  return { running, alreadyUp, failures };
}

export interface CheckOptions extends SessionOptions {
  /** `grading` for a temporary instance with a lease (see UpOptions.purpose). */
  purpose?: 'lab' | 'grading';
  artifactsDir?: string;
  submission?: string;
  /** Where the lab's files (command and answer files) are read from: a submission laid over the lab. */
  filesDir?: string;
  /** Which files came from the submission, and what it lacks (from `overlaySubmission`). */
  files?: SubmissionFiles;
  problems?: Record<string, string>;
  /** Draw each capture's exchanges as ladders in the result (its `ladder` section). */
  ladder?: boolean;
}

/** Runs the exercise on an instance (deploying it first when needed) with the given programs, and grades it. */
export async function checkInstance(lab: Lab, compiled: Compiled, opts: CheckOptions): Promise<GradeResult> {
  // One run at a time on an instance: two at once would stop, restart and probe each other's programs, and
  // their verdicts would be about each other rather than the student's code. A grading instance is fresh and
  // its name is this run's own: nothing else runs there.
  const lock =
    opts.purpose === 'grading'
      ? undefined
      : await acquireRunLock(opts.runtime, lab.name, opts.instance, opts.image, currentOwner(opts.command ?? 'check'), {
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.onProgress ? { onWait: opts.onProgress } : {}),
        });
  try {
    return await checkLocked(lab, compiled, opts);
  } finally {
    await lock?.release().catch(() => undefined);
  }
}

async function checkLocked(lab: Lab, compiled: Compiled, opts: CheckOptions): Promise<GradeResult> {
  const startedAt = new Date();
  // A grading instance is new and this run's own (gradeSubmission has just seen that nothing of it exists, and
  // no other command uses it): deploy skips its first look, and the creation lock goes while the run begins.
  const grading = opts.purpose === 'grading';
  const { running, alreadyUp, releaseLock } = await deploy(lab, {
    ...opts,
    programs: compiled.programs,
    command: opts.command ?? 'check',
    ...(grading ? { fresh: true, keepLock: true } : {}),
  });
  const released = releaseLock().catch(() => undefined);
  let obs;
  try {
    // The programs as they are now: a student may have edited them since `lab up`. A fresh deploy has
    // just installed these very programs (a second archive per node cost ~0.5 s of every `lab grade`).
    if (alreadyUp) await installPrograms(running, compiled.programs);
    obs = await runExercise(running, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.artifactsDir ? { artifactsDir: opts.artifactsDir } : {}),
      ...(opts.onProgress ? { onStep: opts.onProgress } : {}),
      unavailable: compiled.unavailable,
      ...(opts.filesDir ? { filesDir: opts.filesDir } : {}),
      ...(alreadyUp ? {} : { fresh: true }),
    });
  } catch (e) {
    await released;
    // An instance this call made and could not finish with is removed; a user's running lab is left as it is.
    if (!alreadyUp && !(e instanceof StepError)) await removeInstance(opts.runtime, lab.name, opts.instance).catch(() => undefined);
    throw e;
  }
  await released;
  // A missing file that no program needs (an answer file, a command file) is named too.
  const missing = Object.entries(opts.problems ?? {})
    .filter(([f]) => !Object.values(lab.programs).some((p) => p.source === f))
    .map(([, m]) => m);
  const compileErrors = [...missing, ...Object.values(compiled.unavailable)];
  const result = summarize({
    lab: lab.name,
    instance: opts.instance,
    ...(opts.submission ? { submission: opts.submission } : {}),
    passMark: lab.passMark,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    checks: evaluateChecks(lab.checks, obs),
    steps: obs.steps,
    ...(compileErrors.length > 0 ? { message: compileErrors.join('\n') } : {}),
    ...(obs.artifactsDir ? { artifactsDir: obs.artifactsDir } : {}),
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.ladder ? { ladder: laddersOf(obs).ladders } : {}),
  });
  // A submission that lacks a file it must hold never passes, whatever checks did not need that file.
  return result.status === 'passed' && (opts.files?.missing.length ?? 0) > 0 ? { ...result, status: 'failed' } : result;
}

/** Which files of a grade came from the submission and which from the lab (the JSON report's `files`). */
export interface SubmissionFiles {
  /** Files the submission supplied (the student's own). */
  submission: string[];
  /** Files the lab supplied that the student does not submit (helpers, other programs). */
  lab: string[];
  /** Files the submission should have held and did not: graded as absent, never as the lab's own. */
  missing: string[];
  /** Files of the submission that were not used (not among the files the lab takes). */
  ignored: string[];
}

export interface Overlay {
  dir: string;
  cleanup: () => void;
  files: SubmissionFiles;
  /** One line per missing file: `expected server.ts; found Server.ts`. */
  problems: Record<string, string>;
}

/** Files of a submission folder, relative, a few levels deep (not node_modules or hidden folders); symbolic links are listed, never followed. */
function listFiles(dir: string, depth = 3, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    if (e.isDirectory() && (e.name.startsWith('.') || e.name === 'node_modules')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory() && depth > 1) out.push(...listFiles(dir, depth - 1, rel));
    else if (!e.isDirectory()) out.push(rel);
  }
  return out.sort();
}

const stem = (f: string): string => f.replace(/\.[^.]*$/, '').toLowerCase();

/** `expected server.ts; found Server.ts`: the files of the submission nearest to the one that is missing. */
export function missingFileMessage(expected: string, present: string[]): string {
  const near = present.filter((f) => {
    const b = basename(f);
    return b !== expected && (b.toLowerCase() === expected.toLowerCase() || stem(b) === stem(expected));
  });
  const nested = present.filter((f) => f !== expected && basename(f) === expected);
  const found = [...nested, ...near];
  if (found.length === 0) return `expected ${expected}; the submission has no such file`;
  const why =
    nested.length > 0
      ? ' (in a subfolder: put it at the top of the submission)'
      : near.some((f) => basename(f).toLowerCase() === expected.toLowerCase())
        ? ' (file names are case-sensitive)'
        : ` (rename it ${expected})`;
  return `expected ${expected}; found ${found.join(', ')}${why}`;
}

/**
 * Lays a submission (a folder, or one file) over a copy of the lab folder. The files the student submits
 * (`lab.submissionFiles`) come from the submission only: one it lacks is absent from the copy (its program
 * does not compile, its answer is missing), never the lab's reference. Every other file is the lab's.
 * A file given as a symbolic link is refused (counted missing, with a message): only the submission's own
 * bytes are graded, and nothing outside it is read.
 */
export function overlaySubmission(lab: Lab, submission: string): Overlay {
  const src = resolve(submission);
  let st;
  try {
    st = statSync(src);
  } catch {
    throw new UsageError(`no submission at ${submission}`, { hint: "give a folder holding the student's files, or one file" });
  }
  const wanted = lab.submissionFiles;
  const root = st.isDirectory() ? src : dirname(src);
  const present = st.isDirectory() ? listFiles(src) : [basename(src)];
  // The pid in the name lets a later command's sweep remove the copy of a grader that was killed.
  const dir = mkdtempSync(join(tmpdir(), `${SUBMISSION_PREFIX}${process.pid}-`));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const skip = new Set([join(lab.dir, 'mistakes'), join(lab.dir, 'starter'), ...wanted.map((f) => join(lab.dir, f))]);
    cpSync(lab.dir, dir, { recursive: true, filter: (p) => !skip.has(p) });
    const files: SubmissionFiles = { submission: [], lab: [], missing: [], ignored: [] };
    const problems: Record<string, string> = {};
    for (const f of wanted) {
      const from = join(root, f);
      const lst = present.includes(f) ? lstatSync(from) : undefined;
      if (lst?.isSymbolicLink()) {
        problems[f] = `${f} is a symbolic link; submit the file itself (a grade reads only the submission's own files)`;
      } else if (lst?.isFile()) {
        writeFileSync(join(dir, f), readFileSync(from));
        files.submission.push(f);
        continue;
      } else {
        problems[f] = missingFileMessage(f, present);
      }
      files.missing.push(f);
    }
    const ignored = present.filter((f) => !files.submission.includes(f));
    files.ignored = ignored.length > 50 ? [...ignored.slice(0, 50), `(and ${ignored.length - 50} more)`] : ignored;
    files.lab = [...new Set(Object.values(lab.programs).map((p) => p.source))].filter((f) => !wanted.includes(f)).sort();
    return { dir, cleanup, files, problems };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** Temp folders holding a submission laid over a lab: `toplab-submission-<pid>-XXXXXX`. */
export const SUBMISSION_PREFIX = 'toplab-submission-';

/** Grading instances in use, so an interrupted run (Ctrl-C, SIGTERM) can remove them before it exits. */
const active = new Map<string, { runtime: Runtime; lab: string; settled: Promise<void> }>();
let interrupted = false;

/** True once `removeActiveInstances` has run: no grading starts any more, and none reports a result. */
export function gradingInterrupted(): boolean {
  return interrupted;
}

/**
 * Removes every grading instance still in use; for the CLI's signal handlers. Removing an instance stops what
 * runs in it, but a grading may still be creating containers or networks: each grading then ends and removes
 * its instance again (and its temporary folder), and this waits for that, at most `waitMs`, before a last pass.
 */
export async function removeActiveInstances(waitMs = 20_000): Promise<number> {
  interrupted = true;
  const list = [...active.entries()];
  const removeAll = (entries: typeof list): Promise<unknown> =>
    Promise.all(entries.map(([instance, a]) => removeInstance(a.runtime, a.lab, instance).catch(() => undefined)));
  await removeAll(list);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(list.map(([, a]) => a.settled)), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
  await removeAll([...active.entries()]);
  return list.length;
}

/** A fresh instance name for one grading run: `grade-` and six random characters. */
export function gradeInstanceName(): string {
  return `grade-${randomBytes(3).toString('hex')}`;
}

export interface GradeOptions extends Omit<CheckOptions, 'instance'> {
  instance?: string;
  /**
   * Takes the removal of the instance instead of waiting for it: the grade resolves as soon as its result is
   * known, and the caller awaits the promise (which never rejects) before it reports that nothing is left. A
   * batch starts the next student meanwhile. The instance stays among those an interruption removes until
   * the removal is done.
   */
  removal?: (done: Promise<void>) => void;
}

/** Grades a submission in a fresh instance that is removed afterwards, whatever happens. */
export async function gradeSubmission(lab: Lab, submission: string, opts: GradeOptions): Promise<GradeResult> {
  if (interrupted) throw new InterruptedError('interrupted before grading began');
  const instance = opts.instance ?? gradeInstanceName();
  throwIfAborted(opts.signal);
  // A grade needs a fresh instance, and removes it afterwards: never one that exists (a user's own lab). Asked
  // while the submission is laid over the lab and compiled; nothing is created before the answer.
  const looked = instanceState(opts.runtime, lab, instance);
  looked.catch(() => undefined); // awaited below
  const overlay = overlaySubmission(lab, submission);
  let compiled: Compiled;
  let existing: Awaited<typeof looked>;
  try {
    compiled = await compileAll(lab, overlay.dir, overlay.problems);
    existing = await looked;
  } catch (e) {
    overlay.cleanup();
    throw e;
  }
  if (existing.containers.length > 0 || existing.networks.length > 0 || existing.lock !== undefined) {
    overlay.cleanup();
    throw new UsageError(`instance ${instance} of ${lab.name} already exists: a grade needs a fresh instance and removes it afterwards`, {
      hint: 'leave out --instance (a fresh name is chosen), or name one that is not running',
    });
  }
  if (interrupted) {
    overlay.cleanup();
    throw new InterruptedError('interrupted before grading began');
  }
  const untrack = track(opts.runtime, lab.name, instance);
  let settle = (): void => undefined;
  active.set(instance, { runtime: opts.runtime, lab: lab.name, settled: new Promise<void>((r) => (settle = r)) });
  try {
    throwIfAborted(opts.signal);
    // Removing the instance afterwards ends every process in it, the student's included.
    const result = await checkInstance(lab, compiled, {
      ...opts,
      command: opts.command ?? 'grade',
      purpose: 'grading',
      instance,
      submission,
      filesDir: overlay.dir,
      files: overlay.files,
      problems: overlay.problems,
    });
    // What an interruption cut short is neither passed nor failed.
    if (interrupted) throw new InterruptedError('interrupted while grading');
    return result;
  } catch (e) {
    throw interrupted && !(e instanceof InterruptedError) ? new InterruptedError('interrupted while grading', { cause: e }) : e;
  } finally {
    overlay.cleanup();
    const removed = removeInstance(opts.runtime, lab.name, instance)
      .catch(() => undefined)
      .then(() => {
        untrack();
        active.delete(instance);
        settle();
      });
    if (opts.removal) opts.removal(removed);
    else await removed;
  }
}
