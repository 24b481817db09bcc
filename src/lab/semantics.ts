import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { ImpairmentDef, LabDefinition } from './model.js';
import {
  formatCidr6,
  formatIp6,
  intToIp,
  ipToInt,
  maskBits as maskOf,
  overlaps,
  overlaps6,
  parseCidr,
  parseCidr6,
  parseIp6,
  type Cidr6,
} from '../util/address.js';
import { parseDuration, parseRate } from './impairment.js';
import { forwards, interfaceOf } from './interfaces.js';
import type { SemanticProblem } from './semantic-problem.js';
import { suggestion as suggest } from './suggest.js';
import { exerciseProblems } from './exercise-semantics.js';

export type { SemanticProblem } from './semantic-problem.js';

interface Net4 {
  base: number;
  prefix: number;
  cidr: string;
}

interface Net6 {
  cidr: Cidr6;
  text: string;
}

/** Checks what the schema cannot: references, addresses inside their subnets, sources inside the lab folder. */
export function semanticProblems(def: LabDefinition, labDir: string): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const { v4, v6 } = networkProblems(def, out);
  nodeProblems(def, v4, v6, out);
  const nodes = Object.keys(def.nodes);
  for (const [name, p] of Object.entries(def.programs ?? {})) {
    if (!nodes.includes(p.node))
      out.push({ path: ['programs', name, 'node'], message: `unknown node \`${p.node}\`${suggest(p.node, nodes)}` });
    const src = resolve(labDir, p.source);
    const rel = relative(labDir, src);
    if (isAbsolute(p.source) || rel.startsWith('..' + sep) || rel === '..') {
      out.push({ path: ['programs', name, 'source'], message: `\`${p.source}\` is outside the lab folder` });
    } else if (!existsSync(src) || !statSync(src).isFile()) {
      out.push({
        path: ['programs', name, 'source'],
        message: `\`${p.source}\` is not a file in the lab folder${suggest(p.source, tsFiles(labDir)).replace(/ \(known: .*\)$/, '')}`,
      });
    } else {
      const real = relative(realpathSync(labDir), realpathSync(src));
      if (real.startsWith('..'))
        out.push({ path: ['programs', name, 'source'], message: `\`${p.source}\` is a link to a file outside the lab folder` });
    }
  }
  // Steps and checks: their references to programs, nodes, captures, probes and files.
  out.push(...exerciseProblems(def, labDir));
  return out;
}

function networkProblems(def: LabDefinition, out: SemanticProblem[]): { v4: Map<string, Net4>; v6: Map<string, Net6> } {
  const v4 = new Map<string, Net4>();
  const v6 = new Map<string, Net6>();
  for (const [name, n] of Object.entries(def.networks)) {
    const c = parseCidr(n.subnet);
    const path = ['networks', name, 'subnet'];
    if (!c) out.push({ path, message: `\`${n.subnet}\` is not a valid IPv4 subnet (each number 0 to 255, prefix 0 to 32)` });
    else if (c.prefix < 16 || c.prefix > 29) out.push({ path, message: `the prefix /${c.prefix} is out of range: use /16 to /29` });
    else if ((ipToInt(c.address) & ~maskOf(c.prefix)) >>> 0 !== 0)
      out.push({
        path,
        message: `\`${n.subnet}\` has host bits set; did you mean ${intToIp(ipToInt(c.address) & maskOf(c.prefix))}/${c.prefix}?`,
      });
    else v4.set(name, { base: ipToInt(c.address), prefix: c.prefix, cidr: n.subnet });
    if (n.subnet6 !== undefined && n.mtu !== undefined && n.mtu < 1280) {
      out.push({ path: ['networks', name, 'mtu'], message: `IPv6 needs an MTU of at least 1280; ${name} has ${n.mtu} and a subnet6` });
    }
    if (n.subnet6 !== undefined) {
      const path6 = ['networks', name, 'subnet6'];
      const c6 = parseCidr6(n.subnet6);
      if (!c6) out.push({ path: path6, message: `\`${n.subnet6}\` is not a valid IPv6 subnet` });
      else if (c6.prefix < 64 || c6.prefix > 120)
        out.push({ path: path6, message: `the prefix /${c6.prefix} is out of range: use /64 to /120` });
      else if (c6.address !== c6.start)
        out.push({ path: path6, message: `\`${n.subnet6}\` has host bits set; did you mean ${formatCidr6(c6.start, c6.prefix)}?` });
      else v6.set(name, { cidr: c6, text: n.subnet6 });
    }
  }
  const names4 = [...v4.keys()];
  for (let i = 0; i < names4.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = v4.get(names4[i] ?? '');
      const b = v4.get(names4[j] ?? '');
      if (a && b && overlaps(a.cidr, b.cidr))
        out.push({
          path: ['networks', names4[i] ?? '', 'subnet'],
          message: `${a.cidr} overlaps ${b.cidr} of network \`${names4[j]}\`; networks of a lab need separate subnets`,
        });
    }
  }
  const names6 = [...v6.keys()];
  for (let i = 0; i < names6.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = v6.get(names6[i] ?? '');
      const b = v6.get(names6[j] ?? '');
      if (a && b && overlaps6(a.text, b.text))
        out.push({
          path: ['networks', names6[i] ?? '', 'subnet6'],
          message: `${a.text} overlaps ${b.text} of network \`${names6[j]}\`; networks of a lab need separate subnets`,
        });
    }
  }
  return { v4, v6 };
}

