/** Pieces of the sh scripts toplab runs in nodes and observers. */

/** A word for sh, quoted so that nothing in it is expanded. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shell lines that run `body` every 50 ms, at most `seconds` long, then go on after the loop. `body` leaves
 * early with `break` or `exit`. Bounded twice: by counted rounds (in a container whose process table is full
 * not even `sleep` can start, and the loop still ends) and by the clock, read from /proc/uptime with the
 * shell's own `read` (no process to start): on a loaded node each round takes longer than 50 ms, and the 20 s
 * readiness wait of a server that never listens, counted in rounds alone, lasted 27–31 s. Uses the variables
 * tl_u, tl_x, tl_t and tl_end.
 */
export function pollLoop(seconds: number, body: string[]): string[] {
  const now = 'read tl_u tl_x </proc/uptime 2>/dev/null || tl_u=0.00; tl_t=$(( ${tl_u%.*} * 100 + 1${tl_u#*.} - 100 ))';
  return [
    now,
    `tl_end=$(( tl_t + ${Math.max(1, Math.round(seconds * 100))} ))`,
    'i=0',
    `while [ $i -lt ${Math.max(1, Math.round(seconds * 20))} ]; do`,
    ...body.map((l) => `  ${l}`),
    '  sleep 0.05; i=$((i + 1))',
    `  ${now}`,
    '  [ $tl_t -ge $tl_end ] && break',
    'done',
  ];
}
