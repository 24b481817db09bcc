import { errorMessage, formatProblem, LabValidationError, ToplabError } from '../errors.js';
import { exitWhenFlushed, quietBrokenPipes, runInterruptible } from './signals.js';
import { versionLine } from './version.js';

/** Commands that create things: they own them until they hand them over, and answer signals by removing them. */
const CREATING = new Set(['up', 'check', 'grade', 'selftest']);

/** The one place errors become exit codes and messages. */
async function main(argv: string[]): Promise<number> {
  // `lab --version` alone answers before the parser and its declarations load (start-up time, issue 14);
  // program.ts declares the same flag, with the same line, for the help and every other place it may appear.
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(versionLine() + '\n');
    return 0;
  }
  const { parseCommandLine } = await import('./program.js');
  const parsed = parseCommandLine(argv);
  if (!('command' in parsed)) return parsed.exitCode;
  // The commands are loaded only now (their own chunk in dist/), so `--version` and help load none of them.
  const { runCommand } = await import('./commands.js');
  if (CREATING.has(parsed.command)) return runInterruptible((signal) => runCommand(parsed, { signal }));
  return runCommand(parsed);
}

quietBrokenPipes();
main(process.argv.slice(2)).then(
  (code) => exitWhenFlushed(code),
  (e: unknown) => {
    if (e instanceof LabValidationError) {
      process.stderr.write(`error: the ${e.subject} is not valid (${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}):\n`);
      for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
    } else if (e instanceof ToplabError) {
      process.stderr.write(`error: ${e.message}\n`);
      if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    } else {
      process.stderr.write(`error: ${errorMessage(e)}\n`);
      if (process.env.TOPLAB_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
      else process.stderr.write('hint: this is a bug in toplab; run again with TOPLAB_DEBUG=1 for the stack trace\n');
    }
    exitWhenFlushed(e instanceof ToplabError ? e.exitCode : 4);
  },
);
