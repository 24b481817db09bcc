import type { LabPlan } from './plan.js';

/**
 * /etc/hosts entries (`name:address`) a node needs so that every node of the lab resolves by name.
 * Docker's DNS answers only for nodes on a network the caller shares; a node behind routers (the server
 * seen from the client in a routed lab) gets the addresses of its first interface here: IPv4, and IPv6
 * when that network is dual-stack. Pure.
 */
export function extraHosts(plan: LabPlan, nodeName: string): string[] {
  const self = plan.nodes.find((n) => n.name === nodeName);
  if (!self) return [];
  const mine = new Set(self.interfaces.map((i) => i.network));
  const out: string[] = [];
  for (const other of plan.nodes) {
    if (other.name === nodeName || other.interfaces.some((i) => mine.has(i.network))) continue;
    const first = other.interfaces[0];
    if (!first) continue;
    out.push(`${other.name}:${first.address}`);
    if (first.address6 !== undefined) out.push(`${other.name}:${first.address6}`);
  }
  return out;
}
