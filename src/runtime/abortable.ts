import { throwIfAborted } from '../errors.js';
import type {
  AttachedExecOptions,
  HostRulesNeeded,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  NetworkSpec,
  ResourceSummary,
  Runtime,
} from './runtime.js';

/**
 * A runtime that stops doing work once `signal` is aborted: nothing new is created or run (the call throws the
 * signal's reason, an InterruptedError), and a running exec is dropped at once. Listing and removal still
 * work, so whoever cleans up after the interruption can use the same handle.
 */
export function abortableRuntime(inner: Runtime, signal: AbortSignal | undefined): Runtime {
  if (signal === undefined) return inner;
  if (inner instanceof AbortableRuntime && inner.signal === signal) return inner;
  return new AbortableRuntime(inner, signal);
}

class AbortableRuntime implements Runtime {
  constructor(
    readonly inner: Runtime,
    readonly signal: AbortSignal,
  ) {}

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    throwIfAborted(this.signal);
    // A create that has begun is left to finish: aborting the request would not stop the engine making the
    // object, and the clean-up (by labels) could then miss it. The caller sees the interruption right after.
    const r = await work();
    throwIfAborted(this.signal);
    return r;
  }

  copyFiles(container: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void> {
    return this.guarded(() => this.inner.copyFiles(container, dir, entries));
  }
  ping(): Promise<void> {
    return this.guarded(() => this.inner.ping());
  }
  usedSubnets(): Promise<string[]> {
    return this.guarded(() => this.inner.usedSubnets());
  }
  ensureHostRules(needs: HostRulesNeeded, image: string): Promise<void> {
    return this.guarded(() => this.inner.ensureHostRules(needs, image));
  }
  removeHostRules(): Promise<void> {
    return this.inner.removeHostRules();
  }
  createNetwork(spec: NetworkSpec): Promise<void> {
    return this.guarded(() => this.inner.createNetwork(spec));
  }
  createContainer(spec: ContainerSpec): Promise<string> {
    return this.guarded(() => this.inner.createContainer(spec));
  }
  async createPlaceholder(name: string, image: string, labels: Record<string, string>): Promise<boolean> {
    // Checked before only: a lock made must reach its maker, who alone can release it.
    throwIfAborted(this.signal);
    return this.inner.createPlaceholder(name, image, labels);
  }
  exec(container: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.guarded(() => this.inner.exec(container, cmd, { ...opts, signal: opts.signal ?? this.signal }));
  }
  execAttached(container: string, cmd: string[], opts: AttachedExecOptions): Promise<number | null> {
    return this.guarded(() => this.inner.execAttached(container, cmd, opts));
  }
  readFile(container: string, path: string, maxBytes?: number): Promise<Buffer | undefined> {
    return this.guarded(() => this.inner.readFile(container, path, maxBytes));
  }
  listContainers(labelFilters: string[]): Promise<ResourceSummary[]> {
    return this.inner.listContainers(labelFilters);
  }
  listNetworks(labelFilters: string[]): Promise<ResourceSummary[]> {
    return this.inner.listNetworks(labelFilters);
  }
  removeContainers(ids: string[]): Promise<void> {
    return this.inner.removeContainers(ids);
  }
  removeNetworks(ids: string[]): Promise<void> {
    return this.inner.removeNetworks(ids);
  }
}
