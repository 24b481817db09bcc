import { hostname } from 'node:os';
import { EngineError, errorMessage, throwIfAborted, ToplabError, UsageError } from '../errors.js';
import type { Lab } from '../lab/model.js';
import { extraHosts } from '../plan/hosts.js';
import { LABEL, leaseSeconds, ownerLabels, type Owner } from '../plan/labels.js';
import { abortableRuntime } from '../runtime/abortable.js';
import { acquireCreationLock } from './lock.js';
import { track } from './owned.js';
import { planLab, subnetPools, type LabPlan } from '../plan/plan.js';
import type { CompiledProgram } from '../programs/compile.js';
import type { Runtime } from '../runtime/runtime.js';
import { nodeTmpfs, programFiles } from './node-layout.js';
import { removeInstance } from './down.js';
import { attach, instanceState, type InstanceState, type RunningLab } from './running-lab.js';
import { setupNodeNetworks } from './network-setup.js';

export interface UpOptions {
  runtime: Runtime;
  instance: string;
  image: string;
  /** Compiled programs to install, by program name. */
  programs: CompiledProgram[];
  onProgress?: (line: string) => void;
  /** After each node's container is created: how many of the lab's nodes have one so far, of how many. */
  onContainer?: (created: number, total: number) => void;
  /** Stops the deploy: nothing more is created, what was made is removed, and it rejects with an InterruptedError. */
  signal?: AbortSignal;
  /** Who creates it (for the ownership labels), e.g. `up`, `check`, `grade`; default `library`. */
  command?: string;
  /**
   * `grading`: a temporary instance; its nodes end by themselves after the lease (TOPLAB_LEASE_SECONDS) and
   * any command's sweep removes it once its owner is gone. `lab` (default): the user's, kept until `lab down`.
   */
  purpose?: 'lab' | 'grading';
  /** Keep the creation lock after the deploy (the caller still has setup to do): release it with `releaseLock`. */
  keepLock?: boolean;
  /**
   * The caller has just seen that nothing of this instance exists (a grade's own new instance, named by it):
   * the first look, which only finds an instance that is up already, is skipped. The lock still decides.
   */
  fresh?: boolean;
  /** The IPv4 and IPv6 ranges the instance's subnets come from (default: TOPLAB_SUBNET_POOL(6), else toplab's defaults). */
  subnetPools?: { pool: string; pool6: string };
}

export interface UpResult {
  running: RunningLab;
  /** The instance was already up; nothing was changed. */
  alreadyUp: boolean;
  ms: number;
  /** With keepLock: ends the creation (and the ownership by this process) of the instance. */
  releaseLock: () => Promise<void>;
}

const noLock = (): Promise<void> => Promise.resolve();

/** Who this process is, for the ownership labels. */
export function currentOwner(command: string, lease = leaseSeconds()): Owner {
  return { command, host: hostname(), pid: process.pid, started: new Date(), leaseSeconds: lease };
}

/**
 * Creates the instance's networks and containers (each group in parallel), all labelled. On an engine
 * failure everything created so far is removed before the error goes up.
 */
