import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { EngineError, errorMessage, InstanceGoneError, isGoneError, throwIfAborted, abortReason } from '../../errors.js';
import type {
  AttachedExecOptions,
  ContainerSpec,
  HostRulesNeeded,
  ExecOptions,
  ExecResult,
  NetworkSpec,
  ResourceSummary,
  Runtime,
} from '../runtime.js';
import { loadDockerode } from './load-dockerode.js';
import { makeTar } from './tar.js';
import { ensureHostRules, removeHostRules } from './host-rules.js';
import { labImageTag } from '../lab-image.js';
import { retryUntil } from '../../util/retry.js';

const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * How long one engine request may take before toplab gives up on it, in ms: TOPLAB_ENGINE_TIMEOUT (seconds),
 * default 60. An exec's own run is bounded by its `timeoutMs`; this bounds each request around it.
 */
export function engineTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const s = Number(env.TOPLAB_ENGINE_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 60_000;
}

/**
 * Runs one engine request, bounded in time: an engine that accepts the connection and never answers gives an
 * EngineError naming the engine and what toplab was doing, never a wait without end.
 */
export async function timed<T>(what: string, request: () => Promise<T>, ms = engineTimeoutMs()): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new EngineError(`the Docker engine at ${engineEndpoint()} did not answer within ${ms / 1000}s while ${what}`, {
            hint: 'check that the engine works (`docker info`); a slow engine may need more time: TOPLAB_ENGINE_TIMEOUT=<seconds>',
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([request(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where dockerode will connect, in the words a user would write it. */
export function engineEndpoint(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

export class DockerRuntime implements Runtime {
  readonly docker: Docker;

  constructor(docker: Docker) {
    this.docker = docker;
  }

  /** Connects to DOCKER_HOST or the default socket. dockerode is loaded here, not at start-up: commands that need no engine stay fast. */
  static async connect(): Promise<DockerRuntime> {
    const DockerClass = loadDockerode();
    return new DockerRuntime(new DockerClass());
  }

  /** GET /_ping: the engine answers it without asking containerd anything, unlike /version (~25 ms more). */
  async ping(): Promise<void> {
    try {
      await timed('checking that it answers (GET /_ping)', () => this.docker.ping(), Math.min(engineTimeoutMs(), 15_000));
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(`no Docker engine answers at ${engineEndpoint()} (${errorMessage(e)})`, {
        hint:
          'start one: on Debian as root, `bash scripts/ensure-docker.sh` installs docker.io and starts dockerd; ' +
          'elsewhere start Docker and check `docker info`, or set DOCKER_HOST to a reachable engine',
        cause: e,
      });
    }
  }

  async usedSubnets(): Promise<string[]> {
    const nets = await timed('listing networks', () => this.docker.listNetworks());
    return nets.flatMap((n) => (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => typeof s === 'string' && s !== ''));
  }

  async ensureHostRules(needs: HostRulesNeeded, image: string): Promise<void> {
    await timed('adding the host rules for lab networks', () => ensureHostRules(this.docker, needs, image), 2 * engineTimeoutMs());
  }

  async removeHostRules(): Promise<void> {
    await timed(
      'removing the host rules for lab networks',
      () => removeHostRules(this.docker, { bridgedForwarding: true, ipv6Isolation: true }, labImageTag()),
      2 * engineTimeoutMs(),
    );
  }

  async createNetwork(spec: NetworkSpec): Promise<void> {
    await timed(`creating network ${spec.name}`, () =>
      this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        Internal: true,
        CheckDuplicate: true,
        EnableIPv6: spec.subnet6 !== undefined,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet }, ...(spec.subnet6 !== undefined ? [{ Subnet: spec.subnet6 }] : [])] },
        Options: {
          'com.docker.network.bridge.name': spec.bridge,
          // No host address on a lab network: lab programs cannot reach services on the host.
          'com.docker.network.bridge.inhibit_ipv4': 'true',
          ...(spec.mtu !== undefined ? { 'com.docker.network.driver.mtu': String(spec.mtu) } : {}),
        },
        Labels: spec.labels,
      }),
    );
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const [first, ...rest] = spec.networks;
    const join = spec.joinNamespacesOf;
    const container = await timed(`creating container ${spec.name}`, () =>
      this.docker.createContainer({
        name: spec.name,
        Hostname: join ? undefined : spec.hostname,
        Image: spec.image,
        Labels: spec.labels,
        // A lease ends the node on the engine's side: nothing in it runs on after its owner is gone.
        Cmd: ['sleep', spec.leaseSeconds !== undefined ? String(Math.max(1, Math.ceil(spec.leaseSeconds))) : 'infinity'],
        Env: ['HOME=/home/student', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        NetworkDisabled: false,
        HostConfig: {
          Init: true,
          NetworkMode: join ? `container:${join}` : (first?.name ?? 'none'),
          PidMode: join ? `container:${join}` : undefined,
          CapDrop: ['ALL'],
          CapAdd: spec.capAdd ?? [],
          ...(spec.sysctls && Object.keys(spec.sysctls).length > 0 ? { Sysctls: spec.sysctls } : {}),
          ...(spec.extraHosts && spec.extraHosts.length > 0 ? { ExtraHosts: spec.extraHosts } : {}),
          SecurityOpt: ['no-new-privileges'],
          PidsLimit: spec.limits?.pids ?? 256,
          Memory: spec.limits?.memoryBytes ?? 512 * 1024 * 1024,
          MemorySwap: spec.limits?.memoryBytes ?? 512 * 1024 * 1024,
          NanoCpus: spec.limits?.nanoCpus ?? 1_000_000_000,
          // Program outputs live here, capped so a flood cannot fill the host's disk.
          Tmpfs: join ? undefined : (spec.tmpfs ?? { '/run/toplab': 'rw,nosuid,nodev,size=64m,mode=1777' }),
          // With size-limited tmpfs for every writable place, nothing else of the node's file system takes writes.
          ReadonlyRootfs: !join && spec.tmpfs !== undefined,
          LogConfig: { Type: 'none', Config: {} },
        },
        NetworkingConfig:
          join || !first ? undefined : { EndpointsConfig: { [first.name]: { IPAMConfig: ipam(first), Aliases: first.aliases } } },
      }),
    );
    try {
      for (const n of rest) {
        await timed(`connecting ${spec.name} to ${n.name}`, () =>
          this.docker.getNetwork(n.name).connect({ Container: container.id, EndpointConfig: { IPAMConfig: ipam(n), Aliases: n.aliases } }),
        );
      }
      await timed(`starting container ${spec.name}`, () => container.start());
      if (spec.files) await this.copyFiles(container.id, spec.files.dir, spec.files.entries);
    } catch (e) {
      // A half-made container is removed before the error goes up.
      await timed(`removing container ${spec.name}`, () => container.remove({ force: true })).catch(() => undefined);
      throw e;
    }
    return container.id;
  }

  async createPlaceholder(name: string, image: string, labels: Record<string, string>): Promise<boolean> {
    try {
      await timed(`creating the lock ${name}`, () =>
        this.docker.createContainer({
          name,
          Image: image,
          Labels: labels,
          Cmd: ['true'],
          NetworkDisabled: true,
          HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } },
        }),
      );
      return true;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 409) return false;
      throw e;
    }
  }

  async exec(containerId: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    throwIfAborted(opts.signal);
    const what = `running \`${cmd[0] ?? ''}\` in container ${containerId.slice(0, 12)}`;
    const exec = await timed(what, () =>
      this.docker.getContainer(containerId).exec({
        Cmd: cmd,
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: opts.stdin !== undefined,
        Tty: false,
        User: opts.user,
        WorkingDir: opts.workdir,
        Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
      }),
    ).catch(goneOr(containerId));
    const stream = await timed(what, () => exec.start({ hijack: true, stdin: opts.stdin !== undefined })).catch(goneOr(containerId));
    const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    const out = collector(max, opts.onStdout);
    const err = collector(max, opts.onStderr);
    const stdoutPT = new PassThrough();
    const stderrPT = new PassThrough();
    stdoutPT.on('data', out.push);
    stderrPT.on('data', err.push);
    this.docker.modem.demuxStream(stream, stdoutPT, stderrPT);
    if (opts.stdin !== undefined) {
      stream.write(opts.stdin);
      // Half-close so the program sees end of input.
      (stream as unknown as { end: () => void }).end();
    }
    // Wait for the raw stream to end and both demuxed streams to drain, then read the exit code.
    const ended = new Promise<void>((resolve) => {
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        stdoutPT.end();
        stderrPT.end();
        let pending = 2;
        const one = (): void => {
          if (--pending === 0) resolve();
        };
        stdoutPT.on('end', one);
        stderrPT.on('end', one);
        stdoutPT.resume();
        stderrPT.resume();
      };
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', finish);
    });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    // Every exec ends: a caller's own limit, or the engine timeout when it gave none.
    const limit = opts.timeoutMs ?? engineTimeoutMs();
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, limit);
    });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      if (!opts.signal) return;
      onAbort = (): void => resolve();
      opts.signal.addEventListener('abort', onAbort, { once: true });
    });
    await Promise.race([ended, timeout, aborted]);
    if (timer) clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    let exitCode: number | null = null;
    if (opts.signal?.aborted) {
      (stream as unknown as { destroy: () => void }).destroy();
      throw abortReason(opts.signal);
    }
    if (timedOut) {
      (stream as unknown as { destroy: () => void }).destroy();
    } else {
      // The engine records the exit a moment after the streams close; on a loaded engine that moment can pass
      // half a second. Asked until it is recorded, for at most 5 s (and never past the exec's own limit): a
      // null exit code reads as "the engine ended the exec", which a caller may take for the program's doing.
      const asked = Date.now();
      const patience = Math.min(5000, Math.max(500, limit - (asked - started)));
      for (let pause = 10; ; pause = Math.min(100, pause * 2)) {
        const info = await timed(what, () => exec.inspect()).catch(goneOr(containerId));
        if (!info.Running) {
          exitCode = info.ExitCode;
          break;
        }
        if (Date.now() - asked >= patience) break;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
    return {
      exitCode,
      stdout: out.buffer(),
      stderr: err.buffer(),
      droppedStdout: out.dropped(),
      droppedStderr: err.dropped(),
      timedOut,
      durationMs: Date.now() - started,
    };
  }

  async execAttached(containerId: string, cmd: string[], opts: AttachedExecOptions): Promise<number | null> {
    const exec = await this.docker.getContainer(containerId).exec({
      Cmd: cmd,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: opts.tty,
      User: opts.user,
      Env: opts.env ? Object.entries(opts.env).map(([k, v]) => `${k}=${v}`) : undefined,
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: opts.tty })) as unknown as NodeJS.ReadWriteStream & {
      end: () => void;
      destroy: () => void;
    };
    const done = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    if (opts.tty) stream.pipe(opts.stdout, { end: false });
    else this.docker.modem.demuxStream(stream, opts.stdout, opts.stderr);
    const resize = (size: { rows: number; cols: number }): void => void exec.resize({ h: size.rows, w: size.cols }).catch(() => undefined);
    if (opts.tty && opts.size) resize(opts.size);
    opts.onResize?.(resize);
    // Input as it comes; at its end, half-close, so the command sees end of input and can still answer.
    const onData = (chunk: Buffer | string): void => void stream.write(chunk);
    const onEnd = (): void => {
      stream.end();
    };
    opts.stdin.on('data', onData);
    opts.stdin.on('end', onEnd);
    opts.stdin.resume();
    try {
      await done;
    } finally {
      opts.stdin.off('data', onData);
      opts.stdin.off('end', onEnd);
      opts.stdin.pause();
    }
    const info = await exec.inspect();
    return typeof info.ExitCode === 'number' ? info.ExitCode : null;
  }

  /**
   * Unpacks the files with the container's own tar, fed on stdin: one exec, ~30 ms. The engine's archive
   * endpoint (the fallback, for a container without tar) mounts the container's file system each time: ~200 ms.
   */
  async copyFiles(containerId: string, dir: string, entries: { path: string; content?: Buffer | string; mode?: number }[]): Promise<void> {
    const tar = await makeTar(entries);
    const r = await this.exec(containerId, ['tar', '-x', '--no-same-owner', '-C', dir], { stdin: tar, timeoutMs: 30_000 }).catch(
      (e: unknown) => {
        if (e instanceof InstanceGoneError) throw e;
        return undefined;
      },
    );
    if (r?.exitCode === 0) return;
    await timed(`copying files into container ${containerId.slice(0, 12)}`, () =>
      this.docker.getContainer(containerId).putArchive(tar, { path: dir }),
    ).catch(goneOr(containerId));
  }

  async readFile(containerId: string, path: string, maxBytes = 64 * 1024 * 1024): Promise<Buffer | undefined> {
    const r = await this.exec(containerId, ['cat', path], { maxBytes });
    if (r.exitCode !== 0) return undefined;
    return r.stdout;
  }

  async listContainers(labelFilters: string[]): Promise<ResourceSummary[]> {
    const list = await timed('listing containers', () => this.docker.listContainers({ all: true, filters: { label: labelFilters } }));
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
      labels: c.Labels,
      running: c.State === 'running',
      addresses: Object.fromEntries(Object.entries(c.NetworkSettings?.Networks ?? {}).map(([n, v]) => [n, v.IPAddress])),
      addresses6: Object.fromEntries(
        Object.entries(c.NetworkSettings?.Networks ?? {})
          .filter(([, v]) => typeof v.GlobalIPv6Address === 'string' && v.GlobalIPv6Address !== '')
          .map(([n, v]) => [n, v.GlobalIPv6Address]),
      ),
    }));
  }

  async listNetworks(labelFilters: string[]): Promise<ResourceSummary[]> {
    const list = await timed('listing networks', () => this.docker.listNetworks({ filters: { label: labelFilters } }));
    return list.map((n) => {
      const subnets = (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((x): x is string => typeof x === 'string');
      const v4 = subnets.find((x) => !x.includes(':'));
      const v6 = subnets.find((x) => x.includes(':'));
      return {
        id: n.Id,
        name: n.Name,
        labels: n.Labels ?? {},
        ...(v4 !== undefined ? { subnet: v4 } : {}),
        ...(v6 !== undefined ? { subnet6: v6 } : {}),
      };
    });
  }

  async removeContainers(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map((id) =>
        timed(`removing container ${id.slice(0, 12)}`, () => this.docker.getContainer(id).remove({ force: true, v: true })).catch(
          async (e: { statusCode?: number }) => {
            // Already gone: the goal is met.
            if (e.statusCode === 404) return;
            if (e.statusCode !== 409) throw e;
            // Already being removed by a concurrent removal: gone only when that one is done. Until then it is
            // still attached to its networks, whose removal (next, in removeInstance) would fail and leave them.
            const gone = await retryUntil(
              () =>
                this.docker
                  .getContainer(id)
                  .inspect()
                  .then(
                    () => undefined,
                    (err: { statusCode?: number }) => {
                      if (err.statusCode === 404) return true;
                      throw err;
                    },
                  ),
              { timeoutMs: engineTimeoutMs(), intervalMs: 50 },
            );
            if (!gone) throw new EngineError(`container ${id.slice(0, 12)} was still being removed after ${engineTimeoutMs() / 1000}s`);
          },
        ),
      ),
    );
  }

  async removeNetworks(ids: string[]): Promise<void> {
    await Promise.all(
      ids.map((id) =>
        timed(`removing network ${id.slice(0, 12)}`, () => this.docker.getNetwork(id).remove()).catch((e: { statusCode?: number }) => {
          if (e.statusCode !== 404) throw e;
        }),
      ),
    );
  }
}

/** An engine 404/409 on a container becomes an InstanceGoneError: the container went away while in use. */
function goneOr(containerId: string): (e: unknown) => never {
  return (e: unknown) => {
    if (isGoneError(e))
      throw new InstanceGoneError(`container ${containerId.slice(0, 12)} is gone or stopped (${errorMessage(e).trim()})`, { cause: e });
    throw e;
  };
}

function ipam(n: { address: string; address6?: string }): { IPv4Address: string; IPv6Address?: string } {
  return n.address6 !== undefined ? { IPv4Address: n.address, IPv6Address: n.address6 } : { IPv4Address: n.address };
}

function collector(
  max: number,
  live?: (chunk: Buffer) => void,
): { push: (c: Buffer) => void; buffer: () => Buffer; dropped: () => number } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = 0;
  return {
    push: (c: Buffer) => {
      live?.(c);
      const room = max - kept;
      if (room <= 0) {
        dropped += c.length;
        return;
      }
      const part = c.length > room ? c.subarray(0, room) : c;
      chunks.push(part);
      kept += part.length;
      dropped += c.length - part.length;
    },
    buffer: () => Buffer.concat(chunks),
    dropped: () => dropped,
  };
}
