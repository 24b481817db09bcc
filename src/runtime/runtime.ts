/** What the rest of toplab needs from a container engine. DockerRuntime is the implementation. */
export interface ExecOptions {
  user?: string;
  env?: Record<string, string>;
  workdir?: string;
  stdin?: string | Buffer;
  /** Kill switch: after this long the streams are dropped and `timedOut` is set. The caller ends the process. */
  timeoutMs?: number;
  /** Bytes kept per stream; the rest is counted, not kept (default 1 MiB). */
  maxBytes?: number;
  /** Live copies of the output, for `lab exec`. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
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
  bridge: string;
  labels: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  hostname: string;
  image: string;
  labels: Record<string, string>;
  /** Networks with static addresses; the first is joined at creation, the rest before start. */
  networks: { name: string; address: string; aliases: string[] }[];
  /** Files copied in before start. */
  files?: { dir: string; entries: { path: string; content?: Buffer | string; mode?: number }[] };
  capAdd?: string[];
  /** Share another container's network and PID namespaces (observer sidecars). */
  joinNamespacesOf?: string;
  limits?: { memoryBytes?: number; pids?: number; nanoCpus?: number };
}

export interface ResourceSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  running?: boolean;
  /** Containers: network name → IPv4 address. Networks: subnet. */
  addresses?: Record<string, string>;
  subnet?: string;
}

export interface EngineInfo {
  endpoint: string;
  version: string;
  apiVersion: string;
}

export interface Runtime {
  copyFiles(container: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void>;
  ping(): Promise<EngineInfo>;
  usedSubnets(): Promise<string[]>;
  createNetwork(spec: NetworkSpec): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  exec(container: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  execDetached(container: string, cmd: string[], opts?: Pick<ExecOptions, 'user' | 'env' | 'workdir'>): Promise<void>;
  readFile(container: string, path: string, maxBytes?: number): Promise<Buffer | undefined>;
  listContainers(labelFilters: string[]): Promise<ResourceSummary[]>;
  listNetworks(labelFilters: string[]): Promise<ResourceSummary[]>;
  removeContainers(ids: string[]): Promise<void>;
  removeNetworks(ids: string[]): Promise<void>;
}
