import type { Packet, SocketEntry } from '../observe/types.js';

/** Everything the checks may look at, gathered by the exercise. Plain data. */
export interface Observations {
  /** Node name → its real IPv4 addresses in this instance. */
  addresses: Record<string, string[]>;
  programs: Record<string, ProgramObservation>;
  captures: Record<string, CaptureObservation>;
  /** Probe name → socket table. End-of-exercise tables are named `end:<node>`. */
  probes: Record<string, ProbeObservation>;
  steps: StepRecord[];
}

export interface ProgramObservation {
  node: string;
  stdout: string;
  stderr: string;
  /** Undefined while running (background programs) or when killed at a timeout. */
  exitCode?: number;
  timedOut: boolean;
  /** Still running when the exercise ended (background programs). */
  running: boolean;
  droppedBytes: number;
  durationMs?: number;
  /** Why it could not run at all (compile error, never ready). */
  error?: string;
}

export interface CaptureObservation {
  node: string;
  packets: Packet[];
  /** Saved pcap, when the run keeps artifacts. */
  file?: string;
  error?: string;
}

export interface ProbeObservation {
  node: string;
  sockets: SocketEntry[];
  raw: string;
  error?: string;
}

export interface StepRecord {
  index: number;
  description: string;
  status: 'ok' | 'failed';
  message?: string;
  durationMs: number;
}

export function endProbeName(node: string): string {
  return `end:${node}`;
}
