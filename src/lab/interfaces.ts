import type { InterfaceDef, NodeDef } from './model.js';

/** The long form of an interface: a bare address is `{ ipv4: address }`. */
export function interfaceOf(v: string | InterfaceDef): InterfaceDef {
  return typeof v === 'string' ? { ipv4: v } : v;
}

/** The sysctls that make a node forward packets. */
export const ROUTER_SYSCTLS: Record<string, string> = {
  'net.ipv4.ip_forward': '1',
  'net.ipv6.conf.all.forwarding': '1',
};

/** Every sysctl a node is created with: the router's, then the lab's own (which win). */
export function nodeSysctls(node: NodeDef): Record<string, string> {
  const out: Record<string, string> = node.router ? { ...ROUTER_SYSCTLS } : {};
  for (const [k, v] of Object.entries(node.sysctls ?? {})) out[k] = String(v);
  return out;
}

/** Whether the node forwards IPv4 packets (router: true, or the sysctl set by hand). */
export function forwards(node: NodeDef, family: 4 | 6): boolean {
  const key = family === 4 ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
  return nodeSysctls(node)[key] === '1';
}
