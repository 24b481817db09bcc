import { LABEL } from '../runtime/labels.js';

// The label keys are the engine's vocabulary (the runtime labels its own helpers with them): src/runtime/labels.ts.
export { LABEL };

export interface Owner {
  command: string;
  host: string;
  pid: number;
  started: Date;
  /** How long the owner holds what it makes, in seconds. */
  leaseSeconds: number;
}

/** The lease of grading instances and creation locks: TOPLAB_LEASE_SECONDS, default 900 (15 minutes). */
export function leaseSeconds(env: Record<string, string | undefined> = process.env): number {
  const s = Number(env.TOPLAB_LEASE_SECONDS);
  return Number.isFinite(s) && s > 0 ? s : 900;
}

/** The labels that say who owns a resource and until when. */
export function ownerLabels(owner: Owner): Record<string, string> {
  return {
    [LABEL.ownerCommand]: owner.command,
    [LABEL.ownerHost]: owner.host,
    [LABEL.ownerPid]: String(owner.pid),
    [LABEL.ownerStarted]: owner.started.toISOString(),
    [LABEL.leaseUntil]: new Date(owner.started.getTime() + owner.leaseSeconds * 1000).toISOString(),
  };
}

export type OwnerState = 'alive' | 'gone' | 'unknown';

/**
 * Whether the owner named by `labels` still runs: `unknown` when it ran on another host (or the labels say
 * nothing), since only a process on this host can be looked up. `isAlive` is injectable for tests.
 */
export function ownerState(labels: Record<string, string>, here: string, isAlive: (pid: number) => boolean): OwnerState {
  const host = labels[LABEL.ownerHost];
  const pid = Number(labels[LABEL.ownerPid]);
  if (host === undefined || !Number.isInteger(pid) || pid <= 0 || host !== here) return 'unknown';
  return isAlive(pid) ? 'alive' : 'gone';
}

/** True when the labels carry a lease that has run out at `now`; false without a lease (a user's lab never expires). */
export function leaseExpired(labels: Record<string, string>, now: Date): boolean {
  const until = Date.parse(labels[LABEL.leaseUntil] ?? '');
  return Number.isFinite(until) && until <= now.getTime();
}

/** Whether process `pid` exists on this host (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type Role = 'node' | 'observer' | 'network' | 'helper';

export function baseLabels(lab: string, instance: string): Record<string, string> {
  return { [LABEL.managed]: 'true', [LABEL.lab]: lab, [LABEL.instance]: instance };
}

/** Docker label filters for one lab instance, one lab, or every toplab resource. */
export function labelFilter(lab?: string, instance?: string): string[] {
  const f = [`${LABEL.managed}=true`];
  if (lab !== undefined) f.push(`${LABEL.lab}=${lab}`);
  if (instance !== undefined) f.push(`${LABEL.instance}=${instance}`);
  return f;
}

/** On every container and network of a workshop server's instance: the workshop's id (src/server). */
export const WORKSHOP_LABEL = 'org.toplab.workshop';
/** With it, the id of the server's data directory: a server reconciles only what it made itself. */
export const WORKSHOP_SERVER_LABEL = 'org.toplab.workshop-server';
