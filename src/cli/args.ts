import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage, UsageError } from '../errors.js';
import { writeUserFile } from '../util/user-files.js';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(errorMessage(e).replace(/^TypeError \[[A-Z_]+\]: /, ''), { hint: `see \`lab ${command} --help\`` });
  }
}

export function writeOutput(file: string, text: string): void {
  writeUserFile(file, text, 'the report');
}
