/**
 * resolveLab: a valid lab file's defaults and names applied once, so that nothing downstream re-reads the
 * raw YAML shape (`'start' in step`, `passMark ?? 1`, `timeout ?? 20`). Every default the lab format
 * documents (schema/lab.schema.json's "default ..." phrases) is a constant of DEFAULTS; a unit test
 * (test/unit/lab/resolve.test.ts) holds the two together.
 */
import { resolveCheck, type ResolvedCheck } from '../checks/registry.js';

export type { ResolvedCheck } from '../checks/registry.js';
import {
  tagStep,
  type CaptureStep,
  type CommandStep,
  type ProbeKind,
  type ProbeStep,
  type StartStep,
  type StepDef,
  type WaitStep,
} from '../schema/steps.js';
import type { LabFile } from './lab-schema.js';

export const DEFAULTS = {
  /** Share of the maximum score needed to pass. */
  passMark: 1,
  /** Seconds a started program has to become ready. */
  readyTimeoutS: 20,
  /** Seconds a run, a command or a wait may take. */
  runTimeoutS: 10,
  commandTimeoutS: 10,
  /** A command runs as the unprivileged user `student` unless it asks for the observer. */
  commandPrivileged: false,
  waitTimeoutS: 10,
  /** Seconds a probe may take; a traceroute's own. */
  probeTimeoutS: 10,
  tracerouteTimeoutS: 30,
  probeKind: 'sockets' as ProbeKind,
  /** ping probes: echo requests, and payload bytes of each. */
  pingCount: 3,
  pingSize: 56,
  stopSignal: 'TERM' as 'TERM' | 'INT' | 'KILL',
  /** IP version of a probe's target. */
  family: 4 as 4 | 6,
  /** The socket state a wait (or a readiness condition) looks for: LISTEN for tcp and unix, UNCONN for udp. */
  socketState: 'LISTEN',
  udpSocketState: 'UNCONN',
  /** Bytes tcpdump keeps of each packet (DEFAULT_SNAPLEN of src/exercise/capture.ts). */
  snaplen: 65535,
} as const;

interface Run {
  /** The step's position in `exercise`. */
  index: number;
  /** The name its output, exit code and pid are kept under. */
  name: string;
  args?: string[];
  env?: Record<string, string>;
}

/** A step with its kind named and its defaults applied. */
export type ResolvedStep =
  | (Run & { kind: 'start'; program: string; ready?: Omit<NonNullable<StartStep['ready']>, 'timeout'>; readyTimeoutS: number })
  | (Run & { kind: 'run'; program: string; stdin?: string; timeoutS: number })
  | ({ kind: 'command'; index: number } & Omit<CommandStep['command'], 'timeout' | 'privileged'> & {
        privileged: boolean;
        timeoutS: number;
      })
  | ({ kind: 'capture'; index: number } & CaptureStep['capture'])
  | ({ kind: 'probe'; index: number } & Omit<ProbeStep['probe'], 'kind' | 'timeout' | 'family' | 'count' | 'size'> & {
        probe: ProbeKind;
        family: 4 | 6;
        count: number;
        size: number;
        timeoutS: number;
      })
  | ({ kind: 'wait'; index: number } & Omit<WaitStep['wait'], 'timeout'> & { timeoutS: number })
  | { kind: 'stop'; index: number; target: string; signal: 'TERM' | 'INT' | 'KILL' };
export type StepKindName = ResolvedStep['kind'];
/** The resolved step of one kind: `StepOfKind<'start'>`. */
export type StepOfKind<K extends StepKindName> = Extract<ResolvedStep, { kind: K }>;
/** What a probe takes, its defaults applied: a probe step's fields, or an end-of-run probe's. */
export type ResolvedProbe = Omit<StepOfKind<'probe'>, 'kind' | 'index'>;

/** The state a socket condition means when it names none: LISTEN for tcp and unix, UNCONN for udp. */
export function defaultSocketState(w: { udp?: number }): string {
  return w.udp !== undefined ? DEFAULTS.udpSocketState : DEFAULTS.socketState;
}

/** A probe's defaults applied: its kind, IP family, ping count and size, and timeout (seconds). */
export function resolveProbe(raw: ProbeStep['probe']): ResolvedProbe {
  const { kind, timeout, family, count, size, ...p } = raw;
  const probe = kind ?? DEFAULTS.probeKind;
  return {
    ...p,
    probe,
    family: family ?? DEFAULTS.family,
    count: count ?? DEFAULTS.pingCount,
    size: size ?? DEFAULTS.pingSize,
    timeoutS: timeout ?? (probe === 'traceroute' ? DEFAULTS.tracerouteTimeoutS : DEFAULTS.probeTimeoutS),
  };
}

