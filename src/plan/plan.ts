import { UsageError } from '../errors.js';
import { forwards, interfaceOf, nodeSysctls } from '../lab/interfaces.js';
import type { ImpairmentDef, Lab } from '../lab/model.js';
import { baseLabels, LABEL } from './labels.js';
import type { HostRulesNeeded } from '../runtime/runtime.js';
import {
  cidrRange,
  formatCidr6,
  formatIp6,
  inCidr,
  inCidr6,
  intToIp,
  ipToInt,
  maskBits,
  overlaps,
  parseCidr,
  parseCidr6,
  translate6,
} from '../util/address.js';

export const DEFAULT_INSTANCE = 'default';
/** Instance subnets come from here: a private range that Docker's default address pools (172.17-31/16, 192.168/16) do not use. */
export const DEFAULT_SUBNET_POOL = '10.128.0.0/9';
/** IPv6 instance subnets come from this unique local /48 (RFC 4193), split into blocks of each network's size. */
export const DEFAULT_SUBNET_POOL6 = 'fd70:b1ab:c0de::/48';

export interface NetworkPlan {
  /** Name in the lab file. */
  name: string;
  /** Docker network name. */
  dockerName: string;
  /** Linux bridge name (at most 15 characters, common prefix `tl-` so router labs can let lab bridges through). */
  bridge: string;
  declaredSubnet: string;
  subnet: string;
  declaredSubnet6?: string;
  subnet6?: string;
  mtu?: number;
  description?: string;
  labels: Record<string, string>;
}

export interface InterfacePlan {
  network: string;
  /** IPv4 address as written in the lab file, and the instance's. */
  declared: string;
  address: string;
  declared6?: string;
  address6?: string;
  impair?: ImpairmentDef;
}

export interface RoutePlan {
  /** Destination and next hop in the instance's addresses. */
  to: string;
  via: string;
  family: 4 | 6;
}

export interface NodePlan {
  name: string;
  container: string;
  hostname: string;
  /** Interfaces in a stable order; the first is the network the container is created on. */
  interfaces: InterfacePlan[];
  /** Default gateways and static routes, in the instance's addresses, applied after the containers start. */
  gateway?: string;
  gateway6?: string;
  routes: RoutePlan[];
  sysctls: Record<string, string>;
  capAdd: string[];
  router: boolean;
  description?: string;
  labels: Record<string, string>;
}

export interface LabPlan {
  lab: string;
  instance: string;
  image: string;
  networks: NetworkPlan[];
  nodes: NodePlan[];
  hostRules: HostRulesNeeded;
}

export interface PlanOptions {
  instance?: string;
  image: string;
  /** Subnets already in use on the engine (IPv4 and IPv6); the plan avoids them. */
  usedSubnets?: string[];
  pool?: string;
  pool6?: string;
  /** Where to start looking in the pool, for retries after a race with another instance. */
  attempt?: number;
  /** Subnets already given to this instance's networks (a running instance, re-found from its labels). */
  fixedSubnets?: Record<string, string>;
  fixedSubnets6?: Record<string, string>;
  /**
   * Give each network its declared subnet when nothing in use overlaps it (else one from the pool). Default:
   * true for the default instance, so a student sees in netstat the addresses the lab's README quotes;
   * false for named instances, which always take pool subnets (many copies of one lab side by side).
   */
  preferDeclared?: boolean;
}

/** What to do when a pool cannot hold an instance: each lab network takes a block of its own size from it. */
const POOL_HINT =
  'give a larger pool with --subnet-pool or TOPLAB_SUBNET_POOL (e.g. 10.128.0.0/9): each network of the lab takes a block of its declared size from it, and the networks of other instances on the engine take theirs (`lab status` lists them)';
const POOL6_HINT =
  'give a larger IPv6 pool with TOPLAB_SUBNET_POOL6 (e.g. fd70:b1ab:c0de::/48): each dual-stack network of the lab takes a block of its declared size from it';

