import { createHash } from 'node:crypto';
import { readUserFile } from '../util/user-files.js';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type Docker from 'dockerode';
import { EngineError, errorMessage, UsageError } from '../errors.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import { dockerClientClass, dockerRuntime, ensureLabImage } from '../docker.js';
import { EngineRuntime } from './engine-runtime.js';
import { parseAddress, type EngineSpec, type EnginesFile } from './engines-file.js';
import { chooseEngine, type PlacementCandidate } from './placement.js';
import { transferImage } from './transfer.js';

/** Marks an engine as draining: a small volume on that engine, so every toplab that uses the engine sees it. */
export const DRAIN_LABEL = 'org.toplab.drain';
export const DRAIN_VOLUME = 'toplab-drain';

/** How long a health probe waits before it calls an engine unreachable. */
export const PROBE_TIMEOUT_MS = 3000;

/** One engine of the pool. */
export interface PoolEngine {
  spec: EngineSpec;
  docker: Docker;
  runtime: EngineRuntime;
}

/** What one probe found. */
export interface EngineHealth {
  name: string;
  address: string;
  capacity: number;
  labels: Record<string, string>;
  up: boolean;
  /** Why it is not up, in words that name the engine. */
  error?: string;
  version?: string;
  draining: boolean;
  /** Lab instances on it (distinct lab/instance among toplab node containers). */
  instances: number;
  hasImage: boolean;
  ms: number;
}

/** `p`, or a rejection saying "no answer to WHAT within N s" after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${what} within ${(ms / 1000).toFixed(0)}s`)), ms);
  });
  p.catch(() => undefined);
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** An engine's failure in words that say which engine, and what to check for the usual causes. */
export function describeEngineFailure(spec: EngineSpec, e: unknown): string {
  // OpenSSL's messages end in a newline; the description is one line.
  const msg = errorMessage(e).trim();
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const where = `engine ${spec.name} (${spec.address})`;
  if (/unknown ca|bad certificate|certificate required|tlsv1 alert|alert (?:unknown|bad|handshake)/i.test(msg + code)) {
    return `${where} refused toplab's TLS client certificate${spec.tls ? ` ${spec.tls.cert}` : ''}: it was not signed by the CA the engine trusts (--tlscacert) (${msg})`;
  }
  if (/Host denied|verification failed/i.test(msg) && spec.ssh?.hostKey) {
    return `${where} presented an SSH host key whose fingerprint is not ssh.hostKey ${spec.ssh.hostKey}: it may not be the host meant, or its key changed; compare with \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` run on the host (${msg})`;
  }
  if (/self[- ]signed|unable to verify|UNABLE_TO_VERIFY|CERT_|altnames|Hostname\/IP does not match/i.test(msg + code)) {
    return `${where} presented a server certificate that ${spec.tls ? `the CA ${spec.tls.ca}` : 'toplab'} does not accept (${msg})`;
  }
  if (/ECONNREFUSED|ENOENT|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|no answer/i.test(msg + code)) return `${where} unreachable: ${msg}`;
  if (/socket hang up|ECONNRESET|EPROTO/i.test(msg + code) && spec.tls) {
    return `${where} closed the TLS connection: it may not accept toplab's client certificate ${spec.tls.cert} (${msg})`;
  }
  return `${where}: ${msg}`;
}

/** OpenSSH's fingerprint of a public key blob (the base64 field of a .pub file, decoded): `SHA256:` and unpadded base64. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

let sshUrlWarningQuiet = false;

/**
 * docker-modem builds an `ssh:host:port` URL for ssh:// engines only to carry the request's path, and Node's
 * url.resolve warns (DEP0170) on every request that such a URL is invalid: noise on every command, since the
 * connection itself goes through ssh2. Only that warning is dropped; every other one is printed as before.
 */
