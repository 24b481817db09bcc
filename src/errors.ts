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
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in the lab:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'),
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
export class InterruptedError extends ToplabError {
  override readonly exitCode = 130;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
