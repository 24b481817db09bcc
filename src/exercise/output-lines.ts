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
 * The lines of a program's output that say what went wrong, for messages and evidence: the lines naming an
 * error (an Error, an errno name such as ECONNREFUSED, "refused", "failed"...), in order, each once; when none
 * does, the last lines. Stack frames and Node's framing are left out. At most `max` lines of at most 200
 * characters each.
 */
export function relevantLines(text: string, max = 4): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !FRAMING.some((f) => f.test(l)));
  const telling = [...new Set(lines.filter((l) => TELLING.some((t) => t.test(l))).map((l) => l.trim()))];
  const chosen = telling.length > 0 ? telling.slice(0, max) : lines.slice(-max).map((l) => l.trim());
  return chosen.map((l) => (l.length > 200 ? l.slice(0, 200) + '…' : l));
}
