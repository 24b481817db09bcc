import { StepError } from '../errors.js';
import { LABEL } from '../plan/labels.js';
import { containerOf, type RunningLab } from './running-lab.js';

/**
 * Nodes run with no capabilities. Capturing and reading other processes' sockets happen in an observer:
 * a sidecar that joins the node's network and PID namespaces with just the capabilities those tools need.
 */
// tcpdump's -Z root still calls setgroups/setgid/setuid, which need SETGID and SETUID even for root;
// KILL lets it end a student's processes when the node itself cannot run a command any more.
const OBSERVER_CAPS = ['NET_RAW', 'NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH', 'SETUID', 'SETGID', 'KILL'];

const observers = new WeakMap<RunningLab, Map<string, Promise<string>>>();

export function observerName(running: RunningLab, node: string): string {
  return `${running.plan.nodes.find((n) => n.name === node)?.container ?? node}-observer`;
}

/** The observer container of a node, created on first use (and re-found by labels after that). */
export function ensureObserver(running: RunningLab, node: string): Promise<string> {
  let map = observers.get(running);
  if (!map) observers.set(running, (map = new Map()));
  let p = map.get(node);
  if (!p) {
    p = findOrCreateObserver(running, node);
    map.set(node, p);
    p.catch(() => map?.delete(node));
  }
  return p;
}

async function findOrCreateObserver(running: RunningLab, node: string): Promise<string> {
  const { lab, instance } = running.plan;
  const existing = await running.runtime.listContainers([
    `${LABEL.managed}=true`,
    `${LABEL.lab}=${lab}`,
    `${LABEL.instance}=${instance}`,
    `${LABEL.role}=observer`,
    `${LABEL.node}=${node}`,
  ]);
  const alive = existing.find((c) => c.running);
  if (alive) return alive.id;
  if (existing.length > 0) await running.runtime.removeContainers(existing.map((c) => c.id));
  const nodePlan = running.plan.nodes.find((n) => n.name === node);
  if (!nodePlan) throw new Error(`unknown node ${node}`);
  return running.runtime.createContainer({
    name: observerName(running, node),
    hostname: node,
    image: running.plan.image,
    labels: { ...nodePlan.labels, [LABEL.role]: 'observer' },
    networks: [],
    joinNamespacesOf: containerOf(running, node),
    capAdd: OBSERVER_CAPS,
    limits: { memoryBytes: 256 * 1024 * 1024, pids: 64 },
  });
}

/** Runs a command in a node's observer, as root with the observer's capabilities. */
export async function observe(
  running: RunningLab,
  node: string,
  cmd: string[],
  timeoutMs = 10_000,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const id = await ensureObserver(running, node);
  const r = await running.runtime.exec(id, cmd, { timeoutMs });
  if (r.timedOut) throw new StepError(`\`${cmd.join(' ')}\` in node ${node} did not finish within ${timeoutMs / 1000}s`);
  return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}
