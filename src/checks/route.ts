import type { Observations } from '../exercise/observations.js';
import { parseTraceroute, type TracerouteResult } from '../observe/traceroute.js';
import { nodeAddresses, nodeOf, notObserved, relevantLines } from './observed.js';
import type { Verdict } from './types.js';
import { Type, ref, type Static } from '../schema/vocabulary.js';
import { NodeListSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/** A traceroute from a probe, or parsed from a command's output. */
export function tracerouteOf(obs: Observations, name: string): TracerouteResult | Verdict {
  const probe = obs.probes[name];
  if (probe) {
    if (probe.error) return notObserved(`the traceroute \`${name}\` failed: ${probe.error}`);
    return probe.traceroute ?? parseTraceroute(probe.raw);
  }
  const p = obs.programs[name];
  if (!p) return { passed: false, message: `the traceroute \`${name}\` did not run: an earlier step failed.` };
  if (p.error) return { passed: false, message: `the traceroute \`${name}\` did not run: ${p.error}` };
  const r = parseTraceroute(p.stdout);
  if (r.hops.length === 0)
    return {
      passed: false,
      message: `\`${name}\` printed no traceroute hops${p.stderr.trim() ? `: ${relevantLines(p.stderr).join(' / ')}` : ''}.`,
    };
  return r;
}

export function checkRoute(spec: RouteCheck, obs: Observations): Verdict {
  const r = tracerouteOf(obs, spec.traceroute);
  if ('passed' in r) return r;
  const evidence = r.hops
    .slice(0, 8)
    .map(
      (h) =>
        `${h.ttl}  ${h.addresses.length ? h.addresses.map((a) => `${a}${nodeOf(obs, a) ? ` (${nodeOf(obs, a)})` : ''}`).join(' ') : '*'.repeat(Math.max(1, h.timeouts))}`,
    );
  // Hops after the destination answered do not count; silent trailing hops do.
  const dest = nodeAddresses(obs, spec.hops[spec.hops.length - 1] ?? '');
  const end = r.hops.findIndex((h) => h.addresses.some((a) => dest.includes(a)));
  const hops = end >= 0 ? r.hops.slice(0, end + 1) : r.hops;
  for (const [i, node] of spec.hops.entries()) {
    const hop = hops[i];
    if (!hop)
      return {
        passed: false,
        message: `the traceroute has ${hops.length} hop(s); hop ${i + 1} should be ${node}${end < 0 ? ' (the destination never answered)' : ''}.`,
        evidence,
      };
    const want = nodeAddresses(obs, node);
    if (hop.addresses.length === 0)
      return {
        passed: false,
        message: `hop ${i + 1} did not answer (*); it should be ${node}. Is it routing and sending time-exceeded?`,
        evidence,
      };
    if (!hop.addresses.some((a) => want.includes(a))) {
      const actual = nodeOf(obs, hop.addresses[0] ?? '');
      return {
        passed: false,
        message: `hop ${i + 1} is ${hop.addresses.join(', ')}${actual ? ` (${actual})` : ''}, not ${node}: the route goes another way.`,
        evidence,
      };
    }
  }
  if (hops.length > spec.hops.length)
    return {
      passed: false,
      message: `the traceroute took ${hops.length} hops; expected ${spec.hops.length} (${spec.hops.join(', ')}).`,
      evidence,
    };
  return { passed: true, message: `the route goes ${spec.hops.join(' → ')}.`, evidence };
}

/** The fields of a `route` check (its schema fragment, in schema/lab.schema.json under checks[].route). */
export const RouteCheckSchema = Type.Object(
  {
    traceroute: Type.String({ description: "A traceroute probe's name, or a command step that ran traceroute." }),
    hops: ref(NodeListSchema),
  },
  {
    additionalProperties: false,
    description: 'The hops of a traceroute are, in order, addresses of the given nodes (routers, then the destination).',
  },
);
export type RouteCheck = Static<typeof RouteCheckSchema>;
export const routeKind = defineCheckKind({
  name: 'route',
  schema: RouteCheckSchema,
  reads: ['probes', 'programs'],
  evaluate: checkRoute,
  lint(spec, ctx) {
    const known = [...ctx.probesOf(['traceroute']), ...ctx.outputs.filter((o) => ctx.names.outputs.get(o)?.kind === 'command')];
    ctx.ref(['traceroute'], spec.traceroute, known, 'traceroute probe or command');
    spec.hops.forEach((n, j) => ctx.node(['hops', j], n));
  },
});
