import { EngineError } from '../errors.js';
import type { DockerRuntime } from '../docker.js';
import type {
  AttachedExecOptions,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  HostRulesNeeded,
  NetworkSpec,
  ResourceSummary,
  Runtime,
} from '../runtime/runtime.js';

const CONNECTION_FAILURE =
  /socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|connection lost|Not connected|handshake|authentication methods failed/i;

/** The label that records which engine of the pool holds a resource (its name in the engines file). */
export const ENGINE_LABEL = 'org.toplab.engine';

/**
 * The Runtime of one engine of a pool: a DockerRuntime that labels what it creates with the engine's name,
 * and that, once the engine is declared lost (`lose`), fails every call at once, those in flight included,
 * with "engine NAME unreachable": a paused or vanished host never leaves a command or a grading job hanging.
 */
export class EngineRuntime implements Runtime {
  readonly name: string;
  readonly inner: DockerRuntime;
  private lostError: EngineError | undefined;
  private readonly lostPromise: Promise<never>;
  private rejectLost: (e: EngineError) => void = () => undefined;
  private readonly onLose: () => void;

  constructor(name: string, inner: DockerRuntime, onLose: () => void = () => undefined) {
    this.name = name;
    this.inner = inner;
    this.onLose = onLose;
    this.lostPromise = new Promise<never>((_, reject) => {
      this.rejectLost = reject;
    });
    // Nobody may be waiting when the engine is lost.
    this.lostPromise.catch(() => undefined);
  }

  /** Why the engine was declared lost, if it was. */
  get lost(): EngineError | undefined {
    return this.lostError;
  }

  /** Rejects (with the EngineError) when the engine is declared lost; never resolves. */
  whenLost(): Promise<never> {
    return this.lostPromise;
  }

  /** The reason given to `lose`, as it was given. */
  lostReason: string | undefined;

  /** Declares the engine lost: every pending and later call fails with an EngineError naming it. */
  lose(reason: string): void {
    if (this.lostError) return;
    this.lostReason = reason;
    this.lostError = new EngineError(reason.startsWith(`engine ${this.name} `) ? reason : `engine ${this.name} unreachable: ${reason}`, {
      hint: `its instances are not reachable until it answers again; \`lab engines\` shows every engine's health`,
    });
    this.rejectLost(this.lostError);
    this.onLose();
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    if (this.lostError) {
      p.catch(() => undefined);
      return Promise.reject(this.lostError);
    }
    p.catch(() => undefined);
    return Promise.race([p.catch((e: unknown) => Promise.reject(this.named(e))), this.lostPromise]);
  }

  /**
   * A failure of the connection itself (the engine stopped, the host went away, ssh failed) names the engine,
   * so that "socket hang up" in the middle of `lab up` says which engine of the pool it was. Errors the engine
   * answered (with an HTTP status) and toplab's own errors pass unchanged.
   */
  private named(e: unknown): unknown {
    if (!(e instanceof Error) || e instanceof EngineError || (e as { statusCode?: unknown }).statusCode !== undefined) return e;
    const code = String((e as { code?: unknown }).code ?? '');
    if (!CONNECTION_FAILURE.test(`${code} ${e.message}`)) return e;
    return new EngineError(`engine ${this.name} stopped answering: ${e.message}`, {
      cause: e,
      hint: '`lab engines` shows whether it answers again; what was being created there was removed if the engine allowed it, and a retry places it on an engine that answers',
    });
  }

  private labelled(labels: Record<string, string>): Record<string, string> {
    return { ...labels, [ENGINE_LABEL]: this.name };
  }

  copyFiles(container: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void> {
    return this.guard(this.inner.copyFiles(container, dir, entries));
  }
  ping(): Promise<void> {
    return this.guard(this.inner.ping());
  }
  usedSubnets(): Promise<string[]> {
    return this.guard(this.inner.usedSubnets());
  }
  ensureHostRules(needs: HostRulesNeeded, image: string): Promise<void> {
    return this.guard(this.inner.ensureHostRules(needs, image));
  }
  removeHostRules(): Promise<void> {
    return this.guard(this.inner.removeHostRules());
  }
  createNetwork(spec: NetworkSpec): Promise<void> {
    return this.guard(this.inner.createNetwork({ ...spec, labels: this.labelled(spec.labels) }));
  }
  createContainer(spec: ContainerSpec): Promise<string> {
    return this.guard(this.inner.createContainer({ ...spec, labels: this.labelled(spec.labels) }));
  }
  createPlaceholder(name: string, image: string, labels: Record<string, string>): Promise<boolean> {
    return this.guard(this.inner.createPlaceholder(name, image, this.labelled(labels)));
  }
  exec(container: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult> {
    return this.guard(this.inner.exec(container, cmd, opts));
  }
  execAttached(container: string, cmd: string[], opts: AttachedExecOptions): Promise<number | null> {
    return this.guard(this.inner.execAttached(container, cmd, opts));
  }
  readFile(container: string, path: string, maxBytes?: number): Promise<Buffer | undefined> {
    return this.guard(this.inner.readFile(container, path, maxBytes));
  }
  listContainers(labelFilters: string[]): Promise<ResourceSummary[]> {
    return this.guard(this.inner.listContainers(labelFilters));
  }
  listNetworks(labelFilters: string[]): Promise<ResourceSummary[]> {
    return this.guard(this.inner.listNetworks(labelFilters));
  }
  removeContainers(ids: string[]): Promise<void> {
    return this.guard(this.inner.removeContainers(ids));
  }
  removeNetworks(ids: string[]): Promise<void> {
    return this.guard(this.inner.removeNetworks(ids));
  }
}
