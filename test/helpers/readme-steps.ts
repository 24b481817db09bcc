import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse } from 'shell-quote';

/** One `lab …` command a lab README tells a student to type, as argv (without `lab`), and its trailing comment. */
export interface ReadmeCommand {
  argv: string[];
  comment: string;
  line: number;
  /** Ends in `&`: the README runs it in the background while the next commands run. */
  background: boolean;
}

/**
 * The `lab up`, `lab exec` and `lab check` commands of a README, in reading order: lines of fenced code blocks
 * that start with `lab `, and inline code spans that do. Shell quoting is read as a shell reads it (`$(…)` inside
 * single quotes stays as written); a trailing `# …` is the comment. `lab check` with no lab, as typed in a
 * workspace (`lab init`), is taken as `lab check <this lab>`.
 */
export function readmeCommands(file: string): ReadmeCommand[] {
  const lab = basename(dirname(file));
  const out: ReadmeCommand[] = [];
  let fenced = false;
  for (const [i, raw] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      continue;
    }
    const texts = fenced ? [raw.trim()] : [...raw.matchAll(/`(lab [^`]+)`/g)].map((m) => m[1] ?? '');
    for (const text of texts) {
      if (!text.startsWith('lab ')) continue;
      const words = parse(text, (name) => `$${name}`);
      const argv: string[] = [];
      let comment = '';
      let background = false;
      for (const w of words) {
        if (typeof w === 'string') argv.push(w);
        else if ('comment' in w) comment = w.comment.trim();
        else if ('op' in w && w.op === '&') background = true;
        else if ('op' in w) argv.push(w.op === 'glob' ? w.pattern : w.op);
      }
      const verb = argv[1];
      if (verb === 'check' && (argv[2] === undefined || argv[2].startsWith('-'))) argv.splice(2, 0, lab);
      // `lab up` alone, in prose, names no command to type.
      if ((verb === 'up' || verb === 'exec' || verb === 'check') && argv.length > 2)
        out.push({ argv: argv.slice(1), comment, line: i + 1, background });
    }
  }
  return out;
}

/** The commands of both READMEs of a lab (README.md and README.zh.md). */
export function labReadmeCommands(labDir: string): { en: ReadmeCommand[]; zh: ReadmeCommand[] } {
  return { en: readmeCommands(join(labDir, 'README.md')), zh: readmeCommands(join(labDir, 'README.zh.md')) };
}
