import { labelFilter } from '../plan/labels.js';
import type { Runtime } from '../runtime/runtime.js';

export interface DownResult {
  containers: number;
  networks: number;
}

/** Removes everything labelled for one instance (or all of a lab, or every toplab lab): containers first, then networks. */
export async function removeInstance(runtime: Runtime, lab?: string, instance?: string): Promise<DownResult> {
  const filter = labelFilter(lab, instance);
  const containers = await runtime.listContainers(filter);
  // Force-removal kills at once: no 10-second stop timeout.
  await runtime.removeContainers(containers.map((c) => c.id));
  const networks = await runtime.listNetworks(filter);
  await runtime.removeNetworks(networks.map((n) => n.id));
  return { containers: containers.length, networks: networks.length };
}