/**
 * A lab as everything after loading reads it. The lab's name, title, networks and nodes are the file's own (they
 * have no defaults); `programs`, `modules` and `submissionFiles` have theirs applied; steps and checks are
 * resolved (kinds named, defaults filled in).
 */
export interface ResolvedLab {
  /** The lab's name: its folder under labs/, the `tl-<name>-...` prefix of its containers. */
  name: string;
  /** One line, as `lab list` shows it. */
  title: string;
  /** A paragraph on what the lab teaches, when the file gives one. */
  summary?: string;
  networks: LabFile['networks'];
  nodes: LabFile['nodes'];
  /** Programs by name; `{}` when the file declares none. */
  programs: Programs;
  /** npm packages the programs may import besides Node's own; `[]` when none. */
  modules: string[];
  /** The files a student submits: `submission.files`, or (when the file lists none) every program's source. */
  submissionFiles: string[];
  passMark: number;
  /** The sum of the checks' points. */
  maxScore: number;
  steps: ResolvedStep[];
  checks: ResolvedCheck[];
}

/** The step's kind named and its defaults applied. */
export function resolveStep(raw: StepDef, index: number): ResolvedStep {
  const t = tagStep(raw);
  switch (t.kind) {
    case 'start': {
      const step = t.step;
      const { timeout, ...ready } = step.ready ?? {};
      return {
        kind: 'start',
        index,
        program: step.start,
        name: step.name ?? step.start,
        ...opt('args', step.args),
        ...opt('env', step.env),
        ...(step.ready ? { ready } : {}),
        readyTimeoutS: timeout ?? DEFAULTS.readyTimeoutS,
      };
    }
    case 'run': {
      const step = t.step;
      return {
        kind: 'run',
        index,
        program: step.run,
        name: step.name ?? step.run,
        ...opt('args', step.args),
        ...opt('env', step.env),
        ...opt('stdin', step.stdin),
        timeoutS: step.timeout ?? DEFAULTS.runTimeoutS,
      };
    }
    case 'command': {
      const { timeout, privileged, ...c } = t.step.command;
      return {
        kind: 'command',
        index,
        ...c,
        privileged: privileged ?? DEFAULTS.commandPrivileged,
        timeoutS: timeout ?? DEFAULTS.commandTimeoutS,
      };
    }
    case 'capture':
      return { kind: 'capture', index, ...t.step.capture };
    case 'probe':
      return { kind: 'probe', index, ...resolveProbe(t.step.probe) };
    case 'wait': {
      const { timeout, state, ...w } = t.step.wait;
      // A wait for a socket looks for a state; one for a program's exit or output has none.
      const socket = w.tcp !== undefined || w.udp !== undefined || w.unix !== undefined;
      return {
        kind: 'wait',
        index,
        ...w,
        ...opt('state', state ?? (socket ? defaultSocketState(w) : undefined)),
        timeoutS: timeout ?? DEFAULTS.waitTimeoutS,
      };
    }
    case 'stop':
      return { kind: 'stop', index, target: t.step.stop, signal: t.step.signal ?? DEFAULTS.stopSignal };
  }
}

type Programs = NonNullable<LabFile['programs']>;

/** The files a student submits: those the lab lists, or else every program's source. */
export function submissionFilesOf(def: { programs?: Programs; submission?: LabFile['submission'] }): string[] {
  return [...new Set(def.submission?.files ?? Object.values(def.programs ?? {}).map((p) => p.source))];
}

/** Applies the lab format's defaults and names each step's and check's kind. `def` must be schema-valid. */
export function resolveLab(def: LabFile): ResolvedLab {
  const checks = def.checks.map(resolveCheck);
  return {
    name: def.name,
    title: def.title,
    ...opt('summary', def.summary),
    networks: def.networks,
    nodes: def.nodes,
    programs: def.programs ?? {},
    modules: def.modules ?? [],
    submissionFiles: submissionFilesOf(def),
    passMark: def.passMark ?? DEFAULTS.passMark,
    maxScore: checks.reduce((s, c) => s + c.points, 0),
    steps: def.exercise.map(resolveStep),
    checks,
  };
}

export function opt<K extends string, V>(key: K, value: V | undefined): { [Q in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [Q in K]?: V };
}
