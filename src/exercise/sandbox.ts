import { NODE_TMPFS } from '../deploy/node-layout.js';
import { script } from '../sh/scripts.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { formatBytes } from '../util/bytes.js';

export interface SandboxState {
  oomKills: number;
  pidsRefused: number;
  pidsMax?: number;
  /** Writable places with (almost) no room left. */
  full: { path: string; sizeKiB: number }[];
}

/** Parses what src/sh/sandbox-state.sh printed. Pure. */
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
  if (oom > 0)
    notes.push(
      `in node ${node} the kernel's out-of-memory killer ended ${oom === 1 ? 'a process' : `${oom} processes`} (the node's memory limit was reached)`,
    );
  if (refused > 0)
    notes.push(
      `in node ${node} ${refused} fork${refused === 1 ? ' was' : 's were'} refused at the limit of ${now.pidsMax ?? '?'} processes (a fork bomb?)`,
    );
  for (const f of now.full) {
    if (!before?.full.some((b) => b.path === f.path))
      notes.push(
        `in node ${node} ${f.path} is full (its quota is ${formatBytes(f.sizeKiB * 1024)}): writes there failed with "No space left on device"`,
      );
  }
  return notes;
}

/** Reads a node's sandbox state; undefined when it cannot be read (the report then says nothing). */
export async function readSandbox(running: RunningLab, container: string): Promise<SandboxState | undefined> {
  const r = await running.runtime
    .exec(container, ['sh', '-c', script('sandbox-state'), 'sandbox-state', ...NODE_TMPFS.map((t) => t.path)], { timeoutMs: 10_000 })
    .catch(() => undefined);
  if (!r || r.exitCode === null) return undefined;
  return parseSandbox(r.stdout.toString());
}
