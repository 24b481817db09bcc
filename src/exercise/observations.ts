import type { ProbeKind, ProbeReadings } from './probe-kinds/registry.js';
import type { Packet, SocketEntry } from '../observe/types.js';

/** Everything the checks may look at, gathered by the exercise. Plain data. */
export interface Observations {
  /** Node name → its real addresses in this instance (every network, IPv4 and IPv6). */
  addresses: Record<string, string[]>;
  /** Node name → network name → its real address there. */
  networks: Record<string, Record<string, string>>;
  /** Declared lab address → this instance's real address (the host part is kept). */
  declared: Record<string, string>;
  /** Programs and commands by run name (a start/run step's name, or a command's). */
  programs: Record<string, ProgramObservation>;
  captures: Record<string, CaptureObservation>;
  /** Probe name → what it saw. End-of-exercise probes are named `end:<kind>:<node>`. */
  probes: Record<string, ProbeObservation>;
  /** Submission files (answer files) by name: their text, or undefined when missing. */
  files: Record<string, string | undefined>;
  steps: StepRecord[];
  /** What the nodes' limits stopped during the run (OOM kills, refused forks, full tmpfs), in words. */
  sandbox?: string[];
  /** The folder this run's pcaps and outputs went to (its own; see claimRunFolder), when it kept any. */
  artifactsDir?: string;
}

export interface ProgramObservation {
  node: string;
  kind: 'program' | 'command';
  stdout: string;
  stderr: string;
  /** Undefined while running (background programs) or when killed at a timeout. */
  exitCode?: number;
  pid?: number;
  timedOut: boolean;
  /** Still running when the exercise ended (background programs). */
  running: boolean;
  /** Output beyond the kept part, counted, not kept. */
  droppedBytes: number;
  durationMs?: number;
  /** Why it could not run at all (compile error, never ready, never started). */
  error?: string;
}

export interface CaptureObservation {
  node: string;
  packets: Packet[];
  /** Saved pcap, when the run keeps artifacts. */
  file?: string;
  /** Packets the kernel dropped because tcpdump could not keep up (its own closing count); absent when none. */
  dropped?: number;
  error?: string;
}

/** What a probe saw: its raw output and the parsed field of its kind (`sockets`, `interfaces`, `ping` ...: see probe-kinds/). */
export interface ProbeObservation extends ProbeReadings {
  node: string;
  kind: ProbeKind;
  raw: string;
  error?: string;
  /** This run's sockets: without Docker's DNS listener and without what earlier runs left (see `earlier`). */
  sockets?: SocketEntry[];
  /**
   * TCP connections an earlier run left in the table (their 4-tuple was there before this run began and no
   * SYN of this run opened it again: a previous check's TIME_WAIT). Not evidence about this run.
   */
  earlier?: SocketEntry[];
}

export interface StepRecord {
  index: number;
  description: string;
  status: 'ok' | 'failed';
  message?: string;
  durationMs: number;
}

export function endProbeName(node: string, kind: ProbeKind = 'sockets'): string {
  return `end:${kind}:${node}`;
}

/** Empty observations for a lab whose nodes have these addresses (tests build on it). */
export function emptyObservations(addresses: Record<string, string[]> = {}): Observations {
  return { addresses, networks: {}, declared: {}, programs: {}, captures: {}, probes: {}, files: {}, steps: [] };
}
