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
  /** IPv4 subnet in CIDR form, e.g. 10.0.1.0/24. */
  subnet: string;
  /** IPv6 subnet in CIDR form (makes the network dual-stack), e.g. fd00:0:0:1::/64. */
  subnet6?: string;
  /** MTU of the network's links in bytes (default 1500). */
  mtu?: number;
  /** What the network stands for, shown in graphs. */
  description?: string;
}

/** A node's interface on one network: its addresses and the impairments of the link. */
export interface InterfaceDef {
  ipv4: string;
  ipv6?: string;
  impair?: ImpairmentDef;
}

/** Link impairments on what leaves a node through one interface. */
export interface ImpairmentDef {
  /** Added one-way delay, e.g. `50ms` (needs netem in the kernel). */
  delay?: string;
  /** Variation of the delay, e.g. `10ms` (needs netem and a delay). */
  jitter?: string;
  /** Share of packets dropped, e.g. `30%`. */
  loss?: string;
  /** Rate limit, e.g. `1mbit`. */
  rate?: string;
}

export interface RouteDef {
  /** Destination subnet (IPv4 or IPv6 CIDR). */
  to: string;
  /** Next hop: an address on one of the node's networks. */
  via: string;
}

/** The capabilities a lab may give a node (nodes have none by default). */
export type Capability = 'NET_ADMIN' | 'NET_RAW' | 'NET_BIND_SERVICE' | 'NET_BROADCAST';

export interface NodeDef {
  /** Network name → the node's IPv4 address on it, or an interface with addresses and impairments. */
  interfaces: Record<string, string | InterfaceDef>;
  /** Default IPv4 gateway: an address on one of the node's networks. */
  gateway?: string;
  /** Default IPv6 gateway. */
  gateway6?: string;
  routes?: RouteDef[];
  /** Forward packets between the node's networks (IPv4 and IPv6 forwarding on). */
  router?: boolean;
  /** Kernel settings of the node's network namespace, from a safe list. */
  sysctls?: Record<string, string | number>;
  /** Extra capabilities, only where the lab needs them. */
  capabilities?: Capability[];
  /** What the node stands for, shown in graphs. */
  description?: string;
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
