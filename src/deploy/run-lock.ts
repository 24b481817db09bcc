import { InstanceBusyError, throwIfAborted, abortReason } from '../errors.js';
import { LABEL, ownerLabels, type Owner } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';
import { describeOwner, lockIsLive } from './lock.js';

/**
 * The exercise lock's container name: dots keep it apart from every node container (`tl-<lab>-<instance>-<node>`)
 * and from the creation lock (`tl-lock.<lab>.<instance>`).
 */
export function runLockName(lab: string, instance: string): string {
  return `tl-run.${lab}.${instance}`;
}

export function runLockFilter(lab?: string, instance?: string): string[] {
  return [
    `${LABEL.managed}=true`,
    `${LABEL.role}=run-lock`,
    ...(lab !== undefined ? [`${LABEL.lockLab}=${lab}`] : []),
    ...(instance !== undefined ? [`${LABEL.lockInstance}=${instance}`] : []),
  ];
}

export interface RunLockOptions {
  /** Said once when the lock is held by another run and this one waits: `waiting for another check on …`. */
  onWait?: (line: string) => void;
  /** How long to wait for another run to finish, in ms; then an InstanceBusyError. Default 5 minutes. */
  waitMs?: number;
  /** How often to look again while waiting, in ms. Default 500. */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface RunLock {
  /** A lock left by a holder that is gone (or whose lease ran out) was taken over: who held it. */
  tookOver?: string;
  release(): Promise<void>;
}

/**
 * Takes the exclusive lock on exercising one instance (a `lab check`, the workshop server's Check): a labelled
 * container named `runLockName`, created and never started, on the instance's own engine, so every process
 * that can reach the instance sees it; the engine's unique names make taking it atomic. While another live run
 * holds it, this waits (saying so once through `onWait`), at most `waitMs`, then throws an InstanceBusyError
 * naming the holder. A lock whose holder is gone (its process ended on this host, or its lease, `owner`'s
 * leaseSeconds, ran out) is taken over. An abort of `signal` while waiting rejects with its reason.
 */
export async function acquireRunLock(
  runtime: Runtime,
  lab: string,
  instance: string,
  image: string,
  owner: Owner,
  opts: RunLockOptions = {},
): Promise<RunLock> {
  const name = runLockName(lab, instance);
  const labels = {
    [LABEL.managed]: 'true',
    [LABEL.role]: 'run-lock',
    [LABEL.lockLab]: lab,
    [LABEL.lockInstance]: instance,
    ...ownerLabels(owner),
  };
  const deadline = Date.now() + (opts.waitMs ?? 5 * 60_000);
  const pollMs = opts.pollMs ?? 500;
  let tookOver: string | undefined;
  let said = false;
  let holder = '';
  for (;;) {
    throwIfAborted(opts.signal);
    if (await runtime.createPlaceholder(name, image, labels)) {
      return { ...(tookOver !== undefined ? { tookOver } : {}), release: () => runtime.removeContainers([name]) };
    }
    const held = (await runtime.listContainers(runLockFilter(lab, instance)))[0];
    if (held !== undefined && !lockIsLive(held.labels, new Date())) {
      // Its holder is gone: remove that very lock (by id, not a newer one of the same name) and try again.
      tookOver = describeOwner(held.labels);
      await runtime.removeContainers([held.id]);
      continue;
    }
    if (held !== undefined) {
      holder = describeOwner(held.labels);
      if (!said) {
        said = true;
        opts.onWait?.(`waiting for another check on ${lab}/${instance} (${holder}) to finish`);
      }
    }
    if (Date.now() >= deadline) {
      throw new InstanceBusyError(`another check is still running on instance ${instance} of ${lab}${holder ? ` (${holder})` : ''}`, {
        hint: `wait until it has finished, or stop it (Ctrl-C there${held?.labels[LABEL.ownerPid] ? `, or kill ${held.labels[LABEL.ownerPid]}` : ''}), then run this command again`,
      });
    }
    await pause(held === undefined ? 50 : pollMs, opts.signal);
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
