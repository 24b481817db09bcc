import { errorMessage, formatProblem, LabValidationError, ToplabError } from '../errors.js';
import { exitWhenFlushed, quietBrokenPipes, runInterruptible } from './signals.js';

/** package.json's version, put in by the build (scripts/build.mjs). */
declare const TOPLAB_VERSION: string;

/** Commands that create things: they own them until they hand them over, and answer signals by removing them. */
const CREATING = new Set(['up', 'check', 'grade', 'selftest']);

/** The one place errors become exit codes and messages. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--version' || command === '-V') {
    process.stdout.write(`toplab ${TOPLAB_VERSION}\n`);
    return 0;
  }
  // The commands and the help are loaded only now (their own chunks in dist/), so `--version` loads neither.
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    const { HELP, COMMAND_HELP } = await import('./help.js');
    const topic = rest[0];
    process.stdout.write(topic && COMMAND_HELP[topic] ? COMMAND_HELP[topic] : HELP);
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const { HELP, COMMAND_HELP } = await import('./help.js');
    process.stdout.write(COMMAND_HELP[command] ?? HELP);
    return 0;
  }
  const { runCommand } = await import('./commands.js');
  if (CREATING.has(command)) return runInterruptible((signal) => runCommand(command, rest, { signal }));
  return runCommand(command, rest);
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

