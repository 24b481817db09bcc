import type { Lab } from '../lab/model.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import { planLab, type LabPlan } from '../plan/plan.js';
import { lockFilter } from './lock.js';
import type { ResourceSummary, Runtime } from '../runtime/runtime.js';

/** A deployed lab instance: its plan and the containers that carry its nodes. */
export interface RunningLab {
  lab: Lab;
  plan: LabPlan;
  runtime: Runtime;
  /** Node name → container id. */
  containers: Map<string, string>;
}

export interface InstanceState {
  containers: ResourceSummary[];
  networks: ResourceSummary[];
  /** The instance's creation lock, when a command is creating it (or one that was died doing so). */
  lock?: ResourceSummary;
  /** Every node container and network of the plan exists and every node runs. */
  complete: boolean;
}

export async function instanceState(runtime: Runtime, lab: Lab, instance: string): Promise<InstanceState> {
  const [containers, networks, locks] = await Promise.all([
    runtime.listContainers(labelFilter(lab.name, instance)),
    runtime.listNetworks(labelFilter(lab.name, instance)),
    runtime.listContainers(lockFilter(lab.name, instance)),
  ]);
  const nodes = containers.filter((c) => c.labels[LABEL.role] === 'node');
  const complete =
    Object.keys(lab.nodes).every((n) => nodes.some((c) => c.labels[LABEL.node] === n && c.running)) &&
    Object.keys(lab.networks).every((n) => networks.some((x) => x.labels[LABEL.network] === n));
  const lock = locks[0];
  // An instance whose creation has not finished (or whose creator died) is not up, whatever runs in it.
  return { containers, networks, complete: complete && lock === undefined, ...(lock !== undefined ? { lock } : {}) };
}

/** Rebuilds the handle of a running instance from Docker's labels alone. */
export function attach(runtime: Runtime, lab: Lab, instance: string, state: InstanceState, image: string): RunningLab {
  const subnets: Record<string, string> = {};
  const subnets6: Record<string, string> = {};
  for (const n of state.networks) {
    const name = n.labels[LABEL.network];
    if (name !== undefined && n.subnet !== undefined) subnets[name] = n.subnet;
    if (name !== undefined && n.subnet6 !== undefined) subnets6[name] = n.subnet6;
  }
  const plan = planLab(lab, { instance, image, fixedSubnets: subnets, fixedSubnets6: subnets6 });
  const containers = new Map<string, string>();
  for (const c of state.containers) {
    const node = c.labels[LABEL.node];
    if (c.labels[LABEL.role] === 'node' && node !== undefined) containers.set(node, c.id);
  }
  return { lab, plan, runtime, containers };
}

export function containerOf(running: RunningLab, node: string): string {
  const id = running.containers.get(node);
  if (id === undefined) throw new Error(`node ${node} has no container in ${running.plan.lab}/${running.plan.instance}`);
  return id;
}
