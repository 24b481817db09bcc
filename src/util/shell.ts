/** Pieces of the sh scripts toplab runs in nodes and observers. */

/** A word for sh, quoted so that nothing in it is expanded. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shell lines that run `body` every 50 ms, at most `seconds` long, then go on after the loop. `body` leaves
 * early with `break` or `exit`. Counted rounds rather than a clock: in a container whose process table is
 * full not even `sleep` or `date` can start, and the loop still ends.
 */
export function pollLoop(seconds: number, body: string[]): string[] {
  return ['i=0', `while [ $i -lt ${Math.max(1, Math.round(seconds * 20))} ]; do`, ...body.map((l) => `  ${l}`), '  sleep 0.05; i=$((i + 1))', 'done'];
}
