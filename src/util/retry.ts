/** The one polling helper: retry until a condition holds or the deadline passes. Never a fixed sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface RetryOptions {
  timeoutMs: number;
  /** First interval; doubles up to maxIntervalMs. */
  intervalMs?: number;
  maxIntervalMs?: number;
  clock?: Clock;
}

/**
 * Calls `attempt` until it returns a value other than undefined, and returns that value; returns undefined
 * when the time is up. Errors from `attempt` propagate: a condition that can never hold should throw.
 */
export async function retryUntil<T>(attempt: () => Promise<T | undefined>, opts: RetryOptions): Promise<T | undefined> {
  const clock = opts.clock ?? realClock;
  const deadline = clock.now() + opts.timeoutMs;
  let interval = opts.intervalMs ?? 25;
  for (;;) {
    const v = await attempt();
    if (v !== undefined) return v;
    const left = deadline - clock.now();
    if (left <= 0) return undefined;
    await clock.sleep(Math.min(interval, left));
    interval = Math.min(interval * 2, opts.maxIntervalMs ?? 250);
  }
}

/** Runs `fn` over items with at most `limit` running at once, keeping order of results. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return results;
}