function nodeProblems(def: LabDefinition, v4: Map<string, Net4>, v6: Map<string, Net6>, out: SemanticProblem[]): void {
  const nets = Object.keys(def.networks);
  const used4 = new Map<string, string>();
  const used6 = new Map<string, string>();
  /** Address (canonical) → the node and network that have it. */
  const owners = new Map<string, { node: string; network: string }>();
  for (const [node, n] of Object.entries(def.nodes)) {
    for (const [net, raw] of Object.entries(n.interfaces)) {
      const iface = interfaceOf(raw);
      const path = ['nodes', node, 'interfaces', net];
      const path4 = typeof raw === 'string' ? path : [...path, 'ipv4'];
      if (!nets.includes(net)) {
        out.push({
          path: ['nodes', node, 'interfaces'],
          key: net,
          message: `unknown network \`${net}\` in node \`${node}\`${suggest(net, nets)}`,
        });
        continue;
      }
      const s = v4.get(net);
      if (s) {
        const a = ipToInt(iface.ipv4);
        const mask = maskOf(s.prefix);
        if ((a & mask) >>> 0 !== s.base) out.push({ path: path4, message: `${iface.ipv4} is outside ${net}'s subnet ${s.cidr}` });
        else if (a === s.base || a === (s.base | ~mask) >>> 0)
          out.push({
            path: path4,
            message: `${iface.ipv4} is the ${a === s.base ? 'network' : 'broadcast'} address of ${s.cidr}; use a host address`,
          });
        else if (a === s.base + 1)
          out.push({ path: path4, message: `${iface.ipv4} is reserved for Docker on ${net}; use a host part of 2 or more` });
        else {
          const other = used4.get(`${net}/${iface.ipv4}`);
          if (other) out.push({ path: path4, message: `${iface.ipv4} is also the address of node \`${other}\` on ${net}` });
          used4.set(`${net}/${iface.ipv4}`, node);
          owners.set(iface.ipv4, { node, network: net });
        }
      }
      if (iface.ipv6 !== undefined) {
        const path6 = [...path, 'ipv6'];
        const s6 = v6.get(net);
        const a6 = parseIp6(iface.ipv6);
        if (def.networks[net]?.subnet6 === undefined)
          out.push({ path: path6, message: `network \`${net}\` has no IPv6 subnet: add \`subnet6\` to it` });
        else if (s6 && a6 !== undefined) {
          if (a6 < s6.cidr.start || a6 > s6.cidr.end)
            out.push({ path: path6, message: `${iface.ipv6} is outside ${net}'s subnet ${s6.text}` });
          else if (a6 === s6.cidr.start)
            out.push({ path: path6, message: `${iface.ipv6} is the subnet-router address of ${s6.text}; use a host address` });
          else if (a6 === s6.cidr.start + 1n)
            out.push({ path: path6, message: `${iface.ipv6} is reserved for Docker on ${net}; use a host part of 2 or more` });
          else {
            const key = formatIp6(a6);
            const other = used6.get(key);
            if (other) out.push({ path: path6, message: `${iface.ipv6} is also the address of node \`${other}\` on ${net}` });
            used6.set(key, node);
            owners.set(key, { node, network: net });
          }
        }
      }
      if (iface.impair) impairmentProblems(iface.impair, [...path, 'impair'], out);
    }
    if (n.router && Object.keys(n.interfaces).length < 2)
      out.push({ path: ['nodes', node, 'router'], message: `a router needs interfaces on two or more networks; \`${node}\` has one` });
    if (
      n.router &&
      n.sysctls &&
      (String(n.sysctls['net.ipv4.ip_forward'] ?? '1') !== '1' || String(n.sysctls['net.ipv6.conf.all.forwarding'] ?? '1') !== '1')
    ) {
      out.push({
        path: ['nodes', node, 'sysctls'],
        message: 'a router forwards packets: remove the sysctl that turns forwarding off, or `router: true`',
      });
    }
  }
  // Next hops need the whole address table, so they are checked after every interface.
  for (const [node, n] of Object.entries(def.nodes)) {
    const hop = (address: string, family: 4 | 6, path: (string | number)[], what: string): void => {
      const mine = Object.entries(n.interfaces).map(([net, raw]) => ({ net, iface: interfaceOf(raw) }));
      const onLink = mine.find(({ net }) => (family === 4 ? inNet4(address, v4.get(net)) : inNet6(address, v6.get(net))));
      const canonical = family === 4 ? address : formatIp6(parseIp6(address) ?? 0n);
      if (!onLink) {
        const where = mine
          .map(({ net }) => `${net} ${family === 4 ? (v4.get(net)?.cidr ?? '?') : (v6.get(net)?.text ?? 'no IPv6')}`)
          .join(', ');
        out.push({ path, message: `${what} ${address} is not on a network of node \`${node}\` (${where})` });
        return;
      }
      const owner = owners.get(canonical);
      if (!owner) out.push({ path, message: `${what} ${address}: no node has this address on ${onLink.net}` });
      else if (owner.node === node) out.push({ path, message: `${what} ${address} is node \`${node}\`'s own address` });
      else if (!forwards(def.nodes[owner.node] ?? { interfaces: {} }, family))
        out.push({
          path,
          message: `${what} ${address} is node \`${owner.node}\`, which does not forward packets: add \`router: true\` to it`,
        });
    };
    if (n.gateway !== undefined) hop(n.gateway, 4, ['nodes', node, 'gateway'], 'the gateway');
    if (n.gateway6 !== undefined) hop(n.gateway6, 6, ['nodes', node, 'gateway6'], 'the gateway');
    (n.routes ?? []).forEach((r, i) => {
      const path = ['nodes', node, 'routes', i];
      const to4 = parseCidr(r.to);
      const to6 = to4 ? undefined : parseCidr6(r.to);
      const viaFamily = parseIp6(r.via) !== undefined ? 6 : 4;
      if (!to4 && !to6) out.push({ path: [...path, 'to'], message: `\`${r.to}\` is not a valid subnet` });
      else if (to4 && (ipToInt(to4.address) & ~maskOf(to4.prefix)) >>> 0 !== 0)
        out.push({
          path: [...path, 'to'],
          message: `\`${r.to}\` has host bits set; did you mean ${intToIp(ipToInt(to4.address) & maskOf(to4.prefix))}/${to4.prefix}?`,
        });
      else if (to6 && to6.address !== to6.start)
        out.push({ path: [...path, 'to'], message: `\`${r.to}\` has host bits set; did you mean ${formatCidr6(to6.start, to6.prefix)}?` });
      else if ((to4 ? 4 : 6) !== viaFamily)
        out.push({ path: [...path, 'via'], message: `${r.via} is an IPv${viaFamily} address but ${r.to} is an IPv${to4 ? 4 : 6} subnet` });
      else hop(r.via, viaFamily, [...path, 'via'], 'the next hop');
    });
  }
}

