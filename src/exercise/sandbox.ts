import type { RunningLab } from '../deploy/running-lab.js';
import type { ProgramObservation } from './observations.js';

/**
 * The writable places of a node, each a tmpfs with a size limit (the rest of its file system is read-only):
 * a submission that fills one gets "No space left on device" and can fill nothing else, the host's disk
 * least of all. Sizes in MiB. tmpfs pages count against the node's memory limit too.
 */
export const NODE_TMPFS: { path: string; mib: number; options: string }[] = [
  // /run stays root's (a student's bind there is refused with EACCES, as on any Linux host; the unix-socket
  // lab teaches that error), /run/toplab inside it is the programs' run folder.
  { path: '/run', mib: 1, options: 'mode=0755' },
  { path: '/run/toplab', mib: 64, options: 'mode=1777' },
  { path: '/tmp', mib: 64, options: 'mode=1777' },
  { path: '/home/student', mib: 64, options: 'uid=1000,gid=1000,mode=0755' },
  { path: '/opt', mib: 32, options: 'mode=0755' },
  { path: '/var/tmp', mib: 16, options: 'mode=1777' },
];

/** Docker's HostConfig.Tmpfs for a node. */
export function nodeTmpfs(): Record<string, string> {
  return Object.fromEntries(NODE_TMPFS.map((t) => [t.path, `rw,nosuid,nodev,size=${t.mib}m,${t.options}`]));
}

/** One exec that reads what the kernel counted against the node's limits: OOM kills, refused forks, full tmpfs. */
export const SANDBOX_SCRIPT = [
  // cgroup v1, then v2 (the names differ; the counters mean the same).
  'grep -h "^oom_kill " /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null | head -1',
  'for f in /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events; do [ -r "$f" ] && { sed "s/^max /pids_refused /" "$f"; break; }; done',
  'for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -r "$f" ] && { echo "pids_max $(cat "$f")"; break; }; done',
  `df -kP ${NODE_TMPFS.map((t) => t.path).join(' ')} 2>/dev/null | sed 1d | sed 's/^/df /'`,
].join('\n');

export interface SandboxState {
  oomKills: number;
  pidsRefused: number;
  pidsMax?: number;
  /** Writable places with (almost) no room left. */
  full: { path: string; sizeKiB: number }[];
}

/** Parses SANDBOX_SCRIPT's output. Pure. */
export function parseSandbox(text: string): SandboxState {
  const st: SandboxState = { oomKills: 0, pidsRefused: 0, full: [] };
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] === 'oom_kill') st.oomKills = Number(f[1]) || 0;
    else if (f[0] === 'pids_refused') st.pidsRefused = Number(f[1]) || 0;
    else if (f[0] === 'pids_max' && /^\d+$/.test(f[1] ?? '')) st.pidsMax = Number(f[1]);
    else if (f[0] === 'df' && f.length >= 7) {
      const size = Number(f[2]);
      const avail = Number(f[4]);
      const path = f[6] ?? '';
      // Full: under 1% or 64 KiB left, whichever is more; a program writing there gets ENOSPC.
      if (size > 0 && avail <= Math.max(64, size / 100)) st.full.push({ path, sizeKiB: size });
    }
  }
  return st;
}

/** What happened in a node since `before` (the state when the exercise began), as notes for the report. */
export function sandboxNotes(node: string, now: SandboxState, before?: SandboxState): string[] {
  const notes: string[] = [];
  const oom = now.oomKills - (before?.oomKills ?? 0);
  const refused = now.pidsRefused - (before?.pidsRefused ?? 0);
  if (oom > 0) notes.push(`in node ${node} the kernel's out-of-memory killer ended ${oom === 1 ? 'a process' : `${oom} processes`} (the node's memory limit was reached)`);
  if (refused > 0) notes.push(`in node ${node} ${refused} fork${refused === 1 ? ' was' : 's were'} refused at the limit of ${now.pidsMax ?? '?'} processes (a fork bomb?)`);
  for (const f of now.full) {
    if (!before?.full.some((b) => b.path === f.path)) notes.push(`in node ${node} ${f.path} is full (its quota is ${formatBytes(f.sizeKiB * 1024)}): writes there failed with "No space left on device"`);
  }
  return notes;
}

/** Reads a node's sandbox state; undefined when it cannot be read (the report then says nothing). */
export async function readSandbox(running: RunningLab, container: string): Promise<SandboxState | undefined> {
  const r = await running.runtime.exec(container, ['sh', '-c', SANDBOX_SCRIPT], { timeoutMs: 10_000 }).catch(() => undefined);
  if (!r || r.exitCode === null) return undefined;
  return parseSandbox(r.stdout.toString());
}

/** "client wrote 1.0 GiB of output; 1.0 MiB kept" for each program whose output went past what is kept. */
export function floodNotes(programs: Record<string, ProgramObservation>): string[] {
  return Object.entries(programs)
    .filter(([, p]) => p.droppedBytes > 0)
    .map(([name, p]) => {
      const kept = Buffer.byteLength(p.stdout) + Buffer.byteLength(p.stderr);
      return `${name} wrote ${formatBytes(kept + p.droppedBytes)} of output; ${formatBytes(kept)} kept`;
    });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(1)} ${units[i] ?? 'KiB'}`;
}
