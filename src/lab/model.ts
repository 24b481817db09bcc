/** A lab file after validation. The JSON Schema in schema/lab.schema.json is the source of truth. */
export interface LabDefinition {
  name: string;
  title: string;
  summary?: string;
  difficulty?: 'intro' | 'core' | 'advanced';
  seed?: string;
  minutes?: number;
  networks: Record<string, NetworkDef>;
  nodes: Record<string, NodeDef>;
  programs: Record<string, ProgramDef>;
  exercise: StepDef[];
  checks: CheckDef[];
  /** Share of the maximum score needed to pass, 0..1 (default 1: every check). */
  passMark?: number;
}

export interface NetworkDef {
  subnet: string;
}

export interface NodeDef {
  /** Network name → IPv4 address on it. */
  interfaces: Record<string, string>;
}

export interface ProgramDef {
  node: string;
  /** TypeScript file, relative to the lab folder. */
  source: string;
  env?: Record<string, string>;
  args?: string[];
}

export interface ReadyDef {
  tcp?: number;
  udp?: number;
  /** Seconds to wait for readiness (default 10). */
  timeout?: number;
}

export type StepDef =
  | { start: string; ready?: ReadyDef }
  | { run: string; timeout?: number; stdin?: string }
  | { capture: { name: string; node: string; filter?: string; interface?: string } }
  | { probe: { name: string; node: string } };

export interface CheckBase {
  id: string;
  points: number;
  title?: string;
}

export type CheckDef = CheckBase &
  (
    | { socket: { node: string; tcp?: number; udp?: number; state: string; probe?: string } }
    | { handshake: { capture: string; client: string; server: string; port: number } }
    | { teardown: { capture: string; initiator: string; port?: number } }
    | { output: { program: string; stream?: 'stdout' | 'stderr'; equals?: string; contains?: string; matches?: string } }
    | { exit: { program: string; code: number } }
  );

/** A loaded lab: its definition and where it came from. */
export interface Lab {
  def: LabDefinition;
  /** Absolute folder of the lab (programs resolve against it). */
  dir: string;
  /** Absolute path of lab.yaml. */
  file: string;
}
