import { LABEL, labelFilter } from '../plan/labels.js';
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
  // The host rules for routers and IPv6 go with the last lab that needed them: the engine is left as found.
  if (networks.some((n) => n.labels[LABEL.hostRules] === 'true')) {
    const left = await runtime.listNetworks([`${LABEL.managed}=true`, `${LABEL.hostRules}=true`]);
    if (left.length === 0) await runtime.removeHostRules();
  }
  return { containers: containers.length, networks: networks.length };
}
