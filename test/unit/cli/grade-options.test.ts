import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../src/cli/commands.js';
import { parseCommandLine, type Invocation } from '../../../src/cli/program.js';
import { UsageError } from '../../../src/errors.js';

/** The command a command line parses to; it must parse (the refusals below come from the command itself). */
function invocation(argv: string[]): Invocation {
  const r = parseCommandLine(argv, () => undefined);
  if (!('command' in r)) throw new Error(`${argv.join(' ')} printed instead of parsing`);
  return r;
}

describe('lab grade: options that do not go together are refused before any engine is asked', () => {
  it('--instance with --submissions: a class gets a fresh instance per student (it was ignored without a word)', async () => {
    const e = await runCommand(invocation(['grade', 'tcp-handshake', '--submissions', 'class', '--instance', 'mine'])).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).exitCode).toBe(2);
    expect((e as UsageError).message).toMatch(/--instance names the one instance of --submission/);
  });
});
