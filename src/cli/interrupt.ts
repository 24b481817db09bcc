/** Clean-ups to run when the user presses Ctrl-C, so an interrupted command leaves nothing behind. */
const cleanups = new Set<() => Promise<unknown>>();
let installed = false;

export function onInterrupt(cleanup: () => Promise<unknown>): () => void {
  if (!installed) {
    installed = true;
    const handler = (signal: NodeJS.Signals): void => {
      process.stderr.write(`\ninterrupted (${signal}): removing what this command created… (again to quit at once)\n`);
      const all = [...cleanups].map((c) => c().catch(() => undefined));
      void Promise.all(all).finally(() => process.exit(130));
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