export async function deploy(lab: Lab, options: UpOptions): Promise<UpResult> {
  const started = Date.now();
  const opts = { ...options, runtime: abortableRuntime(options.runtime, options.signal) };
  const { runtime, instance } = opts;
  throwIfAborted(opts.signal);
  const state: InstanceState =
    opts.fresh === true ? { containers: [], networks: [], complete: false } : await instanceState(runtime, lab, instance);
  const from = state.containers.find((c) => c.labels[LABEL.labFile] !== undefined)?.labels[LABEL.labFile];
  if (from !== undefined && from !== lab.file) {
    // A copied lab folder whose `name:` was not changed: its instance would be the other folder's.
    throw new UsageError(`instance ${instance} of ${lab.name} is already up from another lab file (${from}), not ${lab.file}`, {
      hint: `give this copy its own \`name:\` in its lab file, or use another instance (--instance NAME), or run \`lab down ${from}\` first`,
    });
  }
  if (state.complete)
    return { running: attach(runtime, lab, instance, state, opts.image), alreadyUp: true, ms: Date.now() - started, releaseLock: noLock };
  const owner = currentOwner(opts.command ?? 'library');
  // One creator at a time: a second command gets a clear message and touches nothing of the first one's.
  const lock = await acquireCreationLock(runtime, lab.name, instance, opts.image, owner);
  const untrack = track(runtime, lab.name, instance, lock.release);
  const release = async (): Promise<void> => {
    untrack();
    await lock.release();
  };
  // The subnets in use are asked with the second look (one round trip); asked again below if anything is removed.
  let used: Promise<string[]> | undefined = runtime.usedSubnets();
  used.catch(() => undefined); // awaited when the networks are planned
  try {
    const again = lock.tookOver === undefined ? await instanceState(runtime, lab, instance) : undefined;
    if (again !== undefined && isComplete(lab, again)) {
      // Finished by another command between the first look and the lock.
      await release();
      return { running: attach(runtime, lab, instance, again, opts.image), alreadyUp: true, ms: Date.now() - started, releaseLock: noLock };
    }
    const leftover = (s: { containers: unknown[]; networks: unknown[] } | undefined): boolean =>
      s !== undefined && (s.containers.length > 0 || s.networks.length > 0);
    if (lock.tookOver !== undefined || leftover(state) || leftover(again)) {
      opts.onProgress?.(
        `removing a half-made instance ${lab.name}/${instance}${lock.tookOver !== undefined ? ` left by a command that is gone (${lock.tookOver})` : ' left from an earlier run'}`,
      );
      await removeInstance(runtime, lab.name, instance);
      used = undefined;
    }
  } catch (e) {
    await release().catch(() => undefined);
    throw e;
  }
  const grading = opts.purpose === 'grading';
  const ownership: Record<string, string> = { ...ownerLabels(owner), [LABEL.purpose]: grading ? 'grading' : 'lab' };
  // A user's lab has no lease: it is handed over when `up` ends, and kept until `lab down`.
  if (!grading) delete ownership[LABEL.leaseUntil];
  let rules: Promise<void> | undefined;
  try {
    const plan = await createNetworks(lab, { ...opts, ownership }, used);
    for (const node of plan.nodes) Object.assign(node.labels, ownership);
    // The host's filter must let routed lab traffic through (and keep IPv6 in) before any node talks; after
    // the networks, because Docker inserts rules of its own for them.
    rules = runtime.ensureHostRules(plan.hostRules, plan.image);
    rules.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    const containers = new Map<string, string>();
    // Settled, not Promise.all: on a failure the instance is removed only once no creation is still in flight,
    // or a container created after the removal would be left behind.
    const created = await Promise.allSettled(
      plan.nodes.map(async (node) => {
        const programs = opts.programs.filter((p) => lab.programs[p.name]?.node === node.name);
        const id = await runtime.createContainer({
          name: node.container,
          hostname: node.hostname,
          image: plan.image,
          labels: node.labels,
          networks: node.interfaces.map((i) => {
            const net = plan.networks.find((n) => n.name === i.network);
            return {
              name: net?.dockerName ?? i.network,
              address: i.address,
              ...(i.address6 !== undefined ? { address6: i.address6 } : {}),
              aliases: [node.name],
            };
          }),
          sysctls: node.sysctls,
          // Nodes behind routers resolve by name too (Docker's DNS only knows shared networks).
          extraHosts: extraHosts(plan, node.name),
          capAdd: node.capAdd,
          // The node ends when the lease on its labels does, however long the deploy took to get here.
          ...(grading ? { leaseSeconds: Math.max(1, (owner.started.getTime() + owner.leaseSeconds * 1000 - Date.now()) / 1000) } : {}),
          tmpfs: nodeTmpfs(),
          // Nodes with no programs get no archive: each costs the engine a mount of the container's file system.
          ...(programs.length > 0 ? { files: { dir: '/opt', entries: programFiles(programs) } } : {}),
        });
        containers.set(node.name, id);
        opts.onContainer?.(containers.size, plan.nodes.length);
      }),
    );
    const failed = created.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await rules;
    const running: RunningLab = { lab, plan, runtime, containers };
    await setupNodeNetworks(running, opts.onProgress);
    throwIfAborted(opts.signal);
    if (!opts.keepLock) await release();
    return { running, alreadyUp: false, ms: Date.now() - started, releaseLock: release };
  } catch (e) {
    // Rules still being added when a creation failed would be added after the clean-up took them away, and
    // stay on the host with no lab that needs them: the clean-up waits for them first.
    await rules?.catch(() => undefined);
    await removeInstance(runtime, lab.name, instance).catch(() => undefined);
    await release().catch(() => undefined);
    if (e instanceof ToplabError) throw e;
    throw new EngineError(`could not create ${lab.name}/${instance}: ${errorMessage(e)}`, { cause: e });
  }
}

function isComplete(
  lab: Lab,
  state: { containers: { labels: Record<string, string>; running?: boolean }[]; networks: { labels: Record<string, string> }[] },
): boolean {
  const nodes = state.containers.filter((c) => c.labels[LABEL.role] === 'node');
  return (
    Object.keys(lab.nodes).every((n) => nodes.some((c) => c.labels[LABEL.node] === n && c.running === true)) &&
    Object.keys(lab.networks).every((n) => state.networks.some((x) => x.labels[LABEL.network] === n))
  );
}

/** Plans against the engine's used subnets and creates the networks; retries when another instance wins a race for a subnet. */
async function createNetworks(
  lab: Lab,
  opts: UpOptions & { ownership: Record<string, string> },
  usedFirst?: Promise<string[]>,
): Promise<LabPlan> {
  const pools = opts.subnetPools ?? subnetPools();
  for (let attempt = 0; ; attempt++) {
    const plan = planLab(lab, {
      instance: opts.instance,
      image: opts.image,
      usedSubnets: await (attempt === 0 && usedFirst !== undefined ? usedFirst : opts.runtime.usedSubnets()),
      attempt,
      ...pools,
    });
    const rules = plan.hostRules.bridgedForwarding || plan.hostRules.ipv6Isolation;
    const results = await Promise.allSettled(
      plan.networks.map((n) =>
        opts.runtime.createNetwork({
          name: n.dockerName,
          subnet: n.subnet,
          ...(n.subnet6 !== undefined ? { subnet6: n.subnet6 } : {}),
          ...(n.mtu !== undefined ? { mtu: n.mtu } : {}),
          bridge: n.bridge,
          labels: { ...n.labels, ...opts.ownership, ...(rules ? { [LABEL.hostRules]: 'true' } : {}) },
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return plan;
    const msg = errorMessage(failed.reason);
    await removeInstance(opts.runtime, lab.name, opts.instance);
    if (!/overlap|conflict|in use/i.test(msg) || attempt >= 8) throw failed.reason;
  }
}
