/**
 * Test engines: Docker engines running inside privileged containers of the shared engine, each with its own
 * network namespace, iptables and storage, reached over TLS (certificates made here with openssl) on a port
 * published on 127.0.0.1. For toplab they are other hosts.
 *
 * - The image (`toplab/test-engine:<recipe hash>`) is built once, offline: debootstrap with Debian's docker.io,
 *   then `docker import`, like the lab image's offline builder.
 * - Every engine container carries `org.toplab.test-engine=<run>` and its owner's pid: `stopTestEngines` removes
 *   a run's engines by label, and `startTestEngines` first removes engines whose owner process is gone (a test
 *   run that was killed).
 * - At most three engines: each inner dockerd and containerd costs memory and CPU on a shared 2-core machine.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { loadDockerode } from '../../src/runtime/docker/load-dockerode.js';
import { makeTar } from '../../src/runtime/docker/tar.js';
import { transferImage } from '../../src/engines/transfer.js';

export const TEST_ENGINE_REPO = 'toplab/test-engine';
export const TEST_ENGINE_LABEL = 'org.toplab.test-engine';
export const TEST_ENGINE_OWNER_LABEL = 'org.toplab.test-engine.owner';
export const MAX_TEST_ENGINES = 3;

const PACKAGES = ['docker.io', 'iptables', 'ca-certificates', 'procps', 'openssh-server'];

/** The engine container's start: /sys writable, the cgroup v1 hierarchies this host has, then dockerd over TLS. */
const START_SCRIPT = `set -e
mount -o remount,rw /sys
# Docker's read-only cgroup mounts go first, all of them: runc finds hierarchies in mountinfo, and a hidden
# stale entry (or a cgroup2 'unified' one) makes it look for the container's cgroup in the wrong place.
for pass in 1 2 3; do
  for m in $(grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f5 | sort -r); do umount "$m" 2>/dev/null || true; done
done
mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup
for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
  mkdir -p /sys/fs/cgroup/$c
  mount -t cgroup -o $c none /sys/fs/cgroup/$c 2>/dev/null || rmdir /sys/fs/cgroup/$c
done
mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd none /sys/fs/cgroup/systemd || true
if [ -f /root/.ssh/authorized_keys ]; then mkdir -p /run/sshd; ssh-keygen -A >/dev/null; /usr/sbin/sshd -o PasswordAuthentication=no -o PermitRootLogin=prohibit-password; fi
exec dockerd --tlsverify --tlscacert /certs/ca.pem --tlscert /certs/server-cert.pem --tlskey /certs/server-key.pem \\
  -H tcp://0.0.0.0:2376 -H unix:///var/run/docker.sock --storage-driver overlay2 >/var/log/dockerd.log 2>&1
`;

export interface TestEngine {
  /** Name in the engines file (e1, e2, ...). */
  name: string;
  container: string;
  /** `tcp://127.0.0.1:<port>` */
  address: string;
  port: number;
  /** The engine's sshd on 127.0.0.1 (root, key `sshKey` of the run): `ssh://root@127.0.0.1:<sshPort>`. */
  sshPort: number;
  docker: Docker;
}

export interface TestEngines {
  run: string;
  engines: TestEngine[];
  /** Folder of the certificates: ca.pem, cert.pem, key.pem (client), and per engine server certificates. */
  certDir: string;
  /** A client certificate from another CA: every engine must refuse it. */
  wrongCertDir: string;
  /** The private key that logs in as root on every engine's sshd. */
  sshKey: string;
  /** Writes an engines.yaml for these engines and returns its path; engines named in `ssh` are reached over ssh://. */
  writeEnginesFile: (opts?: { capacity?: number[]; ssh?: string[] }) => string;
  stop: () => Promise<void>;
}

function recipeHash(): string {
  // The image's content only: the start script is the container's command, not part of the image.
  return createHash('sha256')
    .update(`test-engine 1\0${PACKAGES.join(',')}`)
    .digest('hex')
    .slice(0, 12);
}

export function testEngineTag(): string {
  return `${TEST_ENGINE_REPO}:${recipeHash()}`;
}

function log(line: string): void {
  process.stderr.write(`[engines] ${line}\n`);
}

async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/** One build at a time on this machine (two test files may start together). */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch {
      const owner = Number(readFileSync(path, 'utf8').trim());
      let alive = false;
      try {
        process.kill(owner, 0);
        alive = true;
      } catch {
        alive = false;
      }
      if (!alive) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() - started > 15 * 60_000)
        throw new Error(`the test engine image build lock ${path} is held by pid ${owner} for over 15 min`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(path);
    } catch {
      // gone already
    }
  }
}

