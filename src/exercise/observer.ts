import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import { LABEL } from '../plan/labels.js';
import { StepError } from '../errors.js';

/**
 * Nodes run with no capabilities. Capturing and reading other processes' sockets happen in an observer:
 * a sidecar that joins the node's network and PID namespaces with just the capabilities those tools need.
 */
// tcpdump's -Z root still calls setgroups/setgid/setuid, which need SETGID and SETUID even for root.
const OBSERVER_CAPS = ['NET_RAW', 'NET_ADMIN', 'SYS_PTRACE', 'DAC_READ_SEARCH', 'SETUID', 'SETGID'];

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
export async function observe(running: RunningLab, node: string, cmd: string[], timeoutMs = 10_000): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const id = await ensureObserver(running, node);
  const r = await running.runtime.exec(id, cmd, { timeoutMs });
  if (r.timedOut) throw new StepError(`\`${cmd.join(' ')}\` in node ${node} did not finish within ${timeoutMs / 1000}s`);
  return { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

export interface CaptureHandle {
  name: string;
  node: string;
  file: string;
}

/**
 * Starts tcpdump in the node's observer and waits until it reports that it is listening, in one exec:
 * tcpdump goes to the background (its output to files, so the exec can end while it runs) and a loop
 * inside the observer watches its stderr every 20 ms. (It was a detached exec and then polls, each a
 * full exec.)
 */
export async function startCapture(running: RunningLab, spec: { name: string; node: string; filter?: string; interface?: string }): Promise<CaptureHandle> {
  const id = await ensureObserver(running, spec.node);
  const base = `/tmp/capture-${spec.name}`;
  const args = ['tcpdump', '-i', spec.interface ?? 'any', '-nn', '-U', '-Z', 'root', '-w', `${base}.pcap`];
  const filter = spec.filter ? ` ${shellQuote(spec.filter)}` : '';
  const script = [
    `rm -f ${base}.*; ${args.join(' ')}${filter} >/dev/null 2>${base}.err </dev/null & echo $! >${base}.pid`,
    'end=$(( $(date +%s%N) / 1000000 + 10000 ))',
    'while :; do',
    `  if grep -q 'listening on' ${base}.err 2>/dev/null; then echo @@ok; exit 0; fi`,
    `  if ! kill -0 $(cat ${base}.pid) 2>/dev/null; then echo @@dead; cat ${base}.err; exit 0; fi`,
    '  if [ $(( $(date +%s%N) / 1000000 )) -ge $end ]; then echo @@timeout; exit 0; fi',
    '  sleep 0.02',
    'done',
  ].join('\n');
  const r = await running.runtime.exec(id, ['sh', '-c', script], { timeoutMs: 20_000 });
  const text = r.stdout.toString();
  if (text.startsWith('@@ok')) return { name: spec.name, node: spec.node, file: `${base}.pcap` };
  if (text.startsWith('@@dead')) throw new StepError(`tcpdump could not start in node ${spec.node}: ${text.replace('@@dead', '').trim() || 'it exited at once'}`);
  throw new StepError(`tcpdump in node ${spec.node} did not report 'listening on' within 10s`);
}

/**
 * Stops a capture (SIGINT, so tcpdump flushes) and returns the pcap file's bytes. One exec does it all:
 * signal, wait inside the observer (up to 5 s) until tcpdump is gone, then print the file. (It was three
 * execs and polls, each ~150 ms or more of engine time.)
 */
export async function stopCapture(running: RunningLab, handle: CaptureHandle): Promise<Buffer> {
  const id = await ensureObserver(running, handle.node);
  const pidFile = handle.file.replace(/\.pcap$/, '.pid');
  const script =
    `p=$(cat ${pidFile} 2>/dev/null); [ -n "$p" ] && kill -INT "$p" 2>/dev/null; ` +
    `i=0; while [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ $i -lt 250 ]; do sleep 0.02; i=$((i+1)); done; ` +
    `exec cat ${handle.file}`;
  const r = await running.runtime.exec(id, ['sh', '-c', script], { maxBytes: 64 * 1024 * 1024, timeoutMs: 15_000 });
  if (r.exitCode !== 0) throw new StepError(`capture ${handle.name} in node ${handle.node} wrote no file`);
  return r.stdout;
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
