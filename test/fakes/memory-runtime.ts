// An in-memory Runtime for unit tests of orchestration (deploy, the step runner, grading clean-up): containers
// and networks kept by label, exec answered from a script table, every call recorded, failures injected.
// It behaves as the Docker implementation does where callers depend on it (see the Runtime interface's docs):
// names are unique, a network with containers on it cannot be removed, subnets may not overlap, removal is
// idempotent, an exec in a container that is gone throws InstanceGoneError, an exec's output is capped.
import { EngineError, InstanceGoneError, abortReason, throwIfAborted } from '../../src/errors.js';
import type {
  AttachedExecOptions,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  HostRulesNeeded,
  NetworkSpec,
  ResourceSummary,
  Runtime,
} from '../../src/runtime/runtime.js';

export type Method = keyof Runtime;

/** One call made to the runtime, in order. `args` are the arguments as given. */
export interface Call {
  method: Method;
  args: unknown[];
}

export interface MemoryContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  running: boolean;
  /** Network name → addresses (empty for a container that joins another's namespaces). */
  networks: Map<string, { address: string; address6?: string }>;
  joinNamespacesOf?: string;
  /** A creation lock (createPlaceholder): never started. */
  placeholder: boolean;
  /** Absolute path → content, from the spec's files and copyFiles. */
  files: Map<string, Buffer>;
  spec?: ContainerSpec;
}

export interface MemoryNetwork {
  id: string;
  name: string;
  labels: Record<string, string>;
  subnet: string;
  subnet6?: string;
  spec: NetworkSpec;
}

/** What a scripted command does. Output is produced at once; the exit code after `delayMs`. */
export interface ExecReply {
  stdout?: string | Buffer;
  stderr?: string | Buffer;
  /** null: the engine could not tell (as Docker's inspect after a dropped stream). Default 0. */
  exitCode?: number | null;
  /** How long the command runs, in ms; Infinity: until the caller's timeout or signal. */
  delayMs?: number;
}

/** An exec as a script rule sees it. */
export interface ExecCall {
  container: MemoryContainer;
  cmd: string[];
  /** The command as one string: argv joined by spaces (a `sh -c` script is its third word). */
  text: string;
  opts: ExecOptions;
  /** Which exec this is, counting from 1 over the runtime's life. */
  n: number;
}

export interface ExecRule {
  /** The command this rule answers: a pattern tested against ExecCall.text, or a predicate. */
  match: RegExp | ((call: ExecCall) => boolean);
  /** Only in containers with this node label (org.toplab.node) or this name. */
  in?: string;
  reply: ExecReply | ((call: ExecCall) => ExecReply | Promise<ExecReply>);
  /** Answers this many execs, then no more (later rules, or the default, answer). */
  times?: number;
}

/** A failure injected into one method: on its nth call (1-based), from the nth call on, or always. */
export interface FailureRule {
  method: Method;
  /** Only this call of the method (1-based). */
  call?: number;
  /** This call and every later one. */
  from?: number;
  /** What it throws; default an engine error naming the method. */
  error?: Error;
  /** It never answers (an engine that accepted the request and hangs) until `release()`. */
  hang?: boolean;
  /** Only a call whose arguments this accepts (called once per call of the method that matches the rest). */
  when?: (args: unknown[]) => boolean;
}

export interface MemoryRuntimeOptions {
  /** Subnets in use on the engine by networks that are not toplab's (Docker's own bridge, other projects). */
  foreignSubnets?: string[];
  /** How long each create takes, in ms (default 0): lets a test act while creations are in flight. */
  createMs?: number;
  /** Answer to an exec no rule matches; default exit 127 with a message naming the command. */
  unmatched?: ExecReply;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

/** An engine error like dockerode's: a message and the HTTP status the engine answered with. */
export function engineError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode });
}

