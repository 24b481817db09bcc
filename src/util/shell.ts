/** Pieces of the sh scripts toplab runs in nodes and observers. */

/** A word for sh, quoted so that nothing in it is expanded. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shell that sets tl_t to the clock in centiseconds: the system's uptime, read from /proc/uptime with the shell's
 * own `read` (no process to start). The same clock in every container of one host (one kernel).
 */
export const UPTIME_CS = 'read tl_u tl_x </proc/uptime 2>/dev/null || tl_u=0.00; tl_t=$(( ${tl_u%.*} * 100 + 1${tl_u#*.} - 100 ))';

/**
 * Shell lines that run `body` every 50 ms (every 10 ms in the first 0.2 s), at most `seconds` long, then go on after the loop. `body` leaves
 * early with `break` or `exit`. Counted rounds: in a container whose process table is full not even `sleep`
 * or `date` can start, and the loop still ends. On a loaded node a round takes longer than 50 ms, so a wait
 * counted in rounds lasts longer than `seconds` (the 20 s readiness wait of a server that never listens
 * lasted up to 31 s). `clock`: also end once `seconds` have passed on the clock, read from /proc/uptime with
 * the shell's own `read` (no process to start). Only for waits whose caller looks again until its own
 * deadline (readiness, a program's end or output): a wait whose end decides what happens next (a SIGTERM's
 * grace before SIGKILL, an earlier run's processes gone, tcpdump's start and flush) keeps the longer bound.
 * Uses the variables i, tl_f, tl_u, tl_x, tl_t and tl_end.
 */
export function pollLoop(seconds: number, body: string[], opts: { clock?: boolean } = {}): string[] {
  // The first 0.2 s go in rounds of 10 ms, five to a count of 50 ms: what is awaited (a program's listening
  // socket, its first line, its exit after a SIGTERM) mostly comes within them, and a 50 ms round kept it
  // waiting 25 ms on average. A count still means at least 50 ms, so the bound is never shorter.
  const rounds = [
    'i=0; tl_f=0',
    `while [ $i -lt ${Math.max(1, Math.round(seconds * 20))} ]; do`,
    ...body.map((l) => `  ${l}`),
    '  if [ $tl_f -lt 20 ]; then sleep 0.01; tl_f=$((tl_f + 1)); [ $((tl_f % 5)) -eq 0 ] && i=$((i + 1)); else sleep 0.05; i=$((i + 1)); fi',
  ];
  if (opts.clock !== true) return [...rounds, 'done'];
  const now = UPTIME_CS;
  return [
    now,
    `tl_end=$(( tl_t + ${Math.max(1, Math.round(seconds * 100))} ))`,
    ...rounds,
    `  ${now}`,
    '  [ $tl_t -ge $tl_end ] && break',
    'done',
  ];
}
