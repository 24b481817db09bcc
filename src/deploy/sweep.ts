import { readdirSync, rmSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL, leaseExpired, ownerState, processAlive, type OwnerState } from '../plan/labels.js';
import type { ResourceSummary, Runtime } from '../runtime/runtime.js';
import { removeInstance } from './down.js';
import { describeOwner } from './lock.js';

/** An instance (or a creation lock) whose owner is gone or whose lease has run out. */
export interface Orphan {
  lab: string;
  instance: string;
  /** `grading`: a temporary grading instance; `creating`: an instance whose creator stopped half way. */
  kind: 'grading' | 'creating';
  owner: OwnerState;
  /** The owner is not running (or cannot be known) and the lease has run out: every command's sweep removes it. */
  expired: boolean;
  /** Why it is an orphan, in words. */
  reason: string;
  lockId?: string;
}

export interface SweepContext {
  now?: Date;
  host?: string;
  isAlive?: (pid: number) => boolean;
}

/**
 * Finds orphans from the resources' ownership labels. Pure. Nothing without ownership labels is ever one, nor
 * a user's lab (`up` hands it over when it has finished), nor anything whose owner still runs.
 */
export function findOrphans(containers: ResourceSummary[], networks: ResourceSummary[], ctx: SweepContext = {}): Orphan[] {
  const now = ctx.now ?? new Date();
  const here = ctx.host ?? hostname();
  const isAlive = ctx.isAlive ?? processAlive;
  const out = new Map<string, Orphan>();
  const consider = (
    labels: Record<string, string>,
    kind: Orphan['kind'],
    lab: string | undefined,
    instance: string | undefined,
    lockId?: string,
  ): void => {
    if (lab === undefined || instance === undefined || labels[LABEL.ownerPid] === undefined) return;
    const owner = ownerState(labels, here, isAlive);
    if (owner === 'alive') return;
    const expired = leaseExpired(labels, now);
    if (owner === 'unknown' && !expired) return;
    const key = `${lab}\u0000${instance}`;
    if (out.has(key) && lockId === undefined) return;
    const who = describeOwner(labels);
    const reason =
      (kind === 'grading' ? 'grading instance' : 'left half made') +
      (owner === 'gone' ? `; its owner (${who}) is gone` : `; owner ${who}`) +
      (expired ? `; lease ended ${labels[LABEL.leaseUntil] ?? ''}` : `; lease ends ${labels[LABEL.leaseUntil] ?? ''}`);
    out.set(key, {
      lab,
      instance,
      kind,
      owner,
      expired,
      reason,
      ...(lockId !== undefined ? { lockId } : out.get(key)?.lockId !== undefined ? { lockId: out.get(key)?.lockId } : {}),
    });
  };
  for (const r of [...containers, ...networks]) {
    if (r.labels[LABEL.managed] !== 'true') continue;
    if (r.labels[LABEL.role] === 'lock') consider(r.labels, 'creating', r.labels[LABEL.lockLab], r.labels[LABEL.lockInstance], r.id);
    else if (r.labels[LABEL.purpose] === 'grading') consider(r.labels, 'grading', r.labels[LABEL.lab], r.labels[LABEL.instance]);
  }
  return [...out.values()].sort((a, b) => a.lab.localeCompare(b.lab) || a.instance.localeCompare(b.instance));
}

/** Every orphan on the engine now. */
export async function listOrphans(runtime: Runtime, ctx: SweepContext = {}): Promise<Orphan[]> {
  const [containers, networks] = await Promise.all([
    runtime.listContainers([`${LABEL.managed}=true`]),
    runtime.listNetworks([`${LABEL.managed}=true`]),
  ]);
  return findOrphans(containers, networks, ctx);
}

/**
 * Removes orphans: by default only those whose lease has run out (what every command does at its start,
 * two list requests when there is nothing to do); with `all`, every orphan (`lab prune`). Returns what went.
 */
export async function sweep(runtime: Runtime, opts: SweepContext & { all?: boolean } = {}): Promise<Orphan[]> {
  const gone = (await listOrphans(runtime, opts)).filter((o) => opts.all === true || o.expired);
  await Promise.all(
    gone.map(async (o) => {
      await removeInstance(runtime, o.lab, o.instance);
      if (o.lockId !== undefined) await runtime.removeContainers([o.lockId]);
    }),
  );
  sweepTempFolders(opts.isAlive ?? processAlive);
  return gone;
}

/** Submission copies (`toplab-submission-<pid>-*`) of graders that are no longer running on this host. */
export function sweepTempFolders(isAlive: (pid: number) => boolean, dir = tmpdir()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = /^toplab-submission-(\d+)-/.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    try {
      if (!statSync(join(dir, name)).isDirectory()) continue;
      rmSync(join(dir, name), { recursive: true, force: true });
      removed++;
    } catch {
      // another sweep got there first
    }
  }
  return removed;
}
