import { InterruptedError, signalExitCode } from '../errors.js';

/** The signals a command that creates things answers: Ctrl-C, `kill`, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface InterruptibleOptions {
  /** How long to wait for the command to stop by itself after a signal before removing what it owns anyway (ms). */
  graceMs?: number;
  log?: (line: string) => void;
}

/**
 * Runs a command that creates things so that a signal (SIGINT, SIGTERM, SIGHUP) stops it cleanly: the
 * command's AbortSignal is aborted (nothing new starts, running execs are dropped, what it made is removed by
 * its own clean-up paths, a grade writes an `error` report), then whatever this process still owns is
 * removed, and the result is the shell's code for that signal (130, 143, 129). A second signal does not cut
 * the clean-up short: it is what makes "nothing left behind" hold for an impatient Ctrl-C Ctrl-C.
 */
export async function runInterruptible(work: (signal: AbortSignal) => Promise<number>, opts: InterruptibleOptions = {}): Promise<number> {
  const log = opts.log ?? ((line: string) => void process.stderr.write(line + '\n'));
  const controller = new AbortController();
  let received: string | undefined;
  let onSignal: () => void = () => undefined;
  const signalled = new Promise<void>((resolve) => (onSignal = resolve));
  const handler = (sig: NodeJS.Signals): void => {
    if (received !== undefined) {
      log(`\n${sig} again: still removing what this command created; it exits as soon as that is done`);
      return;
    }
    received = sig;
    log(`\ninterrupted (${sig}): stopping, and removing what this command created…`);
    controller.abort(new InterruptedError(sig));
    onSignal();
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  const settled = work(controller.signal).then(
    (code) => ({ ok: true as const, code }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  let outcome = await Promise.race([settled, signalled.then(() => undefined)]);
  if (outcome === undefined) {
    // Wait for the command's own clean-up, bounded: an engine that hangs must not keep the user waiting forever.
    let timer: NodeJS.Timeout | undefined;
    outcome = await Promise.race([
      settled,
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), opts.graceMs ?? 30_000))),
    ]);
    clearTimeout(timer);
  }
  if (received !== undefined) {
    // Loaded here: the commands that own instances have loaded it already, and `lab --version` never needs it.
    const { removeOwned } = await import('../deploy/owned.js');
    const left = await removeOwned();
    log(left > 0 ? `removed ${left} instance(s) the command had not finished with` : 'stopped; nothing of this command is left');
    return signalExitCode(received);
  }
  for (const s of STOP_SIGNALS) process.off(s, handler);
  if (outcome === undefined) throw new Error('unreachable: the command neither ended nor was interrupted');
  if (!outcome.ok) throw outcome.error;
  return outcome.code;
}

/**
 * A closed stdout (`lab list | head -1`) ends output quietly: later writes are dropped instead of dying on
 * EPIPE with a stack trace, and the command still finishes (and cleans up) what it was doing.
 */
export function quietBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
        // Dropped, but "written": callbacks still run, so whoever waits for a flush is not kept waiting.
        stream.write = ((_chunk: unknown, enc?: unknown, cb?: unknown): boolean => {
          const done = typeof enc === 'function' ? enc : cb;
          if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
          return true;
        }) as typeof stream.write;
        return;
      }
      throw e;
    });
  }
}

/** Ends the process with `code` once what was written to stdout and stderr has gone out: no engine stream or timer keeps it alive. */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
  setTimeout(() => process.exit(code), 2000).unref();
}
