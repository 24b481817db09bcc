/**
 * Probes: what the run reads from a node's observer (sockets, interfaces, routes, lsof, ping, traceroute),
 * which nodes need an observer or a socket baseline, and the settling of connections before captures stop.
 */
import { errorMessage, rethrowEngineError, StepError } from '../errors.js';
import type { CheckDef, ProbeKind, ProbeStep, StepDef } from '../lab/model.js';
import { parseIpAddr } from '../observe/interfaces.js';
import { parseLsof } from '../observe/lsof.js';
import { parsePing } from '../observe/ping.js';
import { parseIpRoute } from '../observe/routes.js';
import { parseSs } from '../observe/sockets.js';
import { parseTraceroute } from '../observe/traceroute.js';
import { retryUntil } from '../util/retry.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { observe } from '../deploy/observer.js';
import { shellQuote } from '../util/shell.js';
import type { ProbeObservation } from './observations.js';
import { parseSocketsProbe, SOCKETS_PROBE } from './socket-scope.js';
import { seconds } from './step-text.js';

/** The nodes whose observer a run will use: captures, privileged commands, probes and end-of-run probes. */
export function observerNodes(steps: StepDef[], checks: CheckDef[]): string[] {
  const nodes = new Set<string>();
  for (const step of steps) {
    if ('capture' in step) nodes.add(step.capture.node);
    else if ('probe' in step) nodes.add(step.probe.node);
    else if ('command' in step && step.command.privileged === true) nodes.add(step.command.node);
  }
  for (const [, node] of endProbes(checks)) nodes.add(node);
  return [...nodes];
}

/** The nodes whose socket table a probe step, an end-of-run probe or a wait for a connection reads. */
export function socketProbeNodes(steps: StepDef[], checks: CheckDef[]): string[] {
  const nodes = new Set<string>();
  for (const step of steps) {
    if ('probe' in step && (step.probe.kind ?? 'sockets') === 'sockets') nodes.add(step.probe.node);
    // A wait for a connection's state (not a listener) could otherwise be met by an earlier run's connection.
    if ('wait' in step && step.wait.tcp !== undefined && step.wait.node !== undefined && (step.wait.state ?? 'LISTEN').toUpperCase() !== 'LISTEN') nodes.add(step.wait.node);
  }
  for (const [kind, node] of endProbes(checks)) if (kind === 'sockets') nodes.add(node);
  return [...nodes];
}

/** [kind, node] of the probes checks read when they name none. */
export function endProbes(checks: CheckDef[]): [ProbeKind, string][] {
  const out = new Map<string, [ProbeKind, string]>();
  const add = (kind: ProbeKind, node: string): void => void out.set(`${kind}/${node}`, [kind, node]);
  for (const c of checks) {
    if ('socket' in c && c.socket.probe === undefined) add('sockets', c.socket.node);
    if ('interface' in c && c.interface.probe === undefined) add('interfaces', c.interface.node);
    if ('answer' in c) {
      const e = c.answer.expect;
      if ('pid' in e && e.pid.probe === undefined) add('sockets', e.pid.node);
      if ('command' in e && e.command.probe === undefined) add('sockets', e.command.node);
      if ('mtu' in e && e.mtu.probe === undefined) add('interfaces', e.mtu.node);
    }
  }
  return [...out.values()];
}


/** The address a probe aims at: the target node's address on the given network, or one it shares with the prober. */
function targetAddress(running: RunningLab, p: ProbeStep['probe']): string {
  const target = running.plan.nodes.find((n) => n.name === p.target);
  const from = running.plan.nodes.find((n) => n.name === p.node);
  if (!target) throw new StepError(`unknown node ${p.target ?? ''}`);
  const shared = target.interfaces.find((i) => from?.interfaces.some((f) => f.network === i.network));
  const iface = p.network !== undefined ? target.interfaces.find((i) => i.network === p.network) : (shared ?? target.interfaces[0]);
  if (!iface) throw new StepError(`node ${p.target ?? ''} has no address${p.network ? ` on ${p.network}` : ''}`);
  return iface.address;
}

/** Takes one probe in a node's observer and parses it. A failure is kept in `error`; only the engine's own (an EngineError) is thrown. */
export async function probe(running: RunningLab, p: ProbeStep['probe']): Promise<ProbeObservation> {
  const kind = p.kind ?? 'sockets';
  const base: ProbeObservation = { node: p.node, kind, raw: '' };
  try {
    const timeoutMs = seconds(p.timeout, kind === 'traceroute' ? 30 : 10);
    let cmd: string;
    switch (kind) {
      case 'sockets':
        cmd = SOCKETS_PROBE;
        break;
      case 'interfaces':
        cmd = 'ip -d addr';
        break;
      case 'routes':
        cmd = 'ip route; ip -6 route';
        break;
      case 'lsof':
        cmd = `lsof -nP -i${p.port !== undefined ? ` :${p.port}` : ''}; true`;
        break;
      case 'ping':
        cmd = `ping ${p.family === 6 ? '-6 ' : ''}-c ${p.count ?? 3} -s ${p.size ?? 56} -i 0.2 -W 1 ${shellQuote(targetAddress(running, p))}; true`;
        break;
      case 'traceroute':
        // ICMP echo probes (the destination answers echo without the rate limit it puts on port-unreachable),
        // one hop at a time, two per hop: routers rate-limit time-exceeded too.
        cmd = `traceroute ${p.family === 6 ? '-6 ' : ''}-I -n -N 1 -q 2 -w 1 -m 16 ${shellQuote(targetAddress(running, p))}; true`;
        break;
    }
    const r = await observe(running, p.node, ['sh', '-c', cmd], timeoutMs);
    const raw = r.stdout + (r.stderr.trim() ? r.stderr : '');
    base.raw = raw;
    if (kind === 'sockets') base.sockets = parseSocketsProbe(r.stdout);
    else if (kind === 'interfaces') base.interfaces = parseIpAddr(r.stdout);
    else if (kind === 'routes') base.routes = parseIpRoute(r.stdout);
    else if (kind === 'lsof') base.lsof = parseLsof(r.stdout);
    else if (kind === 'ping') base.ping = parsePing(raw);
    else base.traceroute = parseTraceroute(r.stdout);
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
