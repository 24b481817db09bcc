/** `probe: { name, node, kind? }`: a snapshot of a node now, taken in its observer (the kinds: ../probe-kinds/). */
import { Enum, ref, Type } from '../../schema/vocabulary.js';
import { NameSchema, PortSchema } from '../../schema/defs.js';
import { StepError } from '../../errors.js';
import type { ProbeObservation } from '../observations.js';
import { PROBE_KINDS, PROBE_KINDS_LIST, probeKind, type ProbeKind } from '../probe-kinds/registry.js';
import { defineStepKind, type StepDefOf } from './kind.js';

const defaults = {
  /** The probe kind when a step names none: the first of the registry. */
  probeKind: PROBE_KINDS_LIST[0].name as ProbeKind,
  /** Seconds a probe may take, unless its kind has its own (traceroute). */
  probeTimeoutS: 10,
  /** ping probes: echo requests, and payload bytes of each. */
  pingCount: 3,
  pingSize: 56,
  /** IP version of a probe's target. */
  family: 4 as 4 | 6,
};

/** The value of a `probe` step (what its key holds). */
export const ProbeStepValue = Type.Object(
  {
    name: ref(NameSchema, { description: 'Name the checks refer to.' }),
    node: Type.String({ description: 'The node probed (or probing, for ping and traceroute).' }),
    kind: Type.Optional(
      Enum(PROBE_KINDS, {
        description:
          PROBE_KINDS_LIST.map((k, i) => `${k.name}: ${k.runs.replace(/ \(.*\)$/, '')}${i === 0 ? ' (default)' : ''}`).join('; ') + '.',
      }),
    ),
    port: Type.Optional(ref(PortSchema, { description: 'lsof: only sockets on this port (`lsof -i :<port>`).' })),
    target: Type.Optional(Type.String({ description: 'ping/traceroute: the node to reach.' })),
    network: Type.Optional(
      Type.String({ description: "ping/traceroute: use the target's address on this network (default: its first network)." }),
    ),
    family: Type.Optional(Enum([4, 6], { description: 'IP version: 4 (default) or 6.' })),
    count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 20, description: `ping: echo requests to send (default ${defaults.pingCount}).` }),
    ),
    size: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65000, description: `ping: payload bytes per request (default ${defaults.pingSize}).` }),
    ),
    timeout: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 120,
        description: `Seconds the probe may take (default ${defaults.probeTimeoutS}${PROBE_KINDS_LIST.map((k) => (k.timeoutS !== undefined ? `; ${k.name} ${k.timeoutS}` : '')).join('')}).`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "Take a snapshot of a node now (a table of it named by `kind`, by default its socket table), or ping or traceroute another node from it. Runs in the node's observer.",
  },
);
const NO_OPTIONS = Type.Object({});
export type ProbeStep = StepDefOf<'probe', typeof ProbeStepValue, typeof NO_OPTIONS>;

export type ResolvedProbeStep = { kind: 'probe'; index: number } & Omit<
  ProbeStep['probe'],
  'kind' | 'timeout' | 'family' | 'count' | 'size'
> & {
    probe: ProbeKind;
    family: 4 | 6;
    count: number;
    size: number;
    timeoutS: number;
  };
/** What a probe takes, its defaults applied: a probe step's fields, or an end-of-run probe's. */
export type ResolvedProbe = Omit<ResolvedProbeStep, 'kind' | 'index'>;

/** A probe's defaults applied: its kind, IP family, ping count and size, and timeout (seconds). */
export function resolveProbe(raw: ProbeStep['probe']): ResolvedProbe {
  const { kind, timeout, family, count, size, ...p } = raw;
  const probe = kind ?? defaults.probeKind;
  return {
    ...p,
    probe,
    family: family ?? defaults.family,
    count: count ?? defaults.pingCount,
    size: size ?? defaults.pingSize,
    timeoutS: timeout ?? probeKind(probe).timeoutS ?? defaults.probeTimeoutS,
  };
}

/** What a probe step needs of the step runner. */
export interface ProbePort {
  obs: ProbeObservations;
  /** Takes the probe in the node's observer; a failure is kept in the observation's `error`. */
  probe(p: ResolvedProbe): Promise<ProbeObservation>;
}
interface ProbeObservations {
  probes: Record<string, ProbeObservation>;
}

export const probeStep = defineStepKind({
  key: 'probe',
  value: ProbeStepValue,
  options: NO_OPTIONS,
  defaults,
  resolve: (step, index): ResolvedProbeStep => ({ kind: 'probe', index, ...resolveProbe(step.probe) }),
  describe: (step) => `probe ${step.name}: ${step.probe} on ${step.node}${step.target ? ` to ${step.target}` : ''}`,
  async run(step: ResolvedProbeStep, port: ProbePort) {
    const p = await port.probe(step);
    port.obs.probes[step.name] = p;
    if (p.error) throw new StepError(p.error);
  },
  recordFailure(step, message, { obs }) {
    obs.probes[step.name] = { node: step.node, kind: step.probe, raw: '', error: message };
  },
  lint(step, ctx) {
    const p = step.probe;
    const { names, nodes } = ctx;
    const kind = p.kind ?? defaults.probeKind;
    ctx.node(['probe', 'node'], p.node);
    if (names.probes.has(p.name))
      ctx.problem(['probe', 'name'], `a probe named \`${p.name}\` is already taken at step ${(names.probes.get(p.name)?.step ?? 0) + 1}`);
    names.probes.set(p.name, { step: ctx.index, node: p.node, kind });
    const needsTarget = kind === 'ping' || kind === 'traceroute';
    if (needsTarget && p.target === undefined) ctx.problem(['probe'], `a ${kind} probe needs \`target\`: the node to reach`);
    if (!needsTarget) {
      for (const k of ['target', 'network', 'family', 'count', 'size'] as const) {
        if (p[k] !== undefined) ctx.problem(['probe', k], `\`${k}\` is only for ping and traceroute probes`);
      }
    }
    if (p.port !== undefined && kind !== 'lsof') ctx.problem(['probe', 'port'], '`port` is only for lsof probes');
    if (kind !== 'ping' && (p.count !== undefined || p.size !== undefined) && needsTarget)
      ctx.problem(['probe'], '`count` and `size` are only for ping probes');
    ctx.node(['probe', 'target'], p.target);
    if (p.target !== undefined && p.network !== undefined && nodes.includes(p.target) && !ctx.networksOf(p.target).includes(p.network)) {
      ctx.problem(
        ['probe', 'network'],
        `node \`${p.target}\` is not on network \`${p.network}\`${ctx.suggest(p.network, ctx.networksOf(p.target))}`,
      );
    }
  },
  observerNode: (step) => step.node,
  baselineNode: (step) => (step.probe === 'sockets' ? step.node : undefined),
  readsOnly: (step) => probeKind(step.probe).readsOnly,
});
