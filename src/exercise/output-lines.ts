/** Lines that only frame an error: stack frames, Node's source excerpt and caret, its version trailer. */
const FRAMING = [
  /^\s+at /,
  /^Node\.js v\d/,
  /^\s*\^+\s*$/,
  /throw er; \/\/ Unhandled/,
  /^node:[\w/]+:\d+$/,
  /^\s*[{}]\s*$/,
  /^Emitted 'error' event/,
];
/** Lines that say what went wrong. */
const TELLING = [
  /error|exception|refused|reset|denied|not permitted|timed out|timeout|unreachable|cannot|can't|could not|failed|fatal|warning/i,
  /\bE[A-Z][A-Z0-9]{2,}\b/,
];

/**
 * A stack frame in the program's own code, named by Node from the program's source map (`at Server.<anonymous>
 * (/opt/toplab/programs/server.ts:10:33)`; src/programs/compile.ts): the file relative to the programs' folder,
 * line and column. Frames of Node itself and of npm packages are not the student's.
 */
/**
 * Where compiled programs are in a node: PROGRAMS_DIR of src/deploy/node-layout.ts, written out here so that the
 * pure checks, which read these lines, import nothing that reaches the file system (a test holds them equal).
 */
export const PROGRAMS_DIR_IN_NODE = '/opt/toplab/programs';

const OWN_FRAME = new RegExp(
  `^\\s+at (?:.*\\()?(?:file://)?${PROGRAMS_DIR_IN_NODE.replace(/[/.]/g, '\\$&')}/((?!node_modules/)[^():]+:\\d+:\\d+)\\)?$`,
);

/** An error line followed by its stack: the error line with where in the program's own source it was thrown. */
function located(raw: string[]): string[] {
  return raw.map((l, i) => {
    if (!/^\s*(?:Uncaught )?[\w.]*(?:Error|Exception)\b.*:/.test(l)) return l;
    for (let j = i + 1; j < raw.length; j++) {
      const f = raw[j] ?? '';
      if (!/^\s+at /.test(f)) {
        // Node prints the error's own properties (`code: 'ECONNREFUSED'`) between it and the frames, in braces.
        if (/^\s*([{}]|\w+: )/.test(f)) continue;
        break;
      }
      const m = OWN_FRAME.exec(f);
      if (m?.[1]) return `${l} (at ${m[1]})`;
    }
    return l;
  });
}

/**
 * Without Node's excerpt of the source where an uncaught error was thrown: `<file>:<line>`, the source line, a
 * caret line under it (then a blank line and the error itself). The source line is the student's code, not
 * what went wrong: `throw new Error('bad port')` would otherwise be taken for the error it throws.
 */
function withoutExcerpts(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const header = /^(?:file:\/\/)?(?:\/|node:)\S*:\d+$/.test(raw[i] ?? '');
    if (header && /^\s*\^+\s*$/.test(raw[i + 2] ?? '')) {
      i += 2;
      continue;
    }
    out.push(raw[i] ?? '');
  }
  return out;
}

/**
 * The lines of a program's output that say what went wrong, for messages and evidence: the lines naming an
 * error (an Error, an errno name such as ECONNREFUSED, "refused", "failed"...), in order, each once; when none
 * does, the last lines. An error thrown in the program's own code says where (`TypeError: … (at server.ts:10:33)`,
 * from the first frame of its stack in the program's source). Stack frames and Node's framing are left out. At
 * most `max` lines of at most 200 characters each.
 */
export function relevantLines(text: string, max = 4): string[] {
  const lines = located(withoutExcerpts(text.split(/\r?\n/)))
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !FRAMING.some((f) => f.test(l)));
  const telling = [...new Set(lines.filter((l) => TELLING.some((t) => t.test(l))).map((l) => l.trim()))];
  const chosen = telling.length > 0 ? telling.slice(0, max) : lines.slice(-max).map((l) => l.trim());
  return chosen.map((l) => (l.length > 200 ? l.slice(0, 200) + '…' : l));
}
