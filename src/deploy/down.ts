import { LABEL, labelFilter } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';
import { runLockFilter } from './run-lock.js';

export interface DownResult {
  containers: number;
  networks: number;
}

/** What removeInstance removes, listed ahead (one round trip for both lists): see `listed`. */
export interface InstanceListing {
  containers: { id: string }[];
  networks: { id: string; labels: Record<string, string> }[];
  /** The instance's run lock (`runLockFilter`), when it was listed too; else removeInstance lists it. */
  runLocks?: { id: string }[];
}

/** Lists the containers and networks labelled for one instance (or a lab, or every toplab lab), asked together. */
export async function listInstance(runtime: Runtime, lab?: string, instance?: string): Promise<InstanceListing> {
  const filter = labelFilter(lab, instance);
  const [containers, networks] = await Promise.all([runtime.listContainers(filter), runtime.listNetworks(filter)]);
  return { containers, networks };
}

/**
 * Removes everything labelled for one instance (or all of a lab, or every toplab lab): containers first, then
 * networks. `listed`: what listInstance found just before (by a caller that asked for it alongside other
 * questions, so removal starts one round trip sooner); by default it is listed here.
 */
export async function removeInstance(runtime: Runtime, lab?: string, instance?: string, listed?: InstanceListing): Promise<DownResult> {
  const [{ containers, networks }, runLocks] = await Promise.all([
    listed ?? listInstance(runtime, lab, instance),
    // A run lock goes with its instance (one left by a killed `lab check` would otherwise stay until the next).
    listed?.runLocks !== undefined
      ? listed.runLocks
      : lab !== undefined && instance !== undefined
        ? runtime.listContainers(runLockFilter(lab, instance))
        : Promise.resolve([]),
  ]);
  // Force-removal kills at once: no 10-second stop timeout.
  await runtime.removeContainers([...containers, ...runLocks].map((c) => c.id));
  await runtime.removeNetworks(networks.map((n) => n.id));
  // The host rules for routers and IPv6 go with the last lab that needed them: the engine is left as found.
  if (networks.some((n) => n.labels[LABEL.hostRules] === 'true')) {
    const left = await runtime.listNetworks([`${LABEL.managed}=true`, `${LABEL.hostRules}=true`]);
    if (left.length === 0) await runtime.removeHostRules();
  }
  return { containers: containers.length, networks: networks.length };
}
