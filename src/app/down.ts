import { listInstance, removeInstance } from '../deploy/down.js';
import { lockFilter, lockIsLive, refuseIfLive } from '../deploy/lock.js';
import { runLockFilter } from '../deploy/run-lock.js';
import { UsageError } from '../errors.js';
import { LABEL } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';

/** What `lab down` removed on one engine. */
export interface DownReport {
  containers: number;
  networks: number;
}

/**
 * Removes an instance of a lab (`lab` and `instance`), or every toplab lab (both undefined), from one engine,
 * found by toplab's labels alone, and creation locks left by commands that are gone. Refuses
 * (InstanceBusyError) while another command creates the instance. When nothing was found and the lab's file
 * (`labFile`) made an instance under another name (its `name:` was edited since `up`), throws a UsageError
 * naming it. (An engine pool: src/cli/commands.ts.)
 */
export async function downLab(opts: {
  runtime: Runtime;
  lab?: string | undefined;
  instance?: string | undefined;
  labFile?: string | undefined;
}): Promise<DownReport> {
  const { lab, instance, runtime } = opts;
  // The creation locks, the instance's containers and networks and its run lock are asked together (one round
  // trip); nothing is removed unless no live command is creating the instance.
  const [locks, listed, runLocks] = await Promise.all([
    runtime.listContainers(lockFilter(lab, instance)),
    listInstance(runtime, lab, instance),
    lab !== undefined && instance !== undefined ? runtime.listContainers(runLockFilter(lab, instance)) : Promise.resolve([]),
  ]);
  if (lab !== undefined && instance !== undefined) refuseIfLive(locks, lab, instance);
  // A creation lock left by a command that is gone goes too, alongside; one whose owner still runs stays (it is creating).
  const staleLocks = locks.filter((l) => !lockIsLive(l.labels, new Date()));
  const [r] = await Promise.all([
    removeInstance(runtime, lab, instance, { ...listed, runLocks }),
    runtime.removeContainers(staleLocks.map((l) => l.id)),
  ]);
  if (r.containers === 0 && r.networks === 0 && lab !== undefined && opts.labFile !== undefined) {
    // Made from this lab file under a name it no longer has (the file's `name:` was edited since `up`)?
    const other = (
      await runtime.listContainers([`${LABEL.managed}=true`, `${LABEL.labFile}=${opts.labFile}`, `${LABEL.instance}=${instance ?? ''}`])
    ).map((c) => c.labels[LABEL.lab]);
    const names = [...new Set(other.filter((x): x is string => x !== undefined && x !== lab))];
    if (names.length > 0) {
      throw new UsageError(
        `nothing of ${lab} (instance ${instance ?? ''}) runs, but ${names.join(', ')} (instance ${instance ?? ''}) runs from the same lab file ${opts.labFile}`,
        {
          hint: `its lab file was renamed since \`lab up\`: lab down ${names[0] ?? ''} --instance ${instance ?? ''}`,
        },
      );
    }
  }
  return { containers: r.containers, networks: r.networks };
}
