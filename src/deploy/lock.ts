import { hostname } from 'node:os';
import { InstanceBusyError } from '../errors.js';
import { LABEL, leaseExpired, ownerLabels, ownerState, processAlive, type Owner } from '../plan/labels.js';
import type { ResourceSummary, Runtime } from '../runtime/runtime.js';

/** The lock's container name: dots keep it apart from every node container (`tl-<lab>-<instance>-<node>`). */
export function lockName(lab: string, instance: string): string {
  return `tl-lock.${lab}.${instance}`;
}

export function lockFilter(lab?: string, instance?: string): string[] {
  return [
    `${LABEL.managed}=true`,
    `${LABEL.role}=lock`,
    ...(lab !== undefined ? [`${LABEL.lockLab}=${lab}`] : []),
    ...(instance !== undefined ? [`${LABEL.lockInstance}=${instance}`] : []),
  ];
}

/** "pid 123 on host h, `lab up`, since 10:04:05": who holds something, for messages. */
export function describeOwner(labels: Record<string, string>): string {
  const pid = labels[LABEL.ownerPid] ?? '?';
  const host = labels[LABEL.ownerHost];
  const cmd = labels[LABEL.ownerCommand];
  const since = labels[LABEL.ownerStarted];
  return `pid ${pid}${host !== undefined && host !== hostname() ? ` on host ${host}` : ''}${cmd !== undefined ? `, \`lab ${cmd}\`` : ''}${since !== undefined ? `, since ${since.slice(11, 19)} UTC` : ''}`;
}

export interface CreationLock {
  /** A lock left by an owner that is gone was taken over: the instance may be half made and must be rebuilt. */
  tookOver?: string;
  release(): Promise<void>;
}

/**
 * Takes the engine-wide lock on creating one instance: a labelled container that is created and never started.
 * Two commands creating the same instance at once: one gets the lock, the other an InstanceBusyError naming
 * the holder, and it touches nothing. A lock whose owner is gone (its process ended on this host, or its lease
 * ran out) is taken over.
 */
export async function acquireCreationLock(
  runtime: Runtime,
  lab: string,
  instance: string,
  image: string,
  owner: Owner,
): Promise<CreationLock> {
  const name = lockName(lab, instance);
  const labels = {
    [LABEL.managed]: 'true',
    [LABEL.role]: 'lock',
    [LABEL.lockLab]: lab,
    [LABEL.lockInstance]: instance,
    ...ownerLabels(owner),
  };
  let tookOver: string | undefined;
  let holder = '';
  for (let attempt = 0; attempt < 12; attempt++) {
    if (await runtime.createPlaceholder(name, image, labels)) {
      return { ...(tookOver !== undefined ? { tookOver } : {}), release: () => runtime.removeContainers([name]) };
    }
    const held: ResourceSummary | undefined = (await runtime.listContainers(lockFilter(lab, instance)))[0];
    if (held === undefined) {
      // Released in between, or made a moment ago and not listed yet: look again shortly.
      await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
      continue;
    }
    holder = ` (${describeOwner(held.labels)})`;
    if (lockIsLive(held.labels, new Date())) {
      throw new InstanceBusyError(`instance ${instance} of ${lab} is being created by another command (${describeOwner(held.labels)})`, {
        hint: 'wait until it has finished, then run this command again',
      });
    }
    tookOver = describeOwner(held.labels);
    await runtime.removeContainers([held.id]);
  }
  throw new InstanceBusyError(`instance ${instance} of ${lab} is being created by another command${holder}`, {
    hint: 'wait until it has finished, then run this command again',
  });
}

/** A lock still holds while its owner runs (on this host), or, when that cannot be known, until its lease ends. */
export function lockIsLive(labels: Record<string, string>, now: Date, here = hostname(), isAlive = processAlive): boolean {
  const st = ownerState(labels, here, isAlive);
  return st === 'alive' || (st === 'unknown' && !leaseExpired(labels, now));
}

/**
 * Throws an InstanceBusyError naming the holder when a live command holds the creation lock of this instance
 * (`lab down` while `lab up` is still making it): removing its containers then would only make that command
 * fail with the engine's own 404/409 text. A lock whose owner is gone does not stop anything.
 */
export async function refuseWhileBeingCreated(runtime: Runtime, lab: string, instance: string, now = new Date()): Promise<void> {
  refuseIfLive(await runtime.listContainers(lockFilter(lab, instance)), lab, instance, now);
}

/** refuseWhileBeingCreated on creation locks already listed (`lockFilter(lab, instance)`). */
export function refuseIfLive(locks: ResourceSummary[], lab: string, instance: string, now = new Date()): void {
  const held = locks.find((l) => lockIsLive(l.labels, now));
  if (held === undefined) return;
  throw new InstanceBusyError(`instance ${instance} of ${lab} is being created by another command (${describeOwner(held.labels)})`, {
    hint: `wait until it has finished, or stop that command (Ctrl-C there, or kill ${held.labels[LABEL.ownerPid] ?? 'its pid'}), then run this command again`,
  });
}
