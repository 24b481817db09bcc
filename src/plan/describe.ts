import { describeImpairment } from '../lab/impairment.js';
import type { LabPlan } from './plan.js';

/** The plan in words, as `lab up --dry-run` prints it. Pure. */
export function describePlan(plan: LabPlan): string {
  const lines: string[] = [
    `plan for ${plan.lab} (instance ${plan.instance}); image ${plan.image}`,
    'networks (internal; the host has no address on them):',
  ];
  for (const n of plan.networks) {
    const v6 = n.subnet6 !== undefined ? `  ${n.subnet6} (declared ${n.declaredSubnet6})` : '';
    const mtu = n.mtu !== undefined ? `, mtu ${n.mtu}` : '';
    lines.push(
      `  ${n.name.padEnd(12)} ${n.subnet.padEnd(18)} (declared ${n.declaredSubnet})${v6}  docker network ${n.dockerName}, bridge ${n.bridge}${mtu}`,
    );
  }
  lines.push('nodes (no capabilities unless listed; programs run as uid 1000):');
  for (const node of plan.nodes) {
    lines.push(`  ${node.name.padEnd(12)} container ${node.container}${node.router ? ', router' : ''}`);
    for (const i of node.interfaces) {
      const v6 = i.address6 !== undefined ? ` ${i.address6}` : '';
      const imp = i.impair ? `  [${describeImpairment(i.impair)}]` : '';
      lines.push(`    ${i.network.padEnd(10)} ${i.address}${v6}${imp}`);
    }
    if (node.gateway !== undefined) lines.push(`    default via ${node.gateway}`);
    if (node.gateway6 !== undefined) lines.push(`    default via ${node.gateway6} (IPv6)`);
    for (const r of node.routes) lines.push(`    route ${r.to} via ${r.via}`);
    const sysctls = Object.entries(node.sysctls);
    if (sysctls.length > 0) lines.push(`    sysctls ${sysctls.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    if (node.capAdd.length > 0) lines.push(`    capabilities ${node.capAdd.join(' ')}`);
  }
  const rules: string[] = [];
  if (plan.hostRules.bridgedForwarding) rules.push('accept frames bridged on lab bridges (tl-+) in DOCKER-USER, so routers work');
  if (plan.hostRules.ipv6Isolation) rules.push('drop IPv6 the host would route to or from lab bridges, and traffic to the host from them');
  if (rules.length > 0) lines.push(`host packet filter: ${rules.join('; ')}`);
  lines.push('subnets are chosen again at `lab up` to avoid ones in use on the engine.');
  return lines.join('\n') + '\n';
}

/**
 * What a student must know when an instance's addresses are not the ones the lab's README quotes: the
 * default instance falls back to pool subnets only when a declared one is in use on the engine; a named
 * instance always has its own. One line per moved network, with one node's address as an example. Pure.
 */
export function addressNotes(plan: LabPlan): string[] {
  const notes: string[] = [];
  for (const n of plan.networks) {
    const moved4 = n.subnet !== n.declaredSubnet;
    const moved6 = n.subnet6 !== undefined && n.subnet6 !== n.declaredSubnet6;
    if (!moved4 && !moved6) continue;
    const example = plan.nodes.flatMap((node) =>
      node.interfaces.filter((i) => i.network === n.name).map((i) => ({ node: node.name, i })),
    )[0];
    const eg = example
      ? ` (${example.node} is ${moved4 ? example.i.address : (example.i.address6 ?? '')}, not ${moved4 ? example.i.declared : (example.i.declared6 ?? '')})`
      : '';
    const what = [
      moved4 ? `${n.subnet} instead of ${n.declaredSubnet}` : '',
      moved6 ? `${n.subnet6 ?? ''} instead of ${n.declaredSubnet6 ?? ''}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    const why =
      plan.instance === 'default'
        ? 'its declared subnet is in use on this engine (another lab is up?)'
        : `instance ${plan.instance} has subnets of its own`;
    notes.push(`network ${n.name}: ${what}: ${why}; the addresses differ from the lab's README${eg}`);
  }
  return notes;
}
