import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { evaluateChecks } from '../checks/evaluate.js';
import { deploy } from '../deploy/up.js';
import { removeInstance } from '../deploy/down.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { InterruptedError, StepError, UsageError } from '../errors.js';
import { installPrograms } from '../exercise/programs.js';
import { describeStep, runExercise, setupSteps, startAndWait } from '../exercise/run.js';
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
}

export interface Compiled {
  programs: CompiledProgram[];
  /** Program name → why it cannot run (its compile errors). */
  unavailable: Record<string, string>;
}

/** Compiles every program of the lab from `dir` (the lab folder, or a copy with a submission laid over it). */
export async function compileAll(lab: Lab, dir = lab.dir): Promise<Compiled> {
  const out: Compiled = { programs: [], unavailable: {} };
  await Promise.all(
    Object.entries(lab.def.programs ?? {}).map(async ([name, def]) => {
      try {
        out.programs.push(await compileProgram(name, resolve(dir, def.source), dir));
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

/** Deploys the instance if needed and runs the setup steps (the leading `start` steps). */
export async function bringUp(lab: Lab, compiled: Compiled, opts: SessionOptions): Promise<UpOutcome> {
  const { running, alreadyUp } = await deploy(lab, { ...opts, programs: compiled.programs });
  const failures: string[] = [];
  if (alreadyUp) return { running, alreadyUp, failures };
  for (const step of setupSteps(lab.def.exercise)) {
    if (!('start' in step)) continue;
    opts.onProgress?.(describeStep(step));
    const unavailable = compiled.unavailable[step.start];
    if (unavailable) {
      failures.push(unavailable);
      continue;
    }
    try {
      await startAndWait(running, step, undefined, true);
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      failures.push(e.message);
    }
  }
  return { running, alreadyUp, failures };
}

export interface CheckOptions extends SessionOptions {
  artifactsDir?: string;
  submission?: string;
  /** Where the lab's files (command and answer files) are read from: a submission laid over the lab. */
  filesDir?: string;
  /** Draw each capture's exchanges as ladders in the result (its `ladder` section). */
  ladder?: boolean;
}

/** Runs the exercise on an instance (deploying it first when needed) with the given programs, and grades it. */
export async function checkInstance(lab: Lab, compiled: Compiled, opts: CheckOptions): Promise<GradeResult> {
  const startedAt = new Date();
  const { running, alreadyUp } = await deploy(lab, { ...opts, programs: compiled.programs });
  // The programs as they are now: a student may have edited them since `lab up`. A fresh deploy has
  // just installed these very programs (a second archive per node cost ~0.5 s of every `lab grade`).
  if (alreadyUp) await installPrograms(running, compiled.programs);
  const obs = await runExercise(running, {
    ...(opts.artifactsDir ? { artifactsDir: opts.artifactsDir } : {}),
    ...(opts.onProgress ? { onStep: opts.onProgress } : {}),
    unavailable: compiled.unavailable,
    ...(opts.filesDir ? { filesDir: opts.filesDir } : {}),
    ...(alreadyUp ? {} : { fresh: true }),
  });
  const compileErrors = Object.values(compiled.unavailable);
  return summarize({
    lab: lab.def.name,
    instance: opts.instance,
    ...(opts.submission ? { submission: opts.submission } : {}),
    passMark: lab.def.passMark ?? 1,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    checks: evaluateChecks(lab.def.checks, obs),
    steps: obs.steps,
    ...(compileErrors.length > 0 ? { message: compileErrors.join('\n') } : {}),
    ...(obs.artifactsDir ? { artifactsDir: obs.artifactsDir } : {}),
    ...(opts.ladder ? { ladder: laddersOf(obs).ladders } : {}),
  });
}

/**
 * Lays a submission (a folder, or one file) over a copy of the lab folder: its .ts files, and the files the lab
 * lists under `submission.files`, replace the lab's files of the same name; the rest falls back to the reference.
 */
export function overlaySubmission(lab: Lab, submission: string): { dir: string; cleanup: () => void; replaced: string[] } {
  const src = resolve(submission);
  let st;
  try {
    st = statSync(src);
  } catch {
    throw new UsageError(`no submission at ${submission}`, { hint: 'give a folder holding the student\'s .ts files, or one .ts file' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'toplab-submission-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    cpSync(lab.dir, dir, { recursive: true, filter: (p) => !p.includes(`${join(lab.dir, 'mistakes')}`) });
    const extra = new Set(lab.def.submission?.files ?? []);
    const files = st.isDirectory() ? readdirSync(src).filter((f) => (f.endsWith('.ts') || extra.has(f)) && statSync(join(src, f)).isFile()).map((f) => join(src, f)) : [src];
    if (files.length === 0) throw new UsageError(`the submission ${submission} has none of the lab's files (.ts files${extra.size ? ', ' + [...extra].join(', ') : ''})`);
    for (const f of files) cpSync(f, join(dir, basename(f)));
    return { dir, cleanup, replaced: files.map((f) => basename(f)) };
  } catch (e) {
    cleanup();
    throw e;
  }
}

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
  const removeAll = (entries: typeof list): Promise<unknown> => Promise.all(entries.map(([instance, a]) => removeInstance(a.runtime, a.lab, instance).catch(() => undefined)));
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

/** Grades a submission in a fresh instance that is removed afterwards, whatever happens. */
export async function gradeSubmission(lab: Lab, submission: string, opts: Omit<CheckOptions, 'instance'> & { instance?: string }): Promise<GradeResult> {
  if (interrupted) throw new InterruptedError('interrupted before grading began');
  const instance = opts.instance ?? gradeInstanceName();
  const overlay = overlaySubmission(lab, submission);
  let settle = (): void => undefined;
  active.set(instance, { runtime: opts.runtime, lab: lab.def.name, settled: new Promise<void>((r) => (settle = r)) });
  try {
    const compiled = await compileAll(lab, overlay.dir);
    // Removing the instance afterwards ends every process in it, the student's included.
    const result = await checkInstance(lab, compiled, { ...opts, instance, submission, filesDir: overlay.dir });
    // What an interruption cut short is neither passed nor failed.
    if (interrupted) throw new InterruptedError('interrupted while grading');
    return result;
  } catch (e) {
    throw interrupted && !(e instanceof InterruptedError) ? new InterruptedError('interrupted while grading', { cause: e }) : e;
  } finally {
    overlay.cleanup();
    await removeInstance(opts.runtime, lab.def.name, instance).catch(() => undefined);
    active.delete(instance);
    settle();
  }
}
