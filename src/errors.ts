/**
 * The few error classes toplab throws. The CLI (src/cli/main.ts) is the one place they become exit codes.
 * Exit codes: 0 all checks passed, 1 the submission failed a check, 2 usage, 3 invalid lab, 4 engine or tool error.
 */
export class ToplabError extends Error {
  readonly exitCode: number = 4;
  /** What the user can do about it, printed after the message. */
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options?.hint) this.hint = options.hint;
  }
}

export class UsageError extends ToplabError {
  override readonly exitCode = 2;
}

export interface LabProblem {
  file: string;
  line?: number;
  col?: number;
  /** Dotted path of the offending value, e.g. `nodes.server.interfaces`. */
  path: string;
  message: string;
}

export function formatProblem(p: LabProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.col ?? 1}`;
  return `${where}: ${p.path === '' ? '(top level)' : p.path}: ${p.message}`;
}

export class LabValidationError extends ToplabError {
  override readonly exitCode = 3;
  /** What kind of file the problems are in, for the heading the CLI prints. */
  readonly subject: string = 'lab file';
  readonly problems: LabProblem[];
  constructor(problems: LabProblem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the lab:\n` +
        problems.map((p) => '  ' + formatProblem(p)).join('\n'),
    );
    this.problems = problems;
  }
}

/** The Docker engine is missing, refused a request, or a container did not behave. */
export class EngineError extends ToplabError {
  override readonly exitCode = 4;
}

/** A step of the exercise could not complete (timeouts, programs that died). Not the tool's fault. */
export class StepError extends ToplabError {
  override readonly exitCode = 1;
}

/** The user interrupted the command (Ctrl-C, SIGTERM): what it was doing is neither passed nor failed. */

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The shell's exit code for a command ended by `signal`: 128 + the signal's number (SIGINT 130, SIGTERM 143, SIGHUP 129). */
export function signalExitCode(signal: string): number {
  return 128 + (SIGNAL_NUMBERS[signal] ?? 2);
}

/**
 * The command was interrupted (a signal, or a library caller's AbortSignal). Whatever it was observing is
 * `error`, never `failed`: the run was not finished, so nothing can be said about the student's code.
 */
export class InterruptedError extends ToplabError {
  override readonly exitCode: number;
  readonly signal: string;
  /** `signal`: a signal's name (SIGINT…), `abort`, or a message of its own (exit code 130). */
  constructor(signal = 'abort', options?: { cause?: unknown }) {
    const named = signal === 'abort' || /^SIG[A-Z]+$/.test(signal);
    super(named ? `interrupted${signal === 'abort' ? '' : ` by ${signal}`}; not graded` : signal, options);
    this.signal = named ? signal : 'abort';
    this.exitCode = this.signal === 'abort' ? 130 : signalExitCode(this.signal);
  }
}

/** The instance's containers went away while a command used them (another `lab down`, an engine restart, the lease ran out). */
export class InstanceGoneError extends EngineError {}

/** Another command is creating the same instance right now. */
export class InstanceBusyError extends ToplabError {}

/** The reason an AbortSignal carries, as the error to throw: an InterruptedError when it is one. */
export function abortReason(signal: AbortSignal): ToplabError {
  const r: unknown = signal.reason;
  return r instanceof ToplabError ? r : new InterruptedError();
}

/** Throws the signal's reason when it has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** True for an engine answer meaning the container or network is gone or going (HTTP 404, or 409 "is being removed" / "is not running"). */
export function isGoneError(e: unknown): boolean {
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  if (code === 404) return true;
  return code === 409 && /not running|being removed|is paused|is restarting|marked for removal|dead/i.test(errorMessage(e));
}

/**
 * For a catch that turns a failure into part of what a run observed (a failed step, a probe's or a capture's
 * error): the engine's own failures (EngineError: no answer, a lost engine, an instance gone) go on up
 * instead, since they say nothing about the student's code.
 */
export function rethrowEngineError(e: unknown): void {
  if (e instanceof EngineError) throw e;
}
