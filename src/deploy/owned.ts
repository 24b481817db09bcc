import type { Runtime } from '../runtime/runtime.js';
import { removeInstance } from './down.js';

interface Owned {
  runtime: Runtime;
  lab: string;
  instance: string;
  releaseLock?: () => Promise<void>;
}

/** Instances this process is creating or grading in, so an interrupted command can remove them before it exits. */
const owned = new Set<Owned>();

/** Records that this process owns an instance until the returned function is called (hand-over or removal). */
export function track(runtime: Runtime, lab: string, instance: string, releaseLock?: () => Promise<void>): () => void {
  const entry: Owned = { runtime, lab, instance, ...(releaseLock ? { releaseLock } : {}) };
  owned.add(entry);
  return () => void owned.delete(entry);
}

/** The instances this process still owns. */
export function ownedInstances(): { lab: string; instance: string }[] {
  return [...owned].map((o) => ({ lab: o.lab, instance: o.instance }));
}

/** Removes every instance this process still owns (and releases their creation locks); returns how many. */
export async function removeOwned(): Promise<number> {
  const list = [...owned];
  owned.clear();
  await Promise.all(
    list.map(async (o) => {
      await removeInstance(o.runtime, o.lab, o.instance).catch(() => undefined);
      await o.releaseLock?.().catch(() => undefined);
    }),
  );
  return list.length;
}
