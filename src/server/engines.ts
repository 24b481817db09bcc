import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import { EngineError, errorMessage } from '../errors.js';
import { chooseEngine, type PlacementCandidate } from '../engines/placement.js';
import {
  describeEngineFailure,
  hasImage,
  instanceKeys,
  isDraining,
  withTimeout,
  type EngineHealth,
  type EnginePool,
} from '../engines/pool.js';
import type { DockerRuntime } from '../docker.js';
import type { Runtime } from '../runtime/runtime.js';

/** The server's health loop: each engine pinged every second, each ping given 3 s. */
export const HEALTH_INTERVAL_MS = 1000;
export const HEALTH_TIMEOUT_MS = 3000;
/** Misses in a row that mark an up engine down, and answers in a row that bring a down one back. */
export const DOWN_AFTER_MISSES = 3;
export const UP_AFTER_ANSWERS = 2;
/**
 * An ssh:// engine is pinged every 3 s instead: docker-modem opens a new SSH connection (a handshake, and
 * `docker system dial-stdio` on the host) for every request.
 */
export const SSH_HEALTH_INTERVAL_MS = 3000;
/** How often an up engine's drain mark is read again (it decides the server's capacity). */
const DRAIN_EVERY_MS = 10_000;

/** One engine's health as the loop sees it. */
export interface EngineWatch {
  up: boolean;
  /** Pings missed in a row (while up) or answered in a row (while down). */
  streak: number;
  /** Why it is down, naming the engine. */
  reason?: string;
}

/**
 * The health loop's step for one ping. An up engine is marked down after DOWN_AFTER_MISSES misses in a row (one
 * answer resets the count); a down one is up again after UP_AFTER_ANSWERS answers in a row, so an engine that
 * flickers is not handed students between two misses. `change` says when the state flipped. Pure.
 */
export function nextWatch(w: EngineWatch, answered: boolean, error?: string): { watch: EngineWatch; change?: 'down' | 'up' } {
  if (w.up) {
    if (answered) return { watch: { up: true, streak: 0 } };
    const streak = w.streak + 1;
    if (streak < DOWN_AFTER_MISSES) return { watch: { up: true, streak } };
    return { watch: { up: false, streak: 0, reason: `${streak} pings in a row unanswered (${error ?? 'no answer'})` }, change: 'down' };
  }
  if (!answered) return { watch: { ...w, streak: 0, ...(error !== undefined && w.reason === undefined ? { reason: error } : {}) } };
  const streak = w.streak + 1;
  if (streak < UP_AFTER_ANSWERS) return { watch: { ...w, streak } };
  return { watch: { up: true, streak: 0 }, change: 'up' };
}

/** An engine as the server's API shows it (`GET /api/engines`, `/healthz`). */
export interface EngineView {
  /** null: the local engine (no engines file). */
  name: string | null;
  address: string;
  capacity: number | null;
  up: boolean;
  draining: boolean;
  /** Why it is down, e.g. "engine e2 (tcp://…) unreachable: connect ECONNREFUSED …". */
  message: string | null;
  since: string;
}

interface Entry {
  name: string;
  capacity: number;
  address: string;
  watch: EngineWatch;
  draining: boolean;
  drainReadAt: number;
  since: string;
  pinging: boolean;
  /** Between two pings. */
  intervalMs: number;
  lastPingAt: number;
}

/**
 * The engines a workshop server places instances on: the local engine alone (no engines file, as before), or
 * every engine of a pool. With a pool, a health loop pings each engine every second; one that misses three
 * pings in a row is marked down (`down` event: name, reason), its client is replaced so that every request in
 * flight there fails at once, and it is used again after two answers in a row (`up` event). Engines are named
 * by their name in the engines file; `null` is the local engine.
 */
