import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { LabDefinition } from './model.js';
import { intToIp, ipToInt, maskBits as maskOf, parseCidr } from '../plan/ip.js';
import { exerciseProblems } from './exercise-semantics.js';

export interface SemanticProblem {
  path: (string | number)[];
  message: string;
}

/** Checks what the schema cannot: references, addresses inside their subnets, sources inside the lab folder. */
export function semanticProblems(def: LabDefinition, labDir: string): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const nets = Object.keys(def.networks);
  const subnets = new Map<string, { base: number; prefix: number }>();
  for (const [name, n] of Object.entries(def.networks)) {
    const c = parseCidr(n.subnet);
    if (!c) out.push({ path: ['networks', name, 'subnet'], message: `\`${n.subnet}\` is not a valid IPv4 subnet` });
    else if (c.prefix < 16 || c.prefix > 29) out.push({ path: ['networks', name, 'subnet'], message: `prefix /${c.prefix} is out of range: use /16 to /29` });
    else if ((ipToInt(c.address) & ~maskOf(c.prefix)) >>> 0 !== 0) out.push({ path: ['networks', name, 'subnet'], message: `\`${n.subnet}\` has host bits set; did you mean ${intToIp(ipToInt(c.address) & maskOf(c.prefix))}/${c.prefix}?` });
    else subnets.set(name, { base: ipToInt(c.address), prefix: c.prefix });
  }
  const used = new Map<string, string>();
  for (const [node, n] of Object.entries(def.nodes)) {
    for (const [net, addr] of Object.entries(n.interfaces)) {
      const path = ['nodes', node, 'interfaces', net];
      if (!nets.includes(net)) {
        out.push({ path, message: `unknown network \`${net}\`${suggest(net, nets)}` });
        continue;
      }
      const s = subnets.get(net);
      if (!s) continue;
      const a = ipToInt(addr);
      const mask = maskOf(s.prefix);
      if (((a & mask) >>> 0) !== s.base) out.push({ path, message: `${addr} is outside ${net}'s subnet ${def.networks[net]?.subnet}` });
      else if (a === s.base || a === (s.base | ~mask) >>> 0) out.push({ path, message: `${addr} is the ${a === s.base ? 'network' : 'broadcast'} address of ${net}` });
      else if (a === s.base + 1) out.push({ path, message: `${addr} is reserved for the network's gateway; use a host part of 2 or more` });
      const key = `${net}/${addr}`;
      const other = used.get(key);
      if (other) out.push({ path, message: `${addr} is also the address of node \`${other}\` on ${net}` });
      used.set(key, node);
    }
  }
  const nodes = Object.keys(def.nodes);
  const programs = Object.keys(def.programs ?? {});
  for (const [name, p] of Object.entries(def.programs ?? {})) {
    if (!nodes.includes(p.node)) out.push({ path: ['programs', name, 'node'], message: `unknown node \`${p.node}\`${suggest(p.node, nodes)}` });
    const src = resolve(labDir, p.source);
    const rel = relative(labDir, src);
    if (isAbsolute(p.source) || rel.startsWith('..' + sep) || rel === '..') {
      out.push({ path: ['programs', name, 'source'], message: `\`${p.source}\` is outside the lab folder` });
    } else if (!existsSync(src)) {
      out.push({ path: ['programs', name, 'source'], message: `\`${p.source}\` does not exist in ${labDir}` });
    } else {
      const real = relative(realpathSync(labDir), realpathSync(src));
      if (real.startsWith('..')) out.push({ path: ['programs', name, 'source'], message: `\`${p.source}\` is a link to a file outside the lab folder` });
    }
  }
  out.push(...exerciseProblems(def, labDir));
  return out;
}


/** ", did you mean `x`?" when a known name is one or two edits away. */
export function suggest(value: string, names: string[]): string {
  let best: string | undefined;
  let bestD = 3;
  for (const n of names) {
    const d = editDistance(value, n);
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best === undefined ? (names.length > 0 ? ` (known: ${names.join(', ')})` : '') : `; did you mean \`${best}\`?`;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] ?? 0;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] ?? 0;
      dp[j] = Math.min((dp[j] ?? 0) + 1, (dp[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] ?? 0;
}
