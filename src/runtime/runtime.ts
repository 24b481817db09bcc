/** Changes to the engine host's packet filter a lab needs (see src/runtime/docker/host-rules.ts). */
export interface HostRulesNeeded {
  /** A node forwards IPv4 between lab networks: Docker's isolation rules must let bridged frames on lab bridges through. */
  bridgedForwarding: boolean;
  /** A network has IPv6: the host must not route or answer IPv6 for lab bridges (Docker does not isolate IPv6). */
  ipv6Isolation: boolean;
}

/** Options of Runtime.exec. */
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

/** What Runtime.exec saw of a command. */
export interface ExecResult {
  /** The command's exit code; null when it timed out, or the engine could not tell. */
  exitCode: number | null;
  /** At most ExecOptions.maxBytes of each stream, from the start. */
  stdout: Buffer;
  stderr: Buffer;
  /** Bytes produced beyond maxBytes, per stream. */
  droppedStdout: number;
  droppedStderr: number;
  /** The command outlived ExecOptions.timeoutMs: its streams were dropped. */
  timedOut: boolean;
  /** From the request to the end of the output, in ms. */
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

/**
 * What the rest of toplab needs from a container engine; DockerRuntime is the implementation (AbortableRuntime
 * and EngineRuntime wrap one; test/fakes/memory-runtime.ts is an in-memory one for unit tests).
 *
 * Errors, for every method: an engine that does not answer a request in time (TOPLAB_ENGINE_TIMEOUT) gives an
 * EngineError naming the engine and the request; the engine's own refusals come as its errors, with the HTTP
 * `statusCode` it answered (404 no such object, 409 conflict, ...), unless a method says otherwise.
 * "Idempotent" below means: calling it again with the same arguments, after it succeeded, changes nothing more.
 */
export interface Runtime {
  /**
   * Writes files into a container: `entries` are paths relative to the absolute folder `dir`; an entry without
   * `content` is a directory; `mode` defaults to 0644 for files, 0755 for directories; owner root. Existing
   * files are replaced. Throws InstanceGoneError when the container is gone or stopped. Idempotent.
   */
  copyFiles(container: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void>;
  /**
   * Resolves once the engine answers (Docker's GET /_ping, bounded to 15 s). Throws an EngineError whose hint
   * says how to start or reach an engine. Changes nothing; idempotent.
   */
  ping(): Promise<void>;
  /**
   * Every subnet of every network on the engine, toplab's and everyone else's, IPv4 and IPv6, in CIDR
   * notation (`10.128.3.0/24`, `fd70:b1ab:c0de:1::/64`): what a new instance's subnets must not overlap.
   * Reads only.
   */
  usedSubnets(): Promise<string[]>;
  /**
   * Makes the engine host's packet filter let routed lab traffic through and keep IPv6 isolated, as `needs`
   * says, by running a short-lived helper container of `image` on the host's network namespace (NET_ADMIN);
   * every rule it adds carries the comment `toplab`. Throws an EngineError with the helper's output when it
   * fails. Idempotent: a rule already there is not added twice.
   */
  ensureHostRules(needs: HostRulesNeeded, image: string): Promise<void>;
  /**
   * Takes away every host rule toplab adds (both kinds), for when no lab that needs them is left; rules
   * that are not toplab's are never touched. Throws an EngineError when the helper fails. Idempotent.
   */
  removeHostRules(): Promise<void>;
  /**
   * Creates an internal bridge network (no route out, no host address on it) named `spec.name`, with the
   * given subnets, bridge name, MTU and labels. Not idempotent: a name in use is refused (409), and so is a
   * subnet that overlaps another network's (the engine's "Pool overlaps with other one on this address
   * space"; deploy plans again with another subnet).
   */
  createNetwork(spec: NetworkSpec): Promise<void>;
  /**
   * Creates and starts a container as `spec` says (no capabilities beyond `capAdd`, limits, tmpfs, its
   * networks with static addresses, its files copied in) and returns its id (64 hex digits). A container that
   * was created but could not be started or filled is removed before the error goes up. Not idempotent: a
   * name in use is refused (409); an image, network or namespace owner that does not exist, with 404.
   */
  createContainer(spec: ContainerSpec): Promise<string>;
  /**
   * Creates a container that is never started, as a lock the engine holds (names are unique per engine):
   * true when this call made it, false when a container of that name already exists. Remove it by name with
   * removeContainers. Idempotent in effect: a second call makes nothing and answers false.
   */
  createPlaceholder(name: string, image: string, labels: Record<string, string>): Promise<boolean>;
  /**
   * Runs `cmd` (an argv, no shell: give `['sh', '-c', script]` for one) in a running container without a
   * terminal and collects its output. Resolves with the result whatever the command did: a non-zero exit
   * code, or `timedOut` (exit code null) when it outlived `opts.timeoutMs` (default: the engine timeout);
   * each stream keeps `opts.maxBytes` (default 1 MiB) and counts the rest in `dropped*`. The command may go on
   * running in the container after a timeout: the caller ends it. Throws InstanceGoneError when the container
   * is gone or stopped (404/409), the signal's reason (an InterruptedError) when `opts.signal` aborts.
   * Not idempotent: the command runs each time.
   */
  exec(container: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /**
   * Runs a command attached to the given streams until it ends (`lab exec`): input goes in as it comes and is
   * half-closed at its end; with `tty`, one output stream and the terminal's size follow the user's. Returns
   * the command's exit code, null when the engine cannot tell. Not idempotent.
   */
  execAttached(container: string, cmd: string[], opts: AttachedExecOptions): Promise<number | null>;
  /**
   * A file's content, at most `maxBytes` (default 64 MiB) of it, read with the container's `cat`; undefined
   * when it cannot be read (missing, a directory, no permission). Throws InstanceGoneError when the container
   * is gone or stopped. Reads only.
   */
  readFile(container: string, path: string, maxBytes?: number): Promise<Buffer | undefined>;
  /**
   * Every container (running or not, locks included) whose labels match all `labelFilters` (`key=value`, or
   * `key` for any value), with its name, labels, whether it runs, and its addresses by network name. Reads
   * only; an empty list when none match.
   */
  listContainers(labelFilters: string[]): Promise<ResourceSummary[]>;
  /** Every network whose labels match all `labelFilters` (as listContainers), with its subnets. Reads only. */
  listNetworks(labelFilters: string[]): Promise<ResourceSummary[]>;
  /**
   * Removes containers by id or name, at once (killed, no stop timeout), with their anonymous volumes, all in
   * parallel. One already gone, or being removed by another command, counts as removed. Idempotent.
   */
  removeContainers(ids: string[]): Promise<void>;
  /**
   * Removes networks by id or name. One already gone counts as removed. A network that still has a container
   * on it is refused (the engine's "has active endpoints"): remove the containers first. Idempotent.
   */
  removeNetworks(ids: string[]): Promise<void>;
}
