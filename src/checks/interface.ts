import type { Observations } from '../exercise/observations.js';
import { interfaceWithAddress, type InterfaceInfo } from '../observe/interfaces.js';
import { isVerdict, probeOf } from './observed.js';
import type { Verdict } from './types.js';
import { Type, type Static } from '../schema/vocabulary.js';
import { defineCheckKind } from './kind.js';

/** The interface of a node on a network (the one with the node's address there) or by name. */
export function findInterface(
  obs: Observations,
  list: InterfaceInfo[],
  sel: { node: string; network?: string; interface?: string },
): InterfaceInfo | string {
  if (sel.interface !== undefined)
    return (
      list.find((i) => i.name === sel.interface) ??
      `${sel.node} has no interface ${sel.interface} (it has ${list.map((i) => i.name).join(', ')})`
    );
  const addr = obs.networks[sel.node]?.[sel.network ?? ''];
  if (addr === undefined) return `${sel.node} has no address on ${sel.network ?? '?'}`;
  return interfaceWithAddress(list, addr) ?? `no interface of ${sel.node} has its ${sel.network ?? ''} address ${addr}`;
}

export function describeInterface(i: InterfaceInfo): string {
  return `${i.name}: mtu ${i.mtu} <${i.flags.join(',')}> ${i.addresses.map((a) => `${a.address}/${a.prefix}`).join(' ')}`;
}

export function checkInterface(spec: InterfaceCheck, obs: Observations): Verdict {
  const probe = probeOf(obs, spec.probe, spec.node, 'interfaces');
  if (isVerdict(probe)) return probe;
  const found = findInterface(obs, probe.interfaces ?? [], spec);
  if (typeof found === 'string') return { passed: false, message: found + '.' };
  const evidence = [describeInterface(found)];
  const problems: string[] = [];
  if (spec.mtu !== undefined && found.mtu !== spec.mtu) problems.push(`its MTU is ${found.mtu}, expected ${spec.mtu}`);
  if (spec.address !== undefined) {
    const want = obs.declared[spec.address] ?? spec.address;
    if (!found.addresses.some((a) => a.address === want)) problems.push(`it does not have the address ${want}`);
  }
  const missing = (spec.flags ?? []).filter((f) => !found.flags.includes(f.toUpperCase()));
  if (missing.length > 0) problems.push(`it lacks the flag(s) ${missing.join(', ')}`);
  if (problems.length > 0) return { passed: false, message: `${spec.node}'s ${found.name}: ${problems.join('; ')}.`, evidence };
  return {
    passed: true,
    message: `${spec.node}'s ${found.name} is as expected${spec.mtu !== undefined ? ` (MTU ${found.mtu})` : ''}.`,
    evidence,
  };
}

/** The fields of a `interface` check (its schema fragment, in schema/lab.schema.json under checks[].interface). */
export const InterfaceCheckSchema = Type.Object(
  {
    node: Type.String(),
    network: Type.Optional(Type.String({ description: "The interface that carries the node's address on this network." })),
    interface: Type.Optional(Type.String({ description: 'An interface name, e.g. lo or eth0.' })),
    mtu: Type.Optional(Type.Integer({ minimum: 68 })),
    address: Type.Optional(
      Type.String({ description: "An address the interface has; a declared address is translated to this instance's." }),
    ),
    flags: Type.Optional(Type.Array(Type.String(), { description: 'Flags it must have, e.g. [UP, RUNNING].' })),
    probe: Type.Optional(Type.String()),
  },
  {
    additionalProperties: false,
    description:
      "A node's interface (on a network, or by name): its MTU, addresses, flags (from an interfaces probe; default one read at the end).",
  },
);
export type InterfaceCheck = Static<typeof InterfaceCheckSchema>;
export const interfaceKind = defineCheckKind({
  name: 'interface',
  schema: InterfaceCheckSchema,
  reads: ['probes'],
  evaluate: checkInterface,
  lint(spec, ctx) {
    const f = spec;
    ctx.node(['node'], f.node);
    if ((f.network === undefined) === (f.interface === undefined))
      ctx.problem([], 'say which interface: `network: <name>` (the one on that network) or `interface: <name>`');
    ctx.networkOf(['network'], f.node, f.network);
    ctx.probeOn(['probe'], f.probe, f.node, ['interfaces'], 'interfaces');
    if (f.mtu === undefined && f.address === undefined && f.flags === undefined)
      ctx.problem([], 'say what to check: `mtu`, `address` or `flags`');
  },
});