export function quietSshUrlWarning(): void {
  if (sshUrlWarningQuiet) return;
  sshUrlWarningQuiet = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : rest[1];
    if (code === 'DEP0170' && /^The URL ssh:/.test(text)) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

function dockerFor(spec: EngineSpec): { docker: Docker; agent?: HttpAgent } {
  const DockerClass = dockerClientClass();
  const a = parseAddress(spec.address);
  if (a.scheme === 'unix') return { docker: new DockerClass({ socketPath: a.path }) };
  if (a.scheme === 'ssh') {
    quietSshUrlWarning();
    const sshOptions: Record<string, unknown> =
      spec.ssh?.key !== undefined
        ? { privateKey: readUserFile(spec.ssh.key, `engine ${spec.name}'s ssh key`) }
        : { agent: process.env.SSH_AUTH_SOCK };
    const hostKey = spec.ssh?.hostKey;
    if (hostKey !== undefined) sshOptions.hostVerifier = (key: Buffer): boolean => sshFingerprint(key) === hostKey;
    return { docker: new DockerClass({ protocol: 'ssh', host: a.host, port: a.port, username: a.user, sshOptions }) };
  }
  if (spec.tls) {
    const tls = {
      ca: readUserFile(spec.tls.ca, `engine ${spec.name}'s TLS CA`),
      cert: readUserFile(spec.tls.cert, `engine ${spec.name}'s TLS certificate`),
      key: readUserFile(spec.tls.key, `engine ${spec.name}'s TLS key`),
    };
    // Our own agent: when the engine is lost, its sockets are destroyed and no request waits on it.
    const agent = new HttpsAgent({ keepAlive: true, ...tls });
    return { docker: new DockerClass({ protocol: 'https', host: a.host, port: a.port, ...tls, agent }), agent };
  }
  const agent = new HttpAgent({ keepAlive: true });
  return { docker: new DockerClass({ protocol: 'http', host: a.host, port: a.port, agent }), agent };
}

/** One engine's client and runtime; nothing is contacted until asked. */
function connect(spec: EngineSpec): PoolEngine {
  const { docker, agent } = dockerFor(spec);
  const runtime = new EngineRuntime(spec.name, dockerRuntime(docker), () => {
    // Requests already in flight fail with their sockets; any later one (from work abandoned mid-way)
    // fails at once instead of opening a connection that would keep the process waiting.
    const modem = docker.modem as unknown as { dial: (opts: unknown, cb: (err: Error) => void) => void };
    modem.dial = (_opts, cb) => cb(new Error(`engine ${spec.name} unreachable`));
    agent?.destroy();
  });
  return { spec, docker, runtime };
}

/** The engines of an engines file, each with its own client. Nothing is contacted until asked. */
export class EnginePool {
  readonly file: string;
  readonly engines: PoolEngine[];

  constructor(file: EnginesFile) {
    this.file = file.file;
    this.engines = file.engines.map((spec) => connect(spec));
  }

  /**
   * A fresh client for an engine: the one before is declared lost (its requests fail at once) and replaced.
   * A command's pool never needs it (a lost engine stays lost for the command); a long-running server does,
   * to use an engine again once it answers.
   */
  renew(name: string, reason = 'its client was replaced'): PoolEngine {
    const i = this.engines.findIndex((x) => x.spec.name === name);
    const old = this.engines[i];
    if (old === undefined) return this.engine(name);
    old.runtime.lose(reason);
    const fresh = connect(old.spec);
    this.engines[i] = fresh;
    return fresh;
  }

  engine(name: string): PoolEngine {
    const e = this.engines.find((x) => x.spec.name === name);
    if (!e)
      throw new UsageError(`no engine named '${name}' in ${this.file}`, {
        hint: `engines: ${this.engines.map((x) => x.spec.name).join(', ')}`,
      });
    return e;
  }

  /** Asks every engine, in parallel, for its health, drain state, instances and (with `image`) whether it has that image. */
  async probe(opts: { image?: string; version?: boolean; timeoutMs?: number } = {}): Promise<EngineHealth[]> {
    return Promise.all(this.engines.map((e) => this.probeOne(e, opts)));
  }

  async probeOne(e: PoolEngine, opts: { image?: string; version?: boolean; timeoutMs?: number } = {}): Promise<EngineHealth> {
    const started = Date.now();
    const base = { name: e.spec.name, address: e.spec.address, capacity: e.spec.capacity, labels: e.spec.labels };
    if (e.runtime.lost)
      return {
        ...base,
        up: false,
        error: e.runtime.lostReason ?? e.runtime.lost.message,
        draining: false,
        instances: 0,
        hasImage: false,
        ms: 0,
      };
    const timeout = opts.timeoutMs ?? PROBE_TIMEOUT_MS;
    try {
      await withTimeout(e.docker.ping(), timeout, 'a ping');
      const [version, draining, instances, imagePresent] = await withTimeout(
        Promise.all([
          opts.version ? e.docker.version().then((v) => v.Version) : Promise.resolve(undefined),
          isDraining(e.docker),
          countInstances(e.docker),
          opts.image !== undefined ? hasImage(e.docker, opts.image) : Promise.resolve(false),
        ]),
        timeout * 2,
        'the state queries',
      );
      return {
        ...base,
        up: true,
        ...(version !== undefined ? { version } : {}),
        draining,
        instances,
        hasImage: imagePresent,
        ms: Date.now() - started,
      };
    } catch (err) {
      const error = describeEngineFailure(e.spec, err);
      // Lost for this pool: the request still waiting on it (a paused engine never answers) is ended, and so
      // is any later call, so no command waits on that engine. A pool is made per command.
      e.runtime.lose(error);
      return { ...base, up: false, error, draining: false, instances: 0, hasImage: false, ms: Date.now() - started };
    }
  }

  /** Declares the engines a probe found down as lost, so any call on them fails at once instead of waiting. */
  loseDown(health: EngineHealth[]): void {
    for (const h of health) if (!h.up) this.engine(h.name).runtime.lose(h.error ?? 'no answer');
  }

  /**
   * Finds the engines holding resources of an instance (or of a lab, or any toplab resource), asking every
   * engine that answers. `unreachable` lists the engines that did not, with why.
   */
  async locate(lab?: string, instance?: string): Promise<{ holders: PoolEngine[]; unreachable: EngineHealth[]; health: EngineHealth[] }> {
    const health = await this.probe();
    this.loseDown(health);
    const holders: PoolEngine[] = [];
    await Promise.all(
      this.engines.map(async (e) => {
        if (e.runtime.lost) return;
        const [c, n] = await Promise.all([
          e.runtime.listContainers(labelFilter(lab, instance)),
          e.runtime.listNetworks(labelFilter(lab, instance)),
        ]);
        if (c.length > 0 || n.length > 0) holders.push(e);
      }),
    );
    holders.sort((a, b) => this.engines.indexOf(a) - this.engines.indexOf(b));
    return { holders, unreachable: health.filter((h) => !h.up), health };
  }

  /**
   * Chooses an engine for a new instance (see chooseEngine) and makes sure it holds the lab image `tag`:
   * copied from an engine that has it, or built there by the offline builder when none has.
   * `reserved` counts instances this process has placed but not yet created, per engine.
   */
  async place(
    tag: string,
    opts: { onProgress?: (line: string) => void; reserved?: Map<string, number>; health?: EngineHealth[] } = {},
  ): Promise<PoolEngine> {
    const health = opts.health ?? (await this.probe({ image: tag }));
    this.loseDown(health);
    const candidates: PlacementCandidate[] = health.map((h) => ({
      name: h.name,
      up: h.up,
      draining: h.draining,
      capacity: h.capacity,
      instances: h.instances + (opts.reserved?.get(h.name) ?? 0),
      hasImage: h.hasImage,
    }));
    const choice = chooseEngine(candidates);
    if (choice.engine === undefined) {
      throw new EngineError(choice.reason, {
        hint: `\`lab engines\` shows each engine; add capacity or engines to ${this.file}, or \`lab engines undrain NAME\``,
      });
    }
    const engine = this.engine(choice.engine);
    if (!health.find((h) => h.name === choice.engine)?.hasImage) await this.ensureImage(engine, tag, health, opts.onProgress);
    return engine;
  }

  /** Copies the lab image to `engine` from an engine that has it, or builds it there when none has. */
  async ensureImage(engine: PoolEngine, tag: string, health: EngineHealth[], onProgress?: (line: string) => void): Promise<void> {
    if (await hasImage(engine.docker, tag)) return;
    const source = health.find((h) => h.up && h.hasImage && h.name !== engine.spec.name);
    if (source) {
      onProgress?.(`engine ${engine.spec.name} lacks ${tag}: copying it from ${source.name}`);
      await transferImage(this.engine(source.name).docker, engine.docker, tag, {
        fromName: source.name,
        toName: engine.spec.name,
        ...(onProgress ? { onProgress } : {}),
      });
      return;
    }
    onProgress?.(`no engine has ${tag}: building it on ${engine.spec.name}`);
    await ensureLabImage(engine.docker, { ...(onProgress ? { onProgress } : {}) });
  }

  /** Marks an engine as draining (or not): it keeps its instances and gets no new ones. */
  async setDraining(name: string, draining: boolean): Promise<void> {
    const e = this.engine(name);
    try {
      if (draining) {
        await withTimeout(
          e.docker.createVolume({ Name: DRAIN_VOLUME, Labels: { [DRAIN_LABEL]: 'true' } }),
          PROBE_TIMEOUT_MS * 2,
          'creating the drain mark',
        );
      } else {
        const vols = await withTimeout(
          e.docker.listVolumes({ filters: { label: [`${DRAIN_LABEL}=true`] } }),
          PROBE_TIMEOUT_MS * 2,
          'listing volumes',
        );
        for (const v of vols.Volumes ?? []) await e.docker.getVolume(v.Name).remove();
      }
    } catch (err) {
      throw new EngineError(describeEngineFailure(e.spec, err), { hint: 'an engine that does not answer takes no new instances anyway' });
    }
  }
}

export async function isDraining(docker: Docker): Promise<boolean> {
  const vols = await docker.listVolumes({ filters: { label: [`${DRAIN_LABEL}=true`] } });
  return (vols.Volumes ?? []).length > 0;
}

async function countInstances(docker: Docker): Promise<number> {
  return (await instanceKeys(docker)).size;
}

/** The lab instances on an engine: `lab/instance` of every toplab node container, running or not. */
export async function instanceKeys(docker: Docker): Promise<Set<string>> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, `${LABEL.role}=node`] } });
  return new Set(list.map((c) => `${c.Labels[LABEL.lab] ?? ''}/${c.Labels[LABEL.instance] ?? ''}`));
}

export async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return false;
    throw e;
  }
}
