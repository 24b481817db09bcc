// What the benchmark asks the engine directly (through dockerode, as toplab does): subnets in use,
// memory of containers, and the label-based sweep that removes whatever a run left behind.
import Docker from 'dockerode';

export const docker = new Docker();

/** Labels the benchmark puts on its Compose projects (toplab's own resources carry org.toplab.*). */
export const BENCH_LABEL = 'org.toplab.bench';
export const BENCH_RUN_LABEL = 'org.toplab.bench.run';

export async function usedSubnets() {
  const nets = await docker.listNetworks();
  return nets.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s) => typeof s === 'string' && s.includes('.')));
}

/** Memory in use by a container as `docker stats` computes it (cgroup v1: usage minus inactive file cache). */
export async function memoryBytes(id) {
  const s = await docker.getContainer(id).stats({ stream: false, 'one-shot': true });
  const m = s.memory_stats ?? {};
  const st = m.stats ?? {};
  const cache = st.total_inactive_file ?? st.inactive_file ?? 0;
  return Math.max(0, (m.usage ?? 0) - cache);
}

/** Containers with all the given labels (`key=value`). */
export async function containersWith(labels) {
  return docker.listContainers({ all: true, filters: { label: labels } });
}

/**
 * Removes what a run left behind, found by label alone: Compose resources carrying this run's label, and
 * toplab instances whose instance label starts with this run's prefix. Returns what it removed.
 */
export async function sweep(runId, instancePrefix) {
  const removed = { containers: 0, networks: 0 };
  const mine = (labels) => labels?.[BENCH_RUN_LABEL] === runId || (labels?.['org.toplab.managed'] === 'true' && String(labels['org.toplab.instance'] ?? '').startsWith(instancePrefix));
  const containers = (await docker.listContainers({ all: true, filters: { label: ['org.toplab.managed=true'] } })).concat(
    await docker.listContainers({ all: true, filters: { label: [`${BENCH_RUN_LABEL}=${runId}`] } }),
  );
  const seen = new Set();
  await Promise.all(
    containers
      .filter((c) => mine(c.Labels) && !seen.has(c.Id) && seen.add(c.Id))
      .map(async (c) => {
        await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
        removed.containers++;
      }),
  );
  const networks = (await docker.listNetworks({ filters: { label: ['org.toplab.managed=true'] } })).concat(
    await docker.listNetworks({ filters: { label: [`${BENCH_RUN_LABEL}=${runId}`] } }),
  );
  const seenNets = new Set();
  const stuck = [];
  await Promise.all(
    networks
      .filter((n) => mine(n.Labels) && !seenNets.has(n.Id) && seenNets.add(n.Id))
      .map(async (n) => {
        // A network just left by its containers can be refused for a moment: try a few times.
        for (let attempt = 1; ; attempt++) {
          try {
            await docker.getNetwork(n.Id).remove();
            removed.networks++;
            return;
          } catch (e) {
            if (e.statusCode === 404) return;
            if (attempt >= 5) {
              stuck.push(n.Name);
              return;
            }
            await new Promise((res) => setTimeout(res, 1000));
          }
        }
      }),
  );
  return { ...removed, stuck };
}
