import { impairmentCommands, type KernelTc } from './impair.js';
import type { NodePlan } from './plan.js';
import { formatIp6, parseIp6 } from '../util/address.js';

/** Address (canonical text) → interface name, from `ip -o addr show`. Pure. */
export function parseIpAddr(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^\d+:\s+([^\s@]+)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F:.]+)\//.exec(line);
    if (!m || m[1] === undefined || m[3] === undefined) continue;
    const addr = m[2] === 'inet6' ? formatIp6(parseIp6(m[3]) ?? 0n) : m[3];
    out.set(addr, m[1]);
  }
  return out;
}

export interface NodeNetworkCommands {
  commands: string[][];
  /** What cannot be done on this kernel or in this namespace (nothing is run when there is any). */
  problems: string[];
}

/** Whether a node needs anything done in its namespace after it starts (routes, gateways, impairments). */
export function needsNetworkSetup(node: NodePlan): boolean {
  return (
    node.gateway !== undefined ||
    node.gateway6 !== undefined ||
    node.routes.length > 0 ||
    node.interfaces.some((i) => i.impair !== undefined)
  );
}

/** Whether any impairment of the node needs to know if the kernel has netem. */
export function needsNetemProbe(node: NodePlan): boolean {
  return node.interfaces.some((i) => i.impair?.delay !== undefined || i.impair?.jitter !== undefined || i.impair?.loss !== undefined);
}

/**
 * The commands that give a started node its default gateways, static routes and link impairments, run as
 * root in its network namespace (from its observer). Pure: `devices` maps the node's addresses to its
 * interface names, as Docker does not promise which network becomes eth0.
 */
export function nodeNetworkCommands(node: NodePlan, devices: Map<string, string>, kernel: KernelTc): NodeNetworkCommands {
  const commands: string[][] = [];
  const problems: string[] = [];
  if (node.gateway !== undefined) commands.push(['ip', 'route', 'replace', 'default', 'via', node.gateway]);
  if (node.gateway6 !== undefined) commands.push(['ip', '-6', 'route', 'replace', 'default', 'via', node.gateway6]);
  for (const r of node.routes) commands.push(['ip', ...(r.family === 6 ? ['-6'] : []), 'route', 'replace', r.to, 'via', r.via]);
  for (const i of node.interfaces) {
    if (!i.impair) continue;
    const dev = devices.get(i.address);
    if (dev === undefined) {
      problems.push(`node ${node.name} has no interface with the address ${i.address} (network ${i.network})`);
      continue;
    }
    const r = impairmentCommands(dev, i.impair, kernel, { ipv6: i.address6 !== undefined });
    if (r.unsupported) problems.push(`node ${node.name}, interface ${i.network}: ${r.unsupported}`);
    commands.push(...r.commands);
  }
  return { commands, problems };
}