export const INSTANCE_PATTERN = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** The pools named by TOPLAB_SUBNET_POOL and TOPLAB_SUBNET_POOL6, or the defaults. */
export function subnetPools(env: Record<string, string | undefined> = process.env): { pool: string; pool6: string } {
  const pool = env.TOPLAB_SUBNET_POOL ?? DEFAULT_SUBNET_POOL;
  const pool6 = env.TOPLAB_SUBNET_POOL6 ?? DEFAULT_SUBNET_POOL6;
  const c = cidrRange(pool);
  if (!c || !parseCidr(pool) || c.prefix > 24)
    throw new UsageError(`the subnet pool \`${pool}\` is not an IPv4 subnet of /24 or larger`, {
      hint: 'set TOPLAB_SUBNET_POOL (or --subnet-pool) to a private range such as 10.128.0.0/9',
    });
  const c6 = parseCidr6(pool6);
  if (!c6 || c6.prefix > 64)
    throw new UsageError(`the IPv6 subnet pool \`${pool6}\` is not an IPv6 subnet of /64 or larger`, {
      hint: 'set TOPLAB_SUBNET_POOL6 to a unique local range such as fd70:b1ab:c0de::/48',
    });
  return { pool, pool6 };
}

/** Turns a lab into concrete Docker names, subnets and addresses. Pure: the same input gives the same plan. */
export function planLab(lab: Lab, opts: PlanOptions): LabPlan {
  const instance = opts.instance ?? DEFAULT_INSTANCE;
  const prefix = `tl-${lab.name}-${instance}`;
  const used = (opts.usedSubnets ?? []).filter((u) => !u.includes(':'));
  const used6 = (opts.usedSubnets ?? []).filter((u) => u.includes(':'));
  const networks: NetworkPlan[] = [];
  const declaredFirst = opts.preferDeclared ?? instance === DEFAULT_INSTANCE;
  const free = (cidr: string, inUse: string[]): boolean => !inUse.some((u) => overlaps(u, cidr));
  const free6 = (cidr: string, inUse: string[]): boolean => {
    const c = parseCidr6(cidr);
    return c !== undefined && !inUse.map(parseCidr6).some((u) => u !== undefined && u.start <= c.end && c.start <= u.end);
  };
  // Which lab asked for how much makes a pool's hint actionable: the pool must hold every network of it.
  const forLab = <T>(allocate: () => T): T => {
    try {
      return allocate();
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const count = Object.keys(lab.networks).length;
      throw new UsageError(e.message, {
        hint: `${e.hint ?? ''}; the lab ${lab.name} has ${count} network${count === 1 ? '' : 's'}`,
        cause: e,
      });
    }
  };
  for (const [name, n] of Object.entries(lab.networks)) {
    const key = `${lab.name}/${instance}/${name}`;
    const subnet =
      opts.fixedSubnets?.[name] ??
      (declaredFirst && free(n.subnet, used)
        ? n.subnet
        : forLab(() => allocateSubnet(n.subnet, used, opts.pool ?? DEFAULT_SUBNET_POOL, key, opts.attempt ?? 0)));
    used.push(subnet);
    let subnet6: string | undefined;
    if (n.subnet6 !== undefined) {
      subnet6 =
        opts.fixedSubnets6?.[name] ??
        (declaredFirst && free6(n.subnet6, used6)
          ? n.subnet6
          : forLab(() => allocateSubnet6(n.subnet6 ?? '', used6, opts.pool6 ?? DEFAULT_SUBNET_POOL6, key, opts.attempt ?? 0)));
      used6.push(subnet6);
    }
    networks.push({
      name,
      dockerName: `${prefix}-${name}`,
      bridge: 'tl-' + shortHash(key),
      declaredSubnet: n.subnet,
      subnet,
      ...(n.subnet6 !== undefined && subnet6 !== undefined ? { declaredSubnet6: n.subnet6, subnet6 } : {}),
      ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
      ...(n.description !== undefined ? { description: n.description } : {}),
      labels: {
        ...baseLabels(lab.name, instance),
        [LABEL.role]: 'network',
        [LABEL.network]: name,
        [LABEL.declaredSubnet]: n.subnet,
        ...(n.subnet6 !== undefined ? { [LABEL.declaredSubnet6]: n.subnet6 } : {}),
      },
    });
  }
  const netOf = (name: string): NetworkPlan => {
    const net = networks.find((x) => x.name === name);
    if (!net) throw new Error(`unknown network ${name}`);
    return net;
  };
  const nodes: NodePlan[] = Object.entries(lab.nodes).map(([name, n]) => {
    const interfaces: InterfacePlan[] = Object.entries(n.interfaces).map(([network, raw]) => {
      const iface = interfaceOf(raw);
      const net = netOf(network);
      const plan: InterfacePlan = { network, declared: iface.ipv4, address: translate(iface.ipv4, net.declaredSubnet, net.subnet) };
      if (iface.ipv6 !== undefined && net.declaredSubnet6 !== undefined && net.subnet6 !== undefined) {
        plan.declared6 = iface.ipv6;
        plan.address6 = translate6(iface.ipv6, net.declaredSubnet6, net.subnet6);
      }
      if (iface.impair) plan.impair = iface.impair;
      return plan;
    });
    const mine = interfaces.map((i) => netOf(i.network));
    const hop4 = (a: string): string => {
      const net = mine.find((x) => inCidr(a, x.declaredSubnet));
      return net ? translate(a, net.declaredSubnet, net.subnet) : a;
    };
    const hop6 = (a: string): string => {
      const net = mine.find((x) => x.declaredSubnet6 !== undefined && inCidr6(a, x.declaredSubnet6));
      return net?.declaredSubnet6 !== undefined && net.subnet6 !== undefined ? translate6(a, net.declaredSubnet6, net.subnet6) : a;
    };
    const routes: RoutePlan[] = [];
    for (const r of n.routes ?? []) {
      const family = r.to.includes(':') ? 6 : 4;
      const via = family === 4 ? hop4(r.via) : hop6(r.via);
      for (const to of translateDestination(r.to, networks)) routes.push({ to, via, family });
    }
    const sysctls = nodeSysctls(n);
    return {
      name,
      container: `${prefix}-${name}`,
      hostname: name,
      interfaces,
      ...(n.gateway !== undefined ? { gateway: hop4(n.gateway) } : {}),
      ...(n.gateway6 !== undefined ? { gateway6: hop6(n.gateway6) } : {}),
      routes,
      sysctls,
      capAdd: [...(n.capabilities ?? [])],
      router: forwards(n, 4) || forwards(n, 6),
      ...(n.description !== undefined ? { description: n.description } : {}),
      labels: {
        ...baseLabels(lab.name, instance),
        [LABEL.role]: 'node',
        [LABEL.node]: name,
        [LABEL.declaredAddresses]: interfaces
          .map((i) => `${i.network}=${i.declared}${i.declared6 !== undefined ? '+' + i.declared6 : ''}`)
          .join(','),
        [LABEL.labFile]: lab.file,
      },
    };
  });
  const hostRules: HostRulesNeeded = {
    bridgedForwarding: Object.values(lab.nodes).some((n) => forwards(n, 4)),
    ipv6Isolation: networks.some((n) => n.subnet6 !== undefined),
  };
  return { lab: lab.name, instance, image: opts.image, networks, nodes, hostRules };
}

