import { EngineError, errorMessage } from '../errors.js';
import type { Lab } from '../lab/model.js';
import { extraHosts } from '../plan/hosts.js';
import { LABEL } from '../plan/labels.js';
import { planLab, subnetPools, type LabPlan } from '../plan/plan.js';
import type { CompiledProgram } from '../programs/compile.js';
import type { Runtime } from '../runtime/runtime.js';
import { programFiles } from '../exercise/programs.js';
import { removeInstance } from './down.js';
import { attach, instanceState, type RunningLab } from './running-lab.js';
import { setupNodeNetworks } from './network-setup.js';

export interface UpOptions {
  runtime: Runtime;
  instance: string;
  image: string;
  /** Compiled programs to install, by program name. */
  programs: CompiledProgram[];
  onProgress?: (line: string) => void;
}

export interface UpResult {
  running: RunningLab;
  /** The instance was already up; nothing was changed. */
  alreadyUp: boolean;
  ms: number;
}

/**
 * Creates the instance's networks and containers (each group in parallel), all labelled. On an engine
 * failure everything created so far is removed before the error goes up.
 */
export async function deploy(lab: Lab, opts: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const { runtime, instance } = opts;
  const state = await instanceState(runtime, lab, instance);
  if (state.complete) return { running: attach(runtime, lab, instance, state, opts.image), alreadyUp: true, ms: Date.now() - started };
  if (state.containers.length > 0 || state.networks.length > 0) {
    opts.onProgress?.(`removing a partial instance ${lab.def.name}/${instance} left from an earlier run`);
    await removeInstance(runtime, lab.def.name, instance);
  }
  try {
    const plan = await createNetworks(lab, opts);
    // The host's filter must let routed lab traffic through (and keep IPv6 in) before any node talks; after
    // the networks, because Docker inserts rules of its own for them.
    const rules = runtime.ensureHostRules(plan.hostRules, plan.image);
    rules.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    const containers = new Map<string, string>();
    // Settled, not Promise.all: on a failure the instance is removed only once no creation is still in flight,
    // or a container created after the removal would be left behind.
    const created = await Promise.allSettled(
      plan.nodes.map(async (node) => {
        const programs = opts.programs.filter((p) => lab.def.programs[p.name]?.node === node.name);
        const id = await runtime.createContainer({
          name: node.container,
          hostname: node.hostname,
          image: plan.image,
          labels: node.labels,
          networks: node.interfaces.map((i) => {
            const net = plan.networks.find((n) => n.name === i.network);
            return { name: net?.dockerName ?? i.network, address: i.address, ...(i.address6 !== undefined ? { address6: i.address6 } : {}), aliases: [node.name] };
          }),
          sysctls: node.sysctls,
          // Nodes behind routers resolve by name too (Docker's DNS only knows shared networks).
          extraHosts: extraHosts(plan, node.name),
          capAdd: node.capAdd,
          // Nodes with no programs get no archive: each costs the engine a mount of the container's file system.
          ...(programs.length > 0 ? { files: { dir: '/opt', entries: programFiles(programs) } } : {}),
        });
        containers.set(node.name, id);
      }),
    );
    const failed = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await rules;
    const running: RunningLab = { lab, plan, runtime, containers };
    await setupNodeNetworks(running, opts.onProgress);
    return { running, alreadyUp: false, ms: Date.now() - started };
  } catch (e) {
    await removeInstance(runtime, lab.def.name, instance).catch(() => undefined);
    if (e instanceof EngineError) throw e;
    throw new EngineError(`could not create ${lab.def.name}/${instance}: ${errorMessage(e)}`, { cause: e });
  }
}

/** Plans against the engine's used subnets and creates the networks; retries when another instance wins a race for a subnet. */
async function createNetworks(lab: Lab, opts: UpOptions): Promise<LabPlan> {
  const pools = subnetPools();
  for (let attempt = 0; ; attempt++) {
    const plan = planLab(lab, { instance: opts.instance, image: opts.image, usedSubnets: await opts.runtime.usedSubnets(), attempt, ...pools });
    const rules = plan.hostRules.bridgedForwarding || plan.hostRules.ipv6Isolation;
    const results = await Promise.allSettled(
      plan.networks.map((n) =>
        opts.runtime.createNetwork({
          name: n.dockerName,
          subnet: n.subnet,
          ...(n.subnet6 !== undefined ? { subnet6: n.subnet6 } : {}),
          ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
          bridge: n.bridge,
          labels: rules ? { ...n.labels, [LABEL.hostRules]: 'true' } : n.labels,
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return plan;
    const msg = errorMessage(failed.reason);
    await removeInstance(opts.runtime, lab.def.name, opts.instance);
    if (!/overlap|conflict|in use/i.test(msg) || attempt >= 8) throw failed.reason;
  }
}
