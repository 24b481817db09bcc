/**
 * Probes: what the run reads from a node's observer (each kind one module of probe-kinds/),
 * which nodes need an observer or a socket baseline, and the settling of connections before captures stop.
 */
import { errorMessage, rethrowEngineError, StepError } from '../errors.js';
import type { ResolvedCheck } from '../lab/resolve.js';
import { resolveProbe, type ResolvedProbe } from './step-kinds/probe.js';
import { stepKind, type ResolvedStep } from './step-kinds/registry.js';
import type { ProbeKind } from './probe-kinds/registry.js';
import { parseSs } from '../observe/sockets.js';
import { retryUntil } from '../util/retry.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { observe } from '../deploy/observer.js';
import type { ProbeObservation } from './observations.js';
import { ms } from './step-kinds/kind.js';
import { probeKind } from './probe-kinds/registry.js';

/** The nodes whose observer a run will use: captures, privileged commands, probes and end-of-run probes. */
export function observerNodes(steps: readonly ResolvedStep[], checks: readonly ResolvedCheck[]): string[] {
  const nodes = new Set<string>();
  for (const step of steps) {
    const node = stepKind(step).observerNode?.(step);
    if (node !== undefined) nodes.add(node);
  }
  for (const [, node] of endProbes(checks)) nodes.add(node);
  return [...nodes];
}

/** The nodes whose socket table a probe step, an end-of-run probe or a wait for a connection reads. */
export function socketProbeNodes(steps: readonly ResolvedStep[], checks: readonly ResolvedCheck[]): string[] {
  const nodes = new Set<string>();
  for (const step of steps) {
    const node = stepKind(step).baselineNode?.(step);
    if (node !== undefined) nodes.add(node);
  }
  for (const [kind, node] of endProbes(checks)) if (kind === 'sockets') nodes.add(node);
  return [...nodes];
}

/** [kind, node] of the probes checks read when they name none. */
export function endProbes(checks: readonly ResolvedCheck[]): [ProbeKind, string][] {
  const out = new Map<string, [ProbeKind, string]>();
  const add = (kind: ProbeKind, node: string): void => void out.set(`${kind}/${node}`, [kind, node]);
  for (const c of checks) {
    if (c.kind === 'socket' && c.spec.probe === undefined) add('sockets', c.spec.node);
    // The server's table says why a SYN was refused (a listener on 127.0.0.1 only): src/checks/listen-cause.ts.
    if (c.kind === 'handshake') add('sockets', c.spec.server);
    if (c.kind === 'interface' && c.spec.probe === undefined) add('interfaces', c.spec.node);
    if (c.kind === 'answer') {
      const e = c.spec.expect;
      if ('pid' in e && e.pid.probe === undefined) add('sockets', e.pid.node);
      if ('command' in e && e.command.probe === undefined) add('sockets', e.command.node);
      if ('mtu' in e && e.mtu.probe === undefined) add('interfaces', e.mtu.node);
    }
  }
  return [...out.values()];
}

/** The probe a check reads when it names none, taken at the end of the run: `name` is endProbeName's. */
export function endProbe(name: string, node: string, kind: ProbeKind): ResolvedProbe {
  return resolveProbe({ name, node, kind });
}

/** The address a probe aims at: the target node's address on the given network, or one it shares with the prober. */
function targetAddress(running: RunningLab, p: ResolvedProbe): string {
  const target = running.plan.nodes.find((n) => n.name === p.target);
  const from = running.plan.nodes.find((n) => n.name === p.node);
  if (!target) throw new StepError(`unknown node ${p.target ?? ''}`);
  const shared = target.interfaces.find((i) => from?.interfaces.some((f) => f.network === i.network));
  const iface = p.network !== undefined ? target.interfaces.find((i) => i.network === p.network) : (shared ?? target.interfaces[0]);
  if (!iface) throw new StepError(`node ${p.target ?? ''} has no address${p.network ? ` on ${p.network}` : ''}`);
  return iface.address;
}

/** Takes one probe in a node's observer and parses it. A failure is kept in `error`; only the engine's own (an EngineError) is thrown. */
export async function probe(running: RunningLab, p: ResolvedProbe): Promise<ProbeObservation> {
  const kind = p.probe;
  const base: ProbeObservation = { node: p.node, kind, raw: '' };
  try {
    const timeoutMs = ms(p.timeoutS);
    const module = probeKind(kind);
    const r = await observe(running, p.node, ['sh', '-c', module.command(p, () => targetAddress(running, p))], timeoutMs);
    const raw = r.stdout + (r.stderr.trim() ? r.stderr : '');
    base.raw = raw;
    Object.assign(base, module.parse(r.stdout, raw));
    return base;
  } catch (e) {
    rethrowEngineError(e);
    return { ...base, error: `${kind} probe on ${p.node} failed: ${errorMessage(e)}` };
  }
}

const TRANSIENT = new Set(['SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

/** Waits (briefly, bounded) until no TCP connection in the node is half-way through opening or closing. */
export async function settle(running: RunningLab, node: string): Promise<void> {
  await retryUntil(
    async () => {
      const r = await observe(running, node, ['ss', '-tan']);
      return parseSs(r.stdout).some((s) => TRANSIENT.has(s.state)) ? undefined : true;
    },
    { timeoutMs: 3000 },
  );
}