/**
 * A route's destination in the instance's subnets. A destination inside one lab network moves with it; one
 * that covers several lab networks becomes one route per network (an instance's networks are not
 * adjacent in the pool); one outside every lab network stays as written.
 */
export function translateDestination(to: string, networks: NetworkPlan[]): string[] {
  if (to.includes(':')) {
    const inside = networks.find((n) => n.declaredSubnet6 !== undefined && n.subnet6 !== undefined && subnet6Within(to, n.declaredSubnet6));
    if (inside?.declaredSubnet6 !== undefined && inside.subnet6 !== undefined) {
      const c = parseCidr6(to);
      return c ? [`${translate6(formatIp6(c.start), inside.declaredSubnet6, inside.subnet6)}/${c.prefix}`] : [to];
    }
    const covered = networks.filter(
      (n) => n.declaredSubnet6 !== undefined && n.subnet6 !== undefined && subnet6Within(n.declaredSubnet6, to),
    );
    return covered.length > 0 ? covered.map((n) => n.subnet6 ?? '') : [to];
  }
  const inside = networks.find((n) => subnetWithin(to, n.declaredSubnet));
  if (inside) {
    const c = cidrRange(to);
    return c ? [`${translate(intToIp(c.start), inside.declaredSubnet, inside.subnet)}/${c.prefix}`] : [to];
  }
  const covered = networks.filter((n) => subnetWithin(n.declaredSubnet, to));
  return covered.length > 0 ? covered.map((n) => n.subnet) : [to];
}

