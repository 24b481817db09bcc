/** What the rest of toplab needs from a container engine. DockerRuntime is the implementation. */

/** Changes to the engine host's packet filter a lab needs (see src/runtime/docker/host-rules.ts). */
export interface HostRulesNeeded {
  /** A node forwards IPv4 between lab networks: Docker's isolation rules must let bridged frames on lab bridges through. */
  bridgedForwarding: boolean;
  /** A network has IPv6: the host must not route or answer IPv6 for lab bridges (Docker does not isolate IPv6). */
  ipv6Isolation: boolean;
}

export interface ExecOptions {
  user?: string;
  env?: Record<string, string>;
  workdir?: string;
  stdin?: string | Buffer;
  /** Kill switch: after this long the streams are dropped and `timedOut` is set. The caller ends the process. */
  timeoutMs?: number;
  /** Bytes kept per stream; the rest is counted, not kept (default 1 MiB). */
  maxBytes?: number;
  /** Cancels the exec: its streams are dropped and it rejects with the signal's reason (an InterruptedError). */
  signal?: AbortSignal;
  /** Live copies of the output, for `lab exec`. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/** A command attached to the user's terminal or pipes (`lab exec`): input goes in as it comes, output out. */
export interface AttachedExecOptions {
  user?: string;
  env?: Record<string, string>;
  /** A terminal in the container (`docker exec -t`): one output stream, and the size follows the user's. */
  tty: boolean;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** The terminal's size now; `onResize` is called with a function to tell the engine a new one. */
  size?: { rows: number; cols: number };
  onResize?: (resize: (size: { rows: number; cols: number }) => void) => void;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Bytes produced beyond maxBytes, per stream. */
  droppedStdout: number;
  droppedStderr: number;
  timedOut: boolean;
  durationMs: number;
}

export interface NetworkSpec {
  name: string;
  subnet: string;
  /** IPv6 subnet: the network is dual-stack. */
  subnet6?: string;
  /** MTU of the bridge and the containers' interfaces on it. */
  mtu?: number;
  bridge: string;
  labels: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  hostname: string;
  image: string;
  labels: Record<string, string>;
  /** Networks with static addresses; the first is joined at creation, the rest before start. */
  networks: { name: string; address: string; address6?: string; aliases: string[] }[];
  /** Namespaced kernel settings (net.*), set at creation. */
  sysctls?: Record<string, string>;
  /** Extra /etc/hosts lines, `name:address`. */
  extraHosts?: string[];
  /** Files copied in before start. */
  files?: { dir: string; entries: { path: string; content?: Buffer | string; mode?: number }[] };
  capAdd?: string[];
  /** Share another container's network and PID namespaces (observer sidecars). */
  joinNamespacesOf?: string;
  limits?: { memoryBytes?: number; pids?: number; nanoCpus?: number };
  /** Size-limited tmpfs mounts (path → Docker's options); when given, the rest of the file system is read-only. */
  tmpfs?: Record<string, string>;
  /** The container's main process ends after this many seconds (and everything in it with it); default never. */
  leaseSeconds?: number;
}

export interface ResourceSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  running?: boolean;
  /** Containers: network name → IPv4 address. Networks: subnet. */
  addresses?: Record<string, string>;
  /** Containers: network name → IPv6 address (dual-stack networks only). */
  addresses6?: Record<string, string>;
  subnet?: string;
  subnet6?: string;
}

export interface Runtime {
  copyFiles(container: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void>;
  /** Throws an EngineError that says what to do when no engine answers. */
  ping(): Promise<void>;
  /** Every subnet (IPv4 and IPv6) of every network on the engine. */
  usedSubnets(): Promise<string[]>;
  /** Makes the engine host's packet filter let routed lab traffic through and keep IPv6 isolated (idempotent). */
  ensureHostRules(needs: HostRulesNeeded, image: string): Promise<void>;
  /** Takes away every host rule toplab adds (when no lab that needs them is left). */
  removeHostRules(): Promise<void>;
  createNetwork(spec: NetworkSpec): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  /**
   * Creates a container that is never started, as a lock the engine holds (names are unique per engine):
   * true when this call made it, false when a container of that name already exists.
   */
  createPlaceholder(name: string, image: string, labels: Record<string, string>): Promise<boolean>;
  exec(container: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Runs a command attached to the given streams until it ends; its exit code (null when unknown). */
  execAttached(container: string, cmd: string[], opts: AttachedExecOptions): Promise<number | null>;
  readFile(container: string, path: string, maxBytes?: number): Promise<Buffer | undefined>;
  listContainers(labelFilters: string[]): Promise<ResourceSummary[]>;
  listNetworks(labelFilters: string[]): Promise<ResourceSummary[]>;
  removeContainers(ids: string[]): Promise<void>;
  removeNetworks(ids: string[]): Promise<void>;
}
