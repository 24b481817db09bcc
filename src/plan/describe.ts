import { describeImpairment } from './impair.js';
import type { LabPlan } from './plan.js';

/** The plan in words, as `lab up --dry-run` prints it. Pure. */
export function describePlan(plan: LabPlan): string {
  const lines: string[] = [`plan for ${plan.lab} (instance ${plan.instance}); image ${plan.image}`, 'networks (internal; the host has no address on them):'];
  for (const n of plan.networks) {
    const v6 = n.subnet6 !== undefined ? `  ${n.subnet6} (declared ${n.declaredSubnet6})` : '';
    const mtu = n.mtu !== undefined ? `, mtu ${n.mtu}` : '';
    lines.push(`  ${n.name.padEnd(12)} ${n.subnet.padEnd(18)} (declared ${n.declaredSubnet})${v6}  docker network ${n.dockerName}, bridge ${n.bridge}${mtu}`);
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