function subnetWithin(inner: string, outer: string): boolean {
  const a = cidrRange(inner);
  const b = cidrRange(outer);
  return a !== undefined && b !== undefined && a.start >= b.start && a.end <= b.end;
}

function subnet6Within(inner: string, outer: string): boolean {
  const a = parseCidr6(inner);
  const b = parseCidr6(outer);
  return a !== undefined && b !== undefined && a.start >= b.start && a.end <= b.end;
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
  if (!p) throw new UsageError(`the subnet pool \`${pool}\` is not an IPv4 subnet`, { hint: POOL_HINT });
  if (!d) throw new Error(`bad subnet ${declared}`);
  if (d.prefix < p.prefix)
    throw new UsageError(`the subnet pool ${pool} is smaller than the lab's network ${declared}`, { hint: POOL_HINT });
  const size = 2 ** (32 - d.prefix);
  const blocks = 2 ** (d.prefix - p.prefix);
  const startBlock = (hashNumber(key) + attempt * 7919) % blocks;
  for (let i = 0; i < blocks; i++) {
    const b = (startBlock + i) % blocks;
    const candidate = `${intToIp(p.start + b * size)}/${d.prefix}`;
    if (!used.some((u) => overlaps(u, candidate))) return candidate;
  }
  throw new UsageError(`no free /${d.prefix} left in the subnet pool ${pool}`, { hint: POOL_HINT });
}

/** The IPv6 counterpart of allocateSubnet: a block of the declared size from the pool, clear of those in use. */
export function allocateSubnet6(declared: string, used: string[], pool: string, key: string, attempt: number): string {
  const d = parseCidr6(declared);
  const p = parseCidr6(pool);
  if (!p) throw new UsageError(`the IPv6 subnet pool \`${pool}\` is not an IPv6 subnet`, { hint: POOL6_HINT });
  if (!d) throw new Error(`bad IPv6 subnet ${declared}`);
  if (d.prefix < p.prefix)
    throw new UsageError(`the IPv6 subnet pool ${pool} is smaller than the lab's network ${declared}`, { hint: POOL6_HINT });
  const size = 1n << BigInt(128 - d.prefix);
  const blocks = 1n << BigInt(d.prefix - p.prefix);
  const startBlock = (BigInt(hashNumber(key)) * 65537n + BigInt(attempt) * 7919n) % blocks;
  // Each block in use rules out at most a few candidates, so this ends long before the pool does.
  const tries = blocks < 100_000n ? Number(blocks) : 100_000;
  const taken = used.map(parseCidr6).filter((c): c is NonNullable<typeof c> => c !== undefined);
  for (let i = 0; i < tries; i++) {
    const b = (startBlock + BigInt(i)) % blocks;
    const start = p.start + b * size;
    const end = start + size - 1n;
    if (!taken.some((u) => u.start <= end && start <= u.end)) return formatCidr6(start, d.prefix);
  }
  throw new UsageError(`no free /${d.prefix} left in the IPv6 subnet pool ${pool}`, { hint: POOL6_HINT });
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