function runChild(cmd: string, args: string[], stdout?: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    if (stdout && child.stdout) child.stdout.pipe(stdout);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}... failed (${code}): ${err}`)),
    );
  });
}

/** Builds the engine image offline when it is missing: debootstrap with docker.io, then docker import (~1-2 min, once). */
export async function ensureTestEngineImage(docker: Docker): Promise<string> {
  const tag = testEngineTag();
  if (await imageExists(docker, tag)) return tag;
  return withLock(join(tmpdir(), `toplab-test-engine-${recipeHash()}.lock`), async () => {
    if (await imageExists(docker, tag)) return tag;
    const work = mkdtempSync(join(tmpdir(), 'toplab-test-engine-build-'));
    const rootfs = join(work, 'rootfs');
    mkdirSync(rootfs);
    try {
      log(`building ${tag} with debootstrap (docker.io and its dependencies; about two minutes, once)`);
      const started = Date.now();
      const args = ['--variant=minbase', `--include=${PACKAGES.join(',')}`, 'bookworm', rootfs];
      if (process.env.TOPLAB_DEBIAN_MIRROR) args.push(process.env.TOPLAB_DEBIAN_MIRROR);
      await runChild('debootstrap', args);
      writeFileSync(join(rootfs, 'etc', 'resolv.conf'), '');
      log(`debootstrap done in ${Math.round((Date.now() - started) / 1000)}s; importing`);
      const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const stream = await docker.importImage(
        tar.stdout as unknown as NodeJS.ReadableStream,
        {
          repo: TEST_ENGINE_REPO,
          tag: recipeHash(),
          changes: [
            'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            `LABEL ${TEST_ENGINE_LABEL}=image`,
            'CMD ["/bin/sh"]',
          ],
        } as unknown as Record<string, unknown>,
      );
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())));
      if (!(await imageExists(docker, tag))) throw new Error(`docker import gave no ${tag}`);
      log(`built ${tag} in ${Math.round((Date.now() - started) / 1000)}s`);
      return tag;
    } finally {
      for (const m of ['proc', 'sys', 'dev/pts', 'dev']) spawn('umount', ['-l', join(rootfs, m)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 200));
      rmSync(work, { recursive: true, force: true });
    }
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, as Docker's TLS guide makes them. */
export function makeCertificates(dir: string): void {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=toplab test CA',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'server-ext.cnf'), 'subjectAltName = IP:127.0.0.1,DNS:localhost\nextendedKeyUsage = serverAuth\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      'server-cert.pem',
      '-days',
      '2',
      '-extfile',
      'server-ext.cnf',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=toplab client'], dir);
  writeFileSync(join(dir, 'client-ext.cnf'), 'extendedKeyUsage = clientAuth\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      'cert.pem',
      '-days',
      '2',
      '-extfile',
      'client-ext.cnf',
    ],
    dir,
  );
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes test engines left by test processes that are gone (and, with `run`, every engine of that run). */
export async function removeTestEngines(docker: Docker, run?: string): Promise<number> {
  const list = await docker.listContainers({ all: true, filters: { label: [TEST_ENGINE_LABEL] } });
  const doomed = list.filter((c) =>
    run !== undefined ? c.Labels[TEST_ENGINE_LABEL] === run : !pidAlive(Number(c.Labels[TEST_ENGINE_OWNER_LABEL])),
  );
  await Promise.all(
    doomed.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  return doomed.length;
}

function clientFor(port: number, certDir: string): Docker {
  const DockerClass = loadDockerode() as unknown as new (opts: Record<string, unknown>) => Docker;
  return new DockerClass({
    host: '127.0.0.1',
    port,
    protocol: 'https',
    ca: readFileSync(join(certDir, 'ca.pem')),
    cert: readFileSync(join(certDir, 'cert.pem')),
    key: readFileSync(join(certDir, 'key.pem')),
  });
}

async function waitUntilUp(e: TestEngine, shared: Docker, timeoutMs = 90_000): Promise<void> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    try {
      await e.docker.ping();
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    const info = await shared.getContainer(e.container).inspect();
    if (!info.State.Running) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const logs = await shared
    .getContainer(e.container)
    .exec({ Cmd: ['tail', '-n', '30', '/var/log/dockerd.log'], AttachStdout: true, AttachStderr: true })
    .then(async (x) => {
      const s = await x.start({});
      return new Promise<string>((resolve) => {
        let t = '';
        s.on('data', (c: Buffer) => (t += c.toString()));
        s.on('end', () => resolve(t));
      });
    })
    .catch(() => '(no log)');
  throw new Error(`test engine ${e.name} (${e.container}) did not answer within ${timeoutMs / 1000}s: ${last}\n${logs}`);
}

/**
 * Starts `count` engines (at most three), each with the lab image `labImage` loaded from the shared engine.
 * On any failure the engines started so far are removed before the error goes up.
 */
export async function startTestEngines(count: number, labImage: string): Promise<TestEngines> {
  if (count < 1 || count > MAX_TEST_ENGINES) throw new Error(`at most ${MAX_TEST_ENGINES} test engines (asked for ${count})`);
  const DockerClass = loadDockerode();
  const shared = new DockerClass();
  await removeTestEngines(shared);
  const tag = await ensureTestEngineImage(shared);
  const run = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const certDir = mkdtempSync(join(tmpdir(), 'toplab-engine-certs-'));
  const wrongCertDir = join(certDir, 'wrong');
  makeCertificates(certDir);
  makeCertificates(wrongCertDir);
  const sshKey = join(certDir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'toplab-test', '-f', sshKey], { stdio: 'ignore' });
  const engines: TestEngine[] = [];
  const stop = async (): Promise<void> => {
    await removeTestEngines(shared, run);
    rmSync(certDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `e${i + 1}`;
        const container = `toplab-test-engine-${run}-${name}`;
        const c = await shared.createContainer({
          name: container,
          Image: tag,
          Hostname: name,
          Cmd: ['sh', '-c', START_SCRIPT],
          Labels: { [TEST_ENGINE_LABEL]: run, [TEST_ENGINE_OWNER_LABEL]: String(process.pid) },
          ExposedPorts: { '2376/tcp': {}, '22/tcp': {} },
          HostConfig: {
            CapAdd: ['ALL'],
            CapDrop: ['SYS_RESOURCE'],
            SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
            // `--security-opt systempaths=unconfined` of the docker CLI: nothing masked or read-only under /proc and /sys.
            MaskedPaths: [],
            ReadonlyPaths: [],
            Tmpfs: { '/var/lib/docker': 'rw,exec,size=4g', '/run': 'rw,exec' },
            PortBindings: { '2376/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '22/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
            LogConfig: { Type: 'none', Config: {} },
          },
        } as Docker.ContainerCreateOptions);
        const files = [
          ...['ca.pem', 'server-cert.pem', 'server-key.pem'].map((f) => ({
            path: `certs/${f}`,
            content: readFileSync(join(certDir, f)),
            mode: 0o600,
          })),
          { path: 'root/.ssh/authorized_keys', content: readFileSync(`${sshKey}.pub`), mode: 0o600 },
        ];
        await c.putArchive(await makeTar(files), { path: '/' });
        await c.start();
        const info = await c.inspect();
        const port = Number(info.NetworkSettings.Ports['2376/tcp']?.[0]?.HostPort);
        const sshPort = Number(info.NetworkSettings.Ports['22/tcp']?.[0]?.HostPort);
        const e: TestEngine = { name, container, port, sshPort, address: `tcp://127.0.0.1:${port}`, docker: clientFor(port, certDir) };
        engines.push(e);
        await waitUntilUp(e, shared);
      }),
    );
    engines.sort((a, b) => a.name.localeCompare(b.name));
    log(`${engines.length} engine(s) up: ${engines.map((e) => `${e.name} ${e.address}`).join(', ')}; loading ${labImage}`);
    for (const e of engines) {
      const started = Date.now();
      await transferImage(shared, e.docker, labImage);
      log(`${labImage} loaded into ${e.name} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const writeEnginesFile = (opts: { capacity?: number[]; ssh?: string[] } = {}): string => {
    const lines = ['engines:'];
    engines.forEach((e, i) => {
      if (opts.ssh?.includes(e.name)) {
        lines.push(
          `  - name: ${e.name}`,
          `    address: ssh://root@127.0.0.1:${e.sshPort}`,
          `    capacity: ${opts.capacity?.[i] ?? 4}`,
          '    ssh:',
          `      key: ${sshKey}`,
        );
        return;
      }
      lines.push(
        `  - name: ${e.name}`,
        `    address: ${e.address}`,
        `    capacity: ${opts.capacity?.[i] ?? 4}`,
        '    tls:',
        `      ca: ${join(certDir, 'ca.pem')}`,
        `      cert: ${join(certDir, 'cert.pem')}`,
        `      key: ${join(certDir, 'key.pem')}`,
      );
    });
    const file = join(mkdtempSync(join(certDir, 'pool-')), 'engines.yaml');
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  return { run, engines, certDir, wrongCertDir, sshKey, writeEnginesFile, stop };
}
