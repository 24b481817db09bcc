import { interfaceOf } from '../lab/interfaces.js';
import type { Topology } from '../lab/graph.js';
import type { LabPlan } from './plan.js';

/**
 * The lab definition as one instance runs it: each network's subnets and each interface's addresses are the
 * instance's (from its plan), so `lab graph --instance` draws what `ip addr` and netstat show in its nodes.
 * Gateways and routes are the instance's too. Pure.
 */
export function instanceDefinition<T extends Topology>(def: T, plan: LabPlan): T {
  const networks = Object.fromEntries(
    Object.entries(def.networks).map(([name, n]) => {
      const p = plan.networks.find((x) => x.name === name);
      return [name, { ...n, subnet: p?.subnet ?? n.subnet, ...(n.subnet6 !== undefined ? { subnet6: p?.subnet6 ?? n.subnet6 } : {}) }];
    }),
  );
  const nodes = Object.fromEntries(
    Object.entries(def.nodes).map(([name, node]) => {
      const planned = plan.nodes.find((x) => x.name === name);
      const interfaces = Object.fromEntries(
        Object.entries(node.interfaces).map(([network, raw]) => {
          const iface = interfaceOf(raw);
          const p = planned?.interfaces.find((i) => i.network === network);
          return [
            network,
            { ...iface, ipv4: p?.address ?? iface.ipv4, ...(iface.ipv6 !== undefined ? { ipv6: p?.address6 ?? iface.ipv6 } : {}) },
          ];
        }),
      );
      const moved = {
        ...(node.gateway !== undefined && planned?.gateway !== undefined ? { gateway: planned.gateway } : {}),
        ...(node.gateway6 !== undefined && planned?.gateway6 !== undefined ? { gateway6: planned.gateway6 } : {}),
        ...(node.routes !== undefined && planned ? { routes: planned.routes.map((r) => ({ to: r.to, via: r.via })) } : {}),
      };
      return [name, { ...node, interfaces, ...moved }];
    }),
  );
  return { ...def, networks, nodes };
}