function inNet4(address: string, net: Net4 | undefined): boolean {
  if (!net || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) return false;
  return (ipToInt(address) & maskOf(net.prefix)) >>> 0 === net.base;
}

function inNet6(address: string, net: Net6 | undefined): boolean {
  const a = parseIp6(address);
  return net !== undefined && a !== undefined && a >= net.cidr.start && a <= net.cidr.end;
}

function impairmentProblems(imp: ImpairmentDef, path: (string | number)[], out: SemanticProblem[]): void {
  if (imp.jitter !== undefined && imp.delay === undefined)
    out.push({ path: [...path, 'jitter'], message: 'jitter varies a delay: give a `delay` too' });
  if (imp.jitter !== undefined && imp.delay !== undefined && parseDuration(imp.jitter) > parseDuration(imp.delay)) {
    out.push({ path: [...path, 'jitter'], message: `jitter ${imp.jitter} is larger than the delay ${imp.delay}` });
  }
  if (imp.delay !== undefined && parseDuration(imp.delay) > 10_000)
    out.push({ path: [...path, 'delay'], message: `${imp.delay} is more than 10s` });
  if (imp.loss !== undefined && parseFloat(imp.loss) > 100) out.push({ path: [...path, 'loss'], message: `${imp.loss} is more than 100%` });
  if (imp.rate !== undefined && parseRate(imp.rate) < 8000)
    out.push({ path: [...path, 'rate'], message: `${imp.rate} is too slow: use at least 8kbit` });
}

function tsFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.ts'));
  } catch {
    return [];
  }
}