export class MemoryRuntime implements Runtime {
  readonly containers = new Map<string, MemoryContainer>();
  readonly networks = new Map<string, MemoryNetwork>();
  readonly calls: Call[] = [];
  /** The argv of execs dropped while they ran (their signal aborted, their container stopped or removed). */
  readonly dropped: string[][] = [];
  /** Execs no rule answered, as ExecCall.text. */
  readonly unmatched: string[] = [];
  /** The host rules in place (ensureHostRules adds, removeHostRules takes all away). */
  hostRules: HostRulesNeeded = { bridgedForwarding: false, ipv6Isolation: false };
  /** Creations started and not yet finished. */
  creating = 0;
  /** ping() fails: no engine answers. */
  down = false;
  private rules: ExecRule[] = [];
  private failures: FailureRule[] = [];
  private hung: (() => void)[] = [];
  private counts = new Map<Method, number>();
  private next = 1;
  private execCount = 0;

  constructor(private readonly options: MemoryRuntimeOptions = {}) {}

  /** Adds rules to the script table; earlier rules win. */
  script(...rules: ExecRule[]): this {
    this.rules.push(...rules);
    return this;
  }

  /** Makes a method fail (or hang), see FailureRule. */
  fail(rule: FailureRule): this {
    this.failures.push(rule);
    return this;
  }

  /** Drops every injected failure: calls from now on answer as usual (hung ones still wait for `release()`). */
  heal(): this {
    this.failures = [];
    return this;
  }

  /** Lets every hung call go on (it then does its work as usual). */
  release(): void {
    const hung = this.hung;
    this.hung = [];
    for (const go of hung) go();
  }

