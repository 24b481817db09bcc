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
  /**
   * What a student submits: every file listed (program sources, answer files, command files) must be in the
   * submission, and nothing else of it is used. Default: the source of every program.
   */
  submission?: { files?: string[] };
  /** npm packages the lab's programs may import besides Node's built-ins, resolved from the lab folder. */
  modules?: string[];
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
  /** A unix stream socket listening on this path. */
  unix?: string;
  /** A regular expression a line of stdout matches. */
  stdout?: string;
  /** Seconds to wait for readiness (default 10). */
  timeout?: number;
}

/** Options shared by `start` and `run`: they override the program's own. */
export interface ProgramRunOptions {
  /** Name the run's observations are kept under (default: the program's name). */
  name?: string;
  args?: string[];
  /** Merged over the program's env. */
  env?: Record<string, string>;
}

export type ProbeKind = 'sockets' | 'interfaces' | 'routes' | 'lsof' | 'ping' | 'traceroute';

export interface StartStep extends ProgramRunOptions {
  start: string;
  ready?: ReadyDef;
}
export interface RunStep extends ProgramRunOptions {
  run: string;
  timeout?: number;
  stdin?: string;
}
export interface CommandStep {
  command: {
    name: string;
    node: string;
    /** A shell command line (sh -c). */
    run?: string;
    /** A file of the lab folder (a submission file) run with sh. */
    file?: string;
    privileged?: boolean;
    timeout?: number;
    stdin?: string;
    env?: Record<string, string>;
  };
}
export interface CaptureStep {
  capture: {
    name: string;
    node: string;
    filter?: string;
    interface?: string;
    snaplen?: number;
    /** A submission file holding a tcpdump command line: its options and filter, checked, replace `filter` and `interface`. */
    command?: string;
  };
}
export interface ProbeStep {
  probe: {
    name: string;
    node: string;
    kind?: ProbeKind;
    port?: number;
    target?: string;
    network?: string;
    family?: 4 | 6;
    count?: number;
    size?: number;
    timeout?: number;
  };
}
export interface WaitStep {
  wait: {
    node?: string;
    tcp?: number;
    udp?: number;
    unix?: string;
    state?: string;
    exit?: string;
    output?: string;
    matches?: string;
    timeout?: number;
  };
}
export interface StopStep {
  stop: string;
  signal?: 'TERM' | 'INT' | 'KILL';
}

export type StepDef = StartStep | RunStep | CommandStep | CaptureStep | ProbeStep | WaitStep | StopStep;

export interface CheckBase {
  id: string;
  points: number;
  title?: string;
  /** Added to the message when the check fails. */
  hint?: string;
}

export interface SocketCheck {
  node: string;
  tcp?: number;
  udp?: number;
  unix?: string;
  state?: string;
  family?: 4 | 6;
  peer?: string;
  program?: string;
  absent?: boolean;
  /** Recv-Q at least this many bytes (received, not yet read by the program). */
  minRecvQ?: number;
  /** Send-Q at least this many bytes (written, not yet acknowledged by the peer). */
  minSendQ?: number;
  probe?: string;
}
export interface HandshakeCheck {
  capture: string;
  client: string;
  server: string;
  port: number;
  family?: 4 | 6;
}
export interface TeardownCheck {
  capture: string;
  initiator?: string;
  port?: number;
  halfClose?: boolean;
  reset?: 'forbidden' | 'allowed' | 'required';
}
export interface ByteExpectation {
  bytes?: number;
  minBytes?: number;
  equals?: string;
  contains?: string;
}
export interface TcpDataCheck {
  capture: string;
  client: string;
  server: string;
  port: number;
  toServer?: ByteExpectation;
  toClient?: ByteExpectation;
  echo?: boolean;
}
export interface UdpCheck {
  capture: string;
  from: string;
  to: string;
  port: number;
  count?: number;
  minCount?: number;
  payloads?: string[];
  echo?: boolean;
  noTcp?: boolean;
  /** true: at least one datagram crossed in two or more IP fragments; false: none did. */
  fragmented?: boolean;
}
export interface IcmpCheck {
  capture: string;
  family?: 4 | 6;
  echo?: { from: string; to: string; count?: number; minCount?: number; size?: number };
  timeExceeded?: { from: string[]; to: string };
}
export interface RouteCheck {
  /** A traceroute probe or a command step that ran traceroute. */
  traceroute: string;
  /** Node names, one per hop, the destination last. */
  hops: string[];
}
export type OutputStream = 'stdout' | 'stderr' | 'both';
export interface OutputCheck {
  program: string;
  stream?: OutputStream;
  equals?: string;
  contains?: string;
  matches?: string;
  not?: boolean;
}
export interface ExitCheck {
  program: string;
  code?: number;
  nonzero?: boolean;
}
export type ErrnoName =
  | 'ECONNREFUSED' | 'ECONNRESET' | 'ENOENT' | 'EACCES' | 'EPERM' | 'EADDRINUSE' | 'EADDRNOTAVAIL'
  | 'EMSGSIZE' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EPIPE' | 'ENOTCONN' | 'EINVAL';
