import { EngineError } from '../errors.js';
import { observe } from './observer.js';
import { NETEM_PROBE, netemFromProbe, type KernelTc } from '../plan/impair.js';
import { needsNetemProbe, needsNetworkSetup, nodeNetworkCommands, parseIpAddr } from '../plan/network-commands.js';
import type { NodePlan } from '../plan/plan.js';
import type { RunningLab } from './running-lab.js';

/**
 * Gives started nodes their gateways, routes and impairments. Nodes have no capabilities, so this runs in
 * each node's observer (a sidecar in its network namespace with NET_ADMIN), only for nodes that need it.
 */
export async function setupNodeNetworks(running: RunningLab, onProgress?: (line: string) => void): Promise<void> {
  const nodes = running.plan.nodes.filter(needsNetworkSetup);
  if (nodes.length === 0) return;
  let kernel: Promise<KernelTc> | undefined;
  const kernelOf = (node: NodePlan): Promise<KernelTc> => (kernel ??= probeKernel(running, node.name));
  await Promise.all(
    nodes.map(async (node) => {
      const tc: KernelTc = needsNetemProbe(node) ? await kernelOf(node) : { netem: false };
      const addr = await observe(running, node.name, ['ip', '-o', 'addr', 'show']);
      const { commands, problems } = nodeNetworkCommands(node, parseIpAddr(addr.stdout), tc);
      if (problems.length > 0)
        throw new EngineError(problems.join('; '), {
          hint: 'take the impairment out of the lab file, or run the lab on a machine whose kernel has it',
        });
      for (const cmd of commands) {
        const r = await observe(running, node.name, cmd);
        if (r.exitCode !== 0) throw new EngineError(`\`${cmd.join(' ')}\` failed in node ${node.name}: ${(r.stderr || r.stdout).trim()}`);
      }
      if (commands.length > 0)
        onProgress?.(`node ${node.name}: ${commands.length} network setting${commands.length === 1 ? '' : 's'} applied`);
    }),
  );
}

async function probeKernel(running: RunningLab, node: string): Promise<KernelTc> {
  const r = await observe(running, node, NETEM_PROBE);
  try {
    return { netem: netemFromProbe(r.exitCode, r.stdout + r.stderr) };
  } catch (e) {
    throw new EngineError(e instanceof Error ? e.message : String(e));
  }
}