export class ServerEngines extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  /** Instances placed and not yet created, per engine: counted by the next placement. */
  private readonly pending = new Map<string, Set<string>>();
  private placing: Promise<unknown> = Promise.resolve();
  private readonly copying = new Map<string, Promise<void>>();

  constructor(private readonly opts: { pool?: EnginePool; local?: DockerRuntime; image: string; log: (line: string) => void }) {
    super();
    this.setMaxListeners(0);
    if (!opts.pool && !opts.local) throw new Error('ServerEngines needs a pool or the local engine');
    for (const e of opts.pool?.engines ?? []) {
      this.entries.set(e.spec.name, {
        name: e.spec.name,
        capacity: e.spec.capacity,
        address: e.spec.address,
        watch: { up: true, streak: 0 },
        draining: false,
        drainReadAt: 0,
        since: new Date().toISOString(),
        pinging: false,
        intervalMs: e.spec.address.startsWith('ssh://') ? SSH_HEALTH_INTERVAL_MS : HEALTH_INTERVAL_MS,
        lastPingAt: 0,
      });
    }
  }

  /** With an engines file. */
  get pooled(): boolean {
    return this.opts.pool !== undefined;
  }

  /** The engines file, when there is one. */
  get file(): string | undefined {
    return this.opts.pool?.file;
  }

  /** Engine names of the pool, in the file's order; `[null]` for the local engine. */
  names(): (string | null)[] {
    return this.opts.pool ? [...this.entries.keys()] : [null];
  }

  isUp(engine: string | null): boolean {
    if (engine === null) return !this.opts.pool;
    return this.entries.get(engine)?.watch.up ?? false;
  }

  /** Why an engine is down, naming it ("engine e2 unreachable: …"); undefined when it is up. */
  downReason(engine: string | null): string | undefined {
    if (engine === null)
      return this.opts.pool ? 'the instance was made on the local engine, before this server used an engine pool' : undefined;
    const e = this.entries.get(engine);
    if (!e) return `engine ${engine} is not in ${this.opts.pool?.file ?? 'the engines file'}`;
    return e.watch.up ? undefined : `engine ${engine} unreachable: ${e.watch.reason ?? 'no answer'}`;
  }

  /** The engines that answer now. */
  upNames(): (string | null)[] {
    return this.names().filter((n) => this.isUp(n));
  }

  /** The runtime of an engine; on an engine that is down, every call fails at once with an EngineError naming it. */
  runtime(engine: string | null): Runtime {
    if (engine === null || !this.opts.pool) {
      if (this.opts.local) return this.opts.local;
      return this.lostRuntime(this.downReason(null) ?? 'no engine');
    }
    if (!this.entries.has(engine)) return this.lostRuntime(this.downReason(engine) ?? '');
    return this.opts.pool.engine(engine).runtime;
  }

  /** The dockerode client of an engine (terminals use it directly). */
  docker(engine: string | null): Docker {
    if (engine === null || !this.opts.pool) {
      if (this.opts.local) return this.opts.local.docker;
      throw new EngineError(this.downReason(null) ?? 'no engine');
    }
    const reason = this.downReason(engine);
    if (reason !== undefined) throw new EngineError(reason);
    return this.opts.pool.engine(engine).docker;
  }

  private lostRuntime(reason: string): Runtime {
    return new Proxy({} as Runtime, {
      get: () => () => Promise.reject(new EngineError(reason)),
    });
  }

  /** Instances the whole server may hold now: the sum of the capacities of the engines that are up and not draining (unbounded on the local engine). */
  capacity(): number {
    if (!this.opts.pool) return Number.POSITIVE_INFINITY;
    let n = 0;
    for (const e of this.entries.values()) if (e.watch.up && !e.draining) n += e.capacity;
    return n;
  }

  views(): EngineView[] {
    if (!this.opts.pool) return [{ name: null, address: 'local', capacity: null, up: true, draining: false, message: null, since: '' }];
    return [...this.entries.values()].map((e) => ({
      name: e.name,
      address: e.address,
      capacity: e.capacity,
      up: e.watch.up,
      draining: e.draining,
      message: e.watch.up ? null : `engine ${e.name} unreachable: ${e.watch.reason ?? 'no answer'}`,
      since: e.since,
    }));
  }

  /**
   * Pings every engine once (up to 3 s each, together) and sets its state from the answer without waiting for
   * three misses: at start, a server should not hand out an engine that is already gone. Then the loop runs.
   */
  async start(): Promise<void> {
    if (!this.opts.pool) return;
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        const r = await this.ping(e);
        if (!r.ok) {
          e.watch = { up: false, streak: 0, ...(r.error !== undefined ? { reason: r.error } : {}) };
          this.opts.log(`at start: ${r.described ?? `engine ${e.name} unreachable`}; its instances are not used until it answers`);
          this.opts.pool?.renew(e.name, r.error ?? 'no answer');
        } else await this.readDrain(e);
      }),
    );
    this.timer = setInterval(() => this.tick(), HEALTH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `error`: the failure in short ("connect ECONNREFUSED …"); `described`: in words naming the engine and the usual causes. */
  private async ping(e: Entry): Promise<{ ok: boolean; error?: string; described?: string }> {
    const pool = this.opts.pool as EnginePool;
    const engine = pool.engine(e.name);
    try {
      await withTimeout(engine.docker.ping(), HEALTH_TIMEOUT_MS, 'a ping');
      return { ok: true };
    } catch (err) {
      return { ok: false, error: errorMessage(err).trim(), described: describeEngineFailure(engine.spec, err) };
    }
  }

  private async readDrain(e: Entry): Promise<void> {
    const pool = this.opts.pool as EnginePool;
    try {
      e.draining = await withTimeout(isDraining(pool.engine(e.name).docker), HEALTH_TIMEOUT_MS, 'the drain mark');
      e.drainReadAt = Date.now();
    } catch {
      // The next ping says whether the engine is there.
    }
  }

  private tick(): void {
    for (const e of this.entries.values()) {
      if (e.pinging || Date.now() - e.lastPingAt < e.intervalMs - 50) continue;
      e.pinging = true;
      e.lastPingAt = Date.now();
      void this.ping(e)
        .then(async (r) => {
          const { watch, change } = nextWatch(e.watch, r.ok, r.error);
          e.watch = watch;
          if (!r.ok && !watch.up) {
            // A request left waiting on a paused engine keeps a socket: a fresh client for each try, the old one's sockets closed.
            this.opts.pool?.renew(e.name, watch.reason ?? r.error ?? 'no answer');
          }
          if (change === 'down') {
            e.since = new Date().toISOString();
            const reason = `engine ${e.name} unreachable: ${watch.reason ?? 'no answer'}`;
            this.opts.log(`${reason}; its students get fresh instances on the other engines`);
            this.emit('down', e.name, reason);
          } else if (change === 'up') {
            e.since = new Date().toISOString();
            await this.readDrain(e);
            this.opts.log(`engine ${e.name} answers again: new instances may be placed there`);
            this.emit('up', e.name);
          } else if (watch.up && Date.now() - e.drainReadAt > DRAIN_EVERY_MS) {
            await this.readDrain(e);
          }
        })
        .catch((err: unknown) => this.opts.log(`engine ${e.name}: health check failed: ${errorMessage(err)}`))
        .finally(() => (e.pinging = false));
    }
  }

  /**
   * Chooses the engine for a new instance `key` (`lab/instance`) like `lab up` does (an engine that is up, not
   * draining and below capacity, preferring one with the lab image, then the least loaded), counting the
   * instances this server has placed and not yet created, and makes sure the lab image is there (copied from
   * another engine, or built). Placements run one at a time, so two never take the same last place. Call
   * `settled(engine, key)` once the instance is created or given up. The local engine: null at once.
   */
  place(key: string, onProgress?: (line: string) => void): Promise<string | null> {
    const pool = this.opts.pool;
    if (!pool) return Promise.resolve(null);
    const run = this.placing.then(async () => {
      const tag = this.opts.image;
      const health: EngineHealth[] = await Promise.all(
        [...this.entries.values()].map(async (e): Promise<EngineHealth> => {
          const base = { name: e.name, address: e.address, capacity: e.capacity, labels: {}, ms: 0 };
          if (!e.watch.up) return { ...base, up: false, error: this.downReason(e.name), draining: false, instances: 0, hasImage: false };
          const docker = pool.engine(e.name).docker;
          try {
            const [draining, keys, image] = await withTimeout(
              Promise.all([isDraining(docker), instanceKeys(docker), hasImage(docker, tag)]),
              HEALTH_TIMEOUT_MS * 2,
              'the state queries',
            );
            e.draining = draining;
            for (const k of this.pending.get(e.name) ?? []) keys.add(k);
            return { ...base, up: true, draining, instances: keys.size, hasImage: image };
          } catch (err) {
            return {
              ...base,
              up: false,
              error: describeEngineFailure(pool.engine(e.name).spec, err),
              draining: false,
              instances: 0,
              hasImage: false,
            };
          }
        }),
      );
      const candidates: PlacementCandidate[] = health.map((h) => ({
        name: h.name,
        up: h.up,
        draining: h.draining,
        capacity: h.capacity,
        instances: h.instances,
        hasImage: h.hasImage,
      }));
      const choice = chooseEngine(candidates);
      if (choice.engine === undefined)
        throw new EngineError(choice.reason, { hint: `add capacity or engines to ${pool.file}, or \`lab engines undrain NAME\`` });
      const name = choice.engine;
      let set = this.pending.get(name);
      if (!set) this.pending.set(name, (set = new Set()));
      set.add(key);
      return { name, health };
    });
    this.placing = run.catch(() => undefined);
    return run.then(async ({ name, health }) => {
      try {
        if (!health.find((h) => h.name === name)?.hasImage) await this.ensureImage(name, health, onProgress);
      } catch (e) {
        this.settled(name, key);
        throw e;
      }
      return name;
    });
  }

  /** The instance `key` placed on `engine` is created (its containers now count) or given up. */
  settled(engine: string | null, key: string): void {
    if (engine !== null) this.pending.get(engine)?.delete(key);
  }

  /** One copy (or build) of the lab image per engine at a time; the others wait for it. */
  private ensureImage(name: string, health: EngineHealth[], onProgress?: (line: string) => void): Promise<void> {
    const pool = this.opts.pool as EnginePool;
    let p = this.copying.get(name);
    if (!p) {
      p = pool.ensureImage(pool.engine(name), this.opts.image, health, (line) => {
        this.opts.log(line);
        onProgress?.(line);
      });
      this.copying.set(name, p);
      void p.finally(() => this.copying.delete(name)).catch(() => undefined);
    }
    return p;
  }
}