export interface ErrorCheck {
  program: string;
  errno: ErrnoName;
  stream?: OutputStream;
}
export interface InterfaceCheck {
  node: string;
  network?: string;
  interface?: string;
  mtu?: number;
  address?: string;
  flags?: string[];
  probe?: string;
}
export interface WindowCheck {
  capture: string;
  from: string;
  port?: number;
}
export interface PortOwnerRef {
  node: string;
  tcp?: number;
  udp?: number;
  probe?: string;
}
export type ObservedValue =
  | { hops: string }
  | { pid: PortOwnerRef }
  | { command: PortOwnerRef }
  | { mtu: { node: string; network?: string; interface?: string; probe?: string } }
  | { address: { node: string; network?: string; family?: 4 | 6 } }
  | { value: string | number };
export type SockaddrField = 'family' | 'address' | 'port' | 'port-bytes' | 'port-host' | 'address-bytes';
/** A program's report of an accepted connection's peer socket address, against the capture and socket table. */
export interface SockaddrCheck {
  /** The program run (or command) whose stdout holds `field: value` lines. */
  report: string;
  /** The line's key (default: the field's name). */
  key?: string;
  field: SockaddrField;
  capture: string;
  /** A sockets probe of `server` read while the connection was open. */
  probe: string;
  client: string;
  server: string;
  port: number;
  /** The IP version the client used on the wire. */
  family?: 4 | 6;
}
export type TcpFlagName = 'SYN' | 'FIN' | 'RST' | 'ACK' | 'PSH';
/** Did a student's capture catch exactly the packets asked for (see src/checks/capture-match.ts)? */
export interface CaptureMatchCheck {
  /** The student's capture (a capture step with `command`). */
  capture: string;
  /** The lab's own capture of the same traffic: which packets there were. */
  reference: string;
  client: string;
  server: string;
  port: number;
  /** Only segments with any of these flags set (default: every segment). */
  flags?: TcpFlagName[];
  /** all: every asked-for packet is in it; only: it holds nothing else (and is not empty). */
  expect: 'all' | 'only';
}
/** An answer file's `key: value` against a value a capture of this run shows. */
export interface CaptureAnswerCheck {
  file: string;
  key: string;
  capture: string;
  /** packets: how many packets the capture holds; mss: the MSS in client's SYN; first-fin: the node that sent the first FIN. */
  value: 'packets' | 'mss' | 'first-fin';
  client?: string;
  server?: string;
  port?: number;
}
/** Options of a student's tcpdump command line. */
export interface TcpdumpCommandCheck {
  file: string;
  /** -n or -nn: no name resolution. */
  numeric?: boolean;
  /** -S: absolute sequence numbers. */
  absoluteSeq?: boolean;
}
/** Which client moved the most bytes to a server, and how fast (see src/checks/top-talker.ts). */
export interface TopTalkerCheck {
  /** A program run or command whose stdout holds the answer. */
  from: string;
  key: string;
  /** host: the top talker (node name or address); rate: its rate, with a unit. */
  measure: 'host' | 'rate';
  /** The lab's capture of the traffic while the student measured. */
  capture: string;
  server: string;
  port: number;
  clients: string[];
  /** Share a rate may be off by (default 0.35). */
  tolerance?: number;
}
/** An answer about bytes a process moved through its user space, against two /proc/<pid>/io readings. */
export interface ProcIoCheck {
  file: string;
  key: string;
  /** Command steps (or program runs) whose stdout is /proc/<pid>/io, before and after. */
  before: string;
  after: string;
  /** Counters whose growth is summed: rchar (read into the process), wchar (written out of it), syscr, syscw ... */
  counters: string[];
  /** The answer is a count of copies: the sum divided by this many bytes, rounded. */
  per?: number;
  /** For a byte answer: share it may be off by (default 0.1). */
  tolerance?: number;
}
export interface AnswerCheck {
  file?: string;
  from?: string;
  key?: string;
  expect: ObservedValue;
}

export type CheckDef = CheckBase &
  (
    | { socket: SocketCheck }
    | { handshake: HandshakeCheck }
    | { teardown: TeardownCheck }
    | { 'tcp-data': TcpDataCheck }
    | { udp: UdpCheck }
    | { icmp: IcmpCheck }
    | { route: RouteCheck }
    | { output: OutputCheck }
    | { exit: ExitCheck }
    | { error: ErrorCheck }
    | { interface: InterfaceCheck }
    | { window: WindowCheck }
    | { answer: AnswerCheck }
    | { sockaddr: SockaddrCheck }
    | { 'capture-match': CaptureMatchCheck }
    | { 'capture-answer': CaptureAnswerCheck }
    | { 'tcpdump-command': TcpdumpCommandCheck }
    | { 'top-talker': TopTalkerCheck }
    | { 'proc-io': ProcIoCheck }
  );

export const CHECK_KINDS = ['socket', 'handshake', 'teardown', 'tcp-data', 'udp', 'icmp', 'route', 'output', 'exit', 'error', 'interface', 'window', 'answer', 'sockaddr', 'capture-match', 'capture-answer', 'tcpdump-command', 'top-talker', 'proc-io'] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/** A loaded lab: its definition and where it came from. */
export interface Lab {
  def: LabDefinition;
  /** Absolute folder of the lab (programs resolve against it). */
  dir: string;
  /** Absolute path of lab.yaml. */
  file: string;
}
