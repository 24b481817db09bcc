import type { Lab } from '../lab/model.js';
import { baseLabels, LABEL } from './labels.js';
import { cidrRange, intToIp, ipToInt, maskBits, overlaps } from './ip.js';

export const DEFAULT_INSTANCE = 'default';
/** Instance subnets come from here: a private range that Docker's default address pools (172.17-31/16, 192.168/16) do not use. */
export const DEFAULT_SUBNET_POOL = '10.128.0.0/9';

export interface NetworkPlan {
  /** Name in the lab file. */
  name: string;
  /** Docker network name. */
  dockerName: string;
  /** Linux bridge name (at most 15 characters, common prefix `tl-` so router labs can let lab bridges through). */
  bridge: string;
  declaredSubnet: string;
  subnet: string;
  labels: Record<string, string>;
}

export interface NodePlan {
  name: string;
  container: string;
  hostname: string;
  /** Interfaces in a stable order; the first is the network the container is created on. */
  interfaces: { network: string; declared: string; address: string }[];
  labels: Record<string, string>;
}

export interface LabPlan {
  lab: string;
  instance: string;
  image: string;
  networks: NetworkPlan[];
  nodes: NodePlan[];
}

export interface PlanOptions {
  instance?: string;
  image: string;
  /** Subnets already in use on the engine; the plan avoids them. */
  usedSubnets?: string[];
  pool?: string;
  /** Where to start looking in the pool, for retries after a race with another instance. */
  attempt?: number;
  /** Subnets already given to this instance's networks (a running instance, re-found from its labels). */
  fixedSubnets?: Record<string, string>;
}

export const INSTANCE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** Turns a lab into concrete Docker names, subnets and addresses. Pure: the same input gives the same plan. */
export function planLab(lab: Lab, opts: PlanOptions): LabPlan {
  const def = lab.def;
  const instance = opts.instance ?? DEFAULT_INSTANCE;
  const prefix = `tl-${def.name}-${instance}`;
  const used = [...(opts.usedSubnets ?? [])];
  const networks: NetworkPlan[] = [];
  for (const [name, n] of Object.entries(def.networks)) {
    const subnet = opts.fixedSubnets?.[name] ?? allocateSubnet(n.subnet, used, opts.pool ?? DEFAULT_SUBNET_POOL, `${def.name}/${instance}/${name}`, opts.attempt ?? 0);
    used.push(subnet);
    networks.push({
      name,
      dockerName: `${prefix}-${name}`,
      bridge: 'tl-' + shortHash(`${def.name}/${instance}/${name}`),
      declaredSubnet: n.subnet,
      subnet,
      labels: { ...baseLabels(def.name, instance), [LABEL.role]: 'network', [LABEL.network]: name, [LABEL.declaredSubnet]: n.subnet },
    });
  }
  const nodes: NodePlan[] = Object.entries(def.nodes).map(([name, n]) => {
    const interfaces = Object.entries(n.interfaces).map(([network, declared]) => {
      const net = networks.find((x) => x.name === network);
      if (!net) throw new Error(`node ${name}: unknown network ${network}`);
      return { network, declared, address: translate(declared, net.declaredSubnet, net.subnet) };
    });
    return {
      name,
      container: `${prefix}-${name}`,
      hostname: name,
      interfaces,
      labels: {
        ...baseLabels(def.name, instance),
        [LABEL.role]: 'node',
        [LABEL.node]: name,
        [LABEL.declaredAddresses]: interfaces.map((i) => `${i.network}=${i.declared}`).join(','),
        [LABEL.labFile]: lab.file,
      },
    };
  });
  return { lab: def.name, instance, image: opts.image, networks, nodes };
}

/** Keeps the host part of an address while moving it from the declared subnet to the instance's. */
export function translate(address: string, declaredSubnet: string, subnet: string): string {
  const d = cidrRange(declaredSubnet);
  const s = cidrRange(subnet);
  if (!d || !s) return address;
  const host = (ipToInt(address) & ~maskBits(d.prefix)) >>> 0;
  return intToIp((s.start | host) >>> 0);
}

/**
 * Picks a block of the declared size from the pool that overlaps nothing in use. The search starts at a
 * position derived from the key, so an instance tends to get the same subnet each time and parallel
 * instances rarely race for the same block.
 */
export function allocateSubnet(declared: string, used: string[], pool: string, key: string, attempt: number): string {
  const d = cidrRange(declared);
  const p = cidrRange(pool);
  if (!d || !p) throw new Error(`bad subnet ${declared} or pool ${pool}`);
  if (d.prefix < p.prefix) throw new Error(`the pool ${pool} is smaller than the network ${declared}`);
  const size = 2 ** (32 - d.prefix);
  const blocks = 2 ** (d.prefix - p.prefix);
  const startBlock = (hashNumber(key) + attempt * 7919) % blocks;
  for (let i = 0; i < blocks; i++) {
    const b = (startBlock + i) % blocks;
    const candidate = `${intToIp(p.start + b * size)}/${d.prefix}`;
    if (!used.some((u) => overlaps(u, candidate))) return candidate;
  }
  throw new Error(`no free /${d.prefix} left in the subnet pool ${pool}`);
}

function hashNumber(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

function shortHash(s: string): string {
  return hashNumber(s).toString(16).padStart(8, '0') + (hashNumber(s + '#') & 0xff).toString(16).padStart(2, '0');
}