  /** The calls of one method, in order. */
  callsOf(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** The methods called, in order (e.g. to assert that containers went before networks). */
  methods(): Method[] {
    return this.calls.map((c) => c.method);
  }

  /** The argv of every exec, in order; with `container`, only those in that container (id or name). */
  execs(container?: string): string[][] {
    return this.calls
      .filter(
        (c) =>
          c.method === 'exec' && (container === undefined || this.find(c.args[0] as string)?.name === container || c.args[0] === container),
      )
      .map((c) => c.args[1] as string[]);
  }

  /** Containers and networks left, by name, sorted: what a clean-up must leave empty. */
  leftovers(): { containers: string[]; networks: string[] } {
    return {
      containers: [...this.containers.values()].map((c) => c.name).sort(),
      networks: [...this.networks.values()].map((n) => n.name).sort(),
    };
  }

  /** The container of this id or name. */
  find(ref: string): MemoryContainer | undefined {
    return this.containers.get(ref) ?? [...this.containers.values()].find((c) => c.name === ref);
  }

  /** The container whose network namespace this one is in: itself, or the one it joined (an observer's node). */
  netnsOf(c: MemoryContainer): MemoryContainer {
    return c.joinNamespacesOf !== undefined ? (this.find(c.joinNamespacesOf) ?? c) : c;
  }

  /** Stops a container as its main process ending would (a lease running out, an OOM kill of PID 1). */
  stop(ref: string): void {
    const c = this.find(ref);
    if (!c) return;
    c.running = false;
    this.endExecs(c);
  }

  // ---- the Runtime interface ----

  async ping(): Promise<void> {
    await this.enter('ping', []);
    if (this.down) throw new EngineError('no Docker engine answers at memory:// (the fake engine is down)');
  }

  async usedSubnets(): Promise<string[]> {
    await this.enter('usedSubnets', []);
    return [
      ...(this.options.foreignSubnets ?? []),
      ...[...this.networks.values()].flatMap((n) => (n.subnet6 !== undefined ? [n.subnet, n.subnet6] : [n.subnet])),
    ];
  }

  async ensureHostRules(needs: HostRulesNeeded, image: string): Promise<void> {
    await this.enter('ensureHostRules', [needs, image]);
    this.hostRules = {
      bridgedForwarding: this.hostRules.bridgedForwarding || needs.bridgedForwarding,
      ipv6Isolation: this.hostRules.ipv6Isolation || needs.ipv6Isolation,
    };
  }

  async removeHostRules(): Promise<void> {
    await this.enter('removeHostRules', []);
    this.hostRules = { bridgedForwarding: false, ipv6Isolation: false };
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    await this.creation('createNetwork', [spec], () => {
      if ([...this.networks.values()].some((n) => n.name === spec.name))
        throw engineError(409, `network with name ${spec.name} already exists`);
      const taken = [...(this.options.foreignSubnets ?? []), ...[...this.networks.values()].map((n) => n.subnet)];
      if (taken.some((s) => overlaps4(s, spec.subnet))) throw engineError(403, 'Pool overlaps with other one on this address space');
      const id = this.id('net');
      this.networks.set(id, {
        id,
        name: spec.name,
        labels: { ...spec.labels },
        subnet: spec.subnet,
        ...(spec.subnet6 !== undefined ? { subnet6: spec.subnet6 } : {}),
        spec,
      });
    });
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    return this.creation('createContainer', [spec], () => {
      if (this.find(spec.name)) throw engineError(409, `Conflict. The container name "/${spec.name}" is already in use`);
      const networks = new Map<string, { address: string; address6?: string }>();
      for (const n of spec.networks) {
        if (![...this.networks.values()].some((x) => x.name === n.name)) throw engineError(404, `network ${n.name} not found`);
        networks.set(n.name, { address: n.address, ...(n.address6 !== undefined ? { address6: n.address6 } : {}) });
      }
      if (spec.joinNamespacesOf !== undefined && this.find(spec.joinNamespacesOf)?.running !== true) {
        throw engineError(409, `cannot join the namespaces of container ${spec.joinNamespacesOf}: it is not running`);
      }
      const id = this.id('ctr');
      const files = new Map<string, Buffer>();
      if (spec.files) putFiles(files, spec.files.dir, spec.files.entries);
      this.containers.set(id, {
        id,
        name: spec.name,
        image: spec.image,
        labels: { ...spec.labels },
        running: true,
        networks,
        ...(spec.joinNamespacesOf !== undefined ? { joinNamespacesOf: spec.joinNamespacesOf } : {}),
        placeholder: false,
        files,
        spec,
      });
      return id;
    });
  }

  async createPlaceholder(name: string, image: string, labels: Record<string, string>): Promise<boolean> {
    await this.enter('createPlaceholder', [name, image, labels]);
    if (this.find(name)) return false;
    const id = this.id('ctr');
    this.containers.set(id, {
      id,
      name,
      image,
      labels: { ...labels },
      running: false,
      networks: new Map(),
      placeholder: true,
      files: new Map(),
    });
    return true;
  }

  async copyFiles(container: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void> {
    await this.enter('copyFiles', [container, dir, entries]);
    putFiles(this.live(container).files, dir, entries);
  }

  async exec(container: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    await this.enter('exec', [container, cmd, opts]);
    throwIfAborted(opts.signal);
    const c = this.live(container);
    const call: ExecCall = { container: c, cmd, text: cmd.join(' '), opts, n: ++this.execCount };
    // As on an engine: an abort drops the exec at once, and so does its container stopping or going.
    return this.whileRunning(c.id, opts.signal, async () => runReply(await this.answer(call), opts)).catch((e: unknown) => {
      this.dropped.push(call.cmd);
      throw e;
    });
  }

  async execAttached(container: string, cmd: string[], opts: AttachedExecOptions): Promise<number | null> {
    await this.enter('execAttached', [container, cmd, opts]);
    const c = this.live(container);
    const reply = await this.answer({ container: c, cmd, text: cmd.join(' '), opts: {}, n: ++this.execCount });
    if (reply.delayMs !== undefined && Number.isFinite(reply.delayMs)) await sleep(reply.delayMs);
    if (reply.stdout !== undefined) opts.stdout.write(reply.stdout);
    if (reply.stderr !== undefined) (opts.tty ? opts.stdout : opts.stderr).write(reply.stderr);
    return reply.exitCode === undefined ? 0 : reply.exitCode;
  }

  async readFile(container: string, path: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer | undefined> {
    await this.enter('readFile', [container, path, maxBytes]);
    const c = this.live(container);
    const file = c.files.get(path);
    if (file !== undefined) return file.subarray(0, maxBytes);
    const call: ExecCall = { container: c, cmd: ['cat', path], text: `cat ${path}`, opts: { maxBytes }, n: ++this.execCount };
    const r = await runReply(await this.answer(call), { maxBytes });
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  async listContainers(labelFilters: string[]): Promise<ResourceSummary[]> {
    await this.enter('listContainers', [labelFilters]);
    return [...this.containers.values()]
      .filter((c) => matches(c.labels, labelFilters))
      .map((c) => ({
        id: c.id,
        name: c.name,
        labels: { ...c.labels },
        running: c.running,
        addresses: Object.fromEntries([...c.networks].map(([n, a]) => [n, a.address])),
        addresses6: Object.fromEntries(
          [...c.networks].filter(([, a]) => a.address6 !== undefined).map(([n, a]) => [n, a.address6 as string]),
        ),
      }));
  }

  async listNetworks(labelFilters: string[]): Promise<ResourceSummary[]> {
    await this.enter('listNetworks', [labelFilters]);
    return [...this.networks.values()]
      .filter((n) => matches(n.labels, labelFilters))
      .map((n) => ({
        id: n.id,
        name: n.name,
        labels: { ...n.labels },
        subnet: n.subnet,
        ...(n.subnet6 !== undefined ? { subnet6: n.subnet6 } : {}),
      }));
  }

  async removeContainers(ids: string[]): Promise<void> {
    await this.enter('removeContainers', [ids]);
    for (const ref of ids) {
      const c = this.find(ref);
      if (!c) continue;
      this.containers.delete(c.id);
      this.endExecs(c);
    }
  }

  async removeNetworks(ids: string[]): Promise<void> {
    await this.enter('removeNetworks', [ids]);
    for (const ref of ids) {
      const n = this.networks.get(ref) ?? [...this.networks.values()].find((x) => x.name === ref);
      if (!n) continue;
      if ([...this.containers.values()].some((c) => c.networks.has(n.name))) {
        throw engineError(403, `error while removing network: network ${n.name} id ${n.id} has active endpoints`);
      }
      this.networks.delete(n.id);
    }
  }

  // ---- internals ----

  /** Records the call, then applies an injected failure or hang. */
  private async enter(method: Method, args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    // Every call is I/O on a real engine: a caller that loops on calls still lets timers run.
    await new Promise((r) => setImmediate(r));
    const n = (this.counts.get(method) ?? 0) + 1;
    this.counts.set(method, n);
    const rule = this.failures.find(
      (f) =>
        f.method === method &&
        (f.call === undefined || f.call === n) &&
        (f.from === undefined || n >= f.from) &&
        (f.when === undefined || f.when(args)),
    );
    if (!rule) return;
    if (rule.hang) {
      await new Promise<void>((go) => this.hung.push(go));
      return;
    }
    throw rule.error ?? engineError(500, `${method} failed (injected, call ${n})`);
  }

  private async creation<T>(method: Method, args: unknown[], make: () => T): Promise<T> {
    this.creating++;
    try {
      await this.enter(method, args);
      if (this.options.createMs) await sleep(this.options.createMs);
      return make();
    } finally {
      this.creating--;
    }
  }

  /** A container that can run commands, or an InstanceGoneError as DockerRuntime gives for a 404/409. */
  private live(ref: string): MemoryContainer {
    const c = this.find(ref);
    if (!c) throw new InstanceGoneError(`container ${ref.slice(0, 12)} is gone or stopped (no such container: ${ref})`);
    if (!c.running) throw new InstanceGoneError(`container ${ref.slice(0, 12)} is gone or stopped (container ${ref} is not running)`);
    return c;
  }

  private readonly running = new Map<string, Set<(e: Error) => void>>();

  private endExecs(c: MemoryContainer): void {
    for (const end of this.running.get(c.id) ?? [])
      end(new InstanceGoneError(`container ${c.id.slice(0, 12)} is gone or stopped (container ${c.id} is not running)`));
  }

  private async whileRunning<T>(container: string, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    let end: (e: Error) => void = () => undefined;
    const ended = new Promise<never>((_, reject) => (end = reject));
    const set = this.running.get(container) ?? new Set();
    this.running.set(container, set);
    set.add(end);
    const onAbort = (): void => end(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await Promise.race([work(), ended]);
    } finally {
      set.delete(end);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async answer(call: ExecCall): Promise<ExecReply> {
    const i = this.rules.findIndex(
      (r) =>
        (r.in === undefined || r.in === call.container.labels['org.toplab.node'] || r.in === call.container.name) &&
        (r.match instanceof RegExp ? r.match.test(call.text) : r.match(call)),
    );
    const rule = this.rules[i];
    if (!rule) {
      this.unmatched.push(call.text);
      return this.options.unmatched ?? { exitCode: 127, stderr: `sh: no script for: ${call.text.slice(0, 200)}\n` };
    }
    if (rule.times !== undefined && --rule.times <= 0) this.rules.splice(i, 1);
    return typeof rule.reply === 'function' ? rule.reply(call) : rule.reply;
  }

  private id(kind: string): string {
    // 64 hex digits like the engine's, with the kind readable in the first 12 that messages show.
    return `${kind}${String(this.next++).padStart(9, '0')}`.padEnd(64, '0');
  }
}

/** What an exec returns for a reply: output capped per stream, then the exit code, a timeout, or the signal's reason. */
async function runReply(reply: ExecReply, opts: ExecOptions): Promise<ExecResult> {
  const started = Date.now();
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const out = Buffer.from(reply.stdout ?? '');
  const err = Buffer.from(reply.stderr ?? '');
  if (out.length > 0) opts.onStdout?.(out);
  if (err.length > 0) opts.onStderr?.(err);
  const limit = opts.timeoutMs ?? 60_000;
  const delay = reply.delayMs ?? 0;
  const timedOut = delay >= limit;
  if (delay > 0) await abortableSleep(Math.min(delay, limit), opts.signal);
  return {
    exitCode: timedOut ? null : reply.exitCode === undefined ? 0 : reply.exitCode,
    stdout: out.subarray(0, max),
    stderr: err.subarray(0, max),
    droppedStdout: Math.max(0, out.length - max),
    droppedStderr: Math.max(0, err.length - max),
    timedOut,
    durationMs: Date.now() - started,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Docker's label filters: `key=value` or `key` (present with any value); all must hold. */
function matches(labels: Record<string, string>, filters: string[]): boolean {
  return filters.every((f) => {
    const at = f.indexOf('=');
    return at < 0 ? labels[f] !== undefined : labels[f.slice(0, at)] === f.slice(at + 1);
  });
}

function putFiles(files: Map<string, Buffer>, dir: string, entries: { path: string; content?: Buffer | string }[]): void {
  for (const e of entries) {
    // An entry without content is a directory (as in the tar DockerRuntime writes).
    if (e.content === undefined) continue;
    files.set(`${dir.replace(/\/$/, '')}/${e.path}`, Buffer.from(e.content ?? ''));
  }
}

/** Whether two IPv4 CIDR blocks share an address (IPv6 blocks: only when equal). */
export function overlaps4(a: string, b: string): boolean {
  if (a.includes(':') || b.includes(':')) return a === b;
  const range = (cidr: string): [number, number] => {
    const [ip = '', bits = '32'] = cidr.split('/');
    const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    const start = Math.floor(n / size) * size;
    return [start, start + size - 1];
  };
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

/**
 * Rules that answer what a node's network setup runs in its observer (src/deploy/network-setup.ts): `ip -o addr
 * show` lists the node's addresses (eth0, eth1, ... in the order of its networks), every other `ip` command
 * (routes, gateways) succeeds.
 */
export function networkSetupRules(engine: MemoryRuntime): ExecRule[] {
  return [
    {
      match: /^ip -o addr show$/,
      reply: (call) => {
        const node = engine.netnsOf(call.container);
        const lines = ['1: lo    inet 127.0.0.1/8 scope host lo'];
        [...node.networks.values()].forEach((a, i) => {
          lines.push(`${i + 2}: eth${i}    inet ${a.address}/24 scope global eth${i}`);
          if (a.address6 !== undefined) lines.push(`${i + 2}: eth${i}    inet6 ${a.address6}/64 scope global`);
        });
        return { stdout: lines.join('\n') + '\n' };
      },
    },
    { match: /^ip (-6 )?(route|link|addr) /, reply: { exitCode: 0 } },
  ];
}
