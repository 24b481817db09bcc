import { writeUserFile } from '../util/user-files.js';

export function writeOutput(file: string, text: string): void {
  writeUserFile(file, text, 'the report');
}
