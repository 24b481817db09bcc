// The offline lab image builder: debootstrap a Debian root file system into a temp folder, run setup.sh in a
// chroot, and stream a tar of it into `docker import`. Needs root and debootstrap, no registry.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { errorMessage } from '../../errors.js';
import { LABEL } from '../labels.js';
import { LAB_IMAGE_REPO, LABEL_IMAGE_HASH, LabImageError, labImageDir, readLabPackages } from '../lab-image.js';
import { pidAlive } from './build-lock.js';
import { followProgress, ProgressReporter, Tail, splitLines } from './build-progress.js';

export const DEBIAN_SUITE = 'bookworm';
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The debootstrap command line of the offline builder. */
export function debootstrapArgs(target: string, dir: string = labImageDir()): string[] {
  const args = ['--variant=minbase', '--components=main', `--include=${readLabPackages(dir).join(',')}`, DEBIAN_SUITE, target];
  const mirror = process.env.TOPLAB_DEBIAN_MIRROR;
  if (mirror) args.push(mirror);
  return args;
}

/** Image config for `docker import` (the Dockerfile builder gets the same through ENV/CMD and build labels). */
export function importChanges(hash: string): string[] {
  return [`ENV PATH=${IMAGE_PATH}`, `LABEL ${LABEL.managed}=true`, `LABEL ${LABEL_IMAGE_HASH}=${hash}`, 'CMD ["/bin/sh"]'];
}

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The full path of an executable on PATH (plus the sbin folders, which non-login shells may lack). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, fsConstants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

const WORKDIR_PREFIX = 'toplab-image-build-';

export async function buildOffline(docker: Docker, dir: string, hash: string, out: (line: string) => void): Promise<void> {
  const debootstrap = findExecutable('debootstrap');
  if (!debootstrap) {
    throw new LabImageError(
      'debootstrap is not installed: apt-get install debootstrap (as root), or use --builder dockerfile on a machine with a registry',
    );
  }
  if (!isRoot()) {
    throw new LabImageError(
      'the offline builder needs root (debootstrap and chroot): run it as root, or use --builder dockerfile on a machine with a registry',
    );
  }
  const chroot = findExecutable('chroot') ?? 'chroot';

  await sweepStaleWorkdirs();
  const work = await mkdtemp(join(tmpdir(), WORKDIR_PREFIX));
  await writeFile(join(work, 'owner.pid'), `${process.pid}\n`);
  const rootfs = join(work, 'rootfs');
  await mkdir(rootfs);
  const reporter = new ProgressReporter(out);
  try {
    await runDebootstrap(debootstrap, debootstrapArgs(rootfs, dir), reporter);

    reporter.phase = 'setup.sh: configuring the image';
    reporter.emit(reporter.phase);
    // debootstrap copies the build machine's resolver and host name; containers get their own.
    await writeFile(join(rootfs, 'etc', 'resolv.conf'), '');
    await writeFile(join(rootfs, 'etc', 'hostname'), 'localhost\n');
    const stage = join(rootfs, 'tmp', 'toplab-image');
    await mkdir(stage, { recursive: true });
    await copyFile(join(dir, 'setup.sh'), join(stage, 'setup.sh'));
    await copyFile(join(dir, 'packages.txt'), join(stage, 'packages.txt'));
    await runChild(chroot, [rootfs, '/bin/sh', '/tmp/toplab-image/setup.sh'], 'setup.sh (in chroot)', reporter, {
      PATH: IMAGE_PATH,
      DEBIAN_FRONTEND: 'noninteractive',
      LC_ALL: 'C',
      HOME: '/root',
    });
    await rm(stage, { recursive: true, force: true });

    reporter.phase = 'importing the root file system into Docker';
    reporter.emit(reporter.phase);
    await importRootfs(docker, rootfs, hash, reporter);
  } finally {
    reporter.stop();
    await removeWorkdir(work);
  }
}

function runDebootstrap(debootstrap: string, args: string[], reporter: ProgressReporter): Promise<void> {
  let retrieved = 0;
  let total = 0;
  const counts = { Extracting: 0, Unpacking: 0, Configuring: 0 };
  reporter.phase = 'debootstrap: starting';
  reporter.emit(`debootstrap ${args.join(' ')}`);
  return runChild(
    debootstrap,
    args,
    'debootstrap',
    reporter,
    { PATH: `${process.env.PATH ?? ''}:${SBIN_DIRS.join(':')}`, LC_ALL: 'C' },
    (line) => {
      // debootstrap's own lines look like "I: Retrieving libc6 2.36-9" / "W: ..." / "E: ...".
      const m = /^([IWE]): (\S+)(?: (.*))?$/.exec(line);
      if (!m) return;
      const [, level, verb = '', rest = ''] = m;
      if (level === 'E' || level === 'W') {
        reporter.emit(`debootstrap: ${line}`);
        return;
      }
      if (verb === 'Retrieving' && !/^(Release|Packages|InRelease)\b/.test(rest)) {
        retrieved++;
        total = Math.max(total, retrieved);
        setPhase(reporter, 'debootstrap: retrieving packages', `(${retrieved})`);
      } else if (verb === 'Extracting' || verb === 'Unpacking' || verb === 'Configuring') {
        counts[verb]++;
        setPhase(
          reporter,
          `debootstrap: ${verb.toLowerCase()} packages`,
          total ? `(${Math.min(counts[verb], total)}/${total})` : `(${counts[verb]})`,
        );
      } else if (verb === 'Validating') {
        // Follows each "Retrieving": part of the retrieval phase.
        reporter.maybe(`${reporter.phase} (${retrieved})`);
      } else if (/^(Retrieving|Checking|Resolving|Found|Installing|Base)$/.test(verb)) {
        reporter.phase = `debootstrap: ${verb.toLowerCase()} ${rest}`.trim();
        reporter.maybe(reporter.phase);
      }
    },
  );
}

function setPhase(reporter: ProgressReporter, phase: string, count: string): void {
  const line = count ? `${phase} ${count}` : phase;
  if (reporter.phase !== phase) {
    reporter.phase = phase;
    reporter.emit(line);
  } else {
    reporter.maybe(line);
  }
}

function runChild(
  cmd: string,
  args: string[],
  what: string,
  reporter: ProgressReporter,
  env: Record<string, string>,
  onLine?: (line: string) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail = new Tail();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const handle = splitLines((line) => {
      tail.push(line);
      onLine?.(line);
    });
    child.stdout.on('data', handle);
    child.stderr.on('data', handle);
    child.on('error', (err) => reject(new LabImageError(`${what} could not be started: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `failed (exit code ${code})`;
      const hint =
        what === 'debootstrap'
          ? '\nCheck that this machine can reach the Debian mirror (or set TOPLAB_DEBIAN_MIRROR), or use --builder dockerfile on a machine with a registry.'
          : '';
      reject(new LabImageError(`${what} ${how} after ${reporter.elapsed()} s; its last lines:\n${tail.text()}${hint}`));
    });
  });
}

/** Counts bytes going through, for progress lines. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

interface ImportMessage {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

async function importRootfs(docker: Docker, rootfs: string, hash: string, reporter: ProgressReporter): Promise<void> {
  const tail = new Tail(10);
  const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  tar.stderr.on(
    'data',
    splitLines((l) => tail.push(l)),
  );
  const tarDone = new Promise<number | null>((resolve, reject) => {
    tar.on('error', (err) => reject(new LabImageError(`tar could not be started: ${err.message}`)));
    tar.on('close', (code) => resolve(code));
  });
  const counter = new ByteCounter();
  tar.stdout.pipe(counter);
  const meter = setInterval(() => reporter.maybe(`importing: ${Math.round(counter.bytes / 1e6)} MB sent`), 1000);
  meter.unref();

  let imageId: string | undefined;
  try {
    // Import untagged first; tag only once tar has finished well, so a broken import never gets the tag.
    const stream = await docker.importImage(counter, {
      changes: importChanges(hash),
      message: `toplab lab image ${hash} (offline build)`,
    });
    const messages = await followProgress<ImportMessage>(docker, stream);
    for (const msg of messages) {
      const err = msg.error ?? msg.errorDetail?.message;
      if (err) throw new LabImageError(`docker import failed: ${err}`);
      if (msg.status && /^sha256:[0-9a-f]{64}$/.test(msg.status.trim())) imageId = msg.status.trim();
    }
    const code = await tarDone;
    if (code !== 0) throw new LabImageError(`tar of the root file system failed (exit code ${code}):\n${tail.text()}`);
    if (!imageId) throw new LabImageError('docker import gave no image id');
    reporter.emit(`importing: ${Math.round(counter.bytes / 1e6)} MB imported as ${imageId.slice(7, 19)}`);
    await docker.getImage(imageId).tag({ repo: LAB_IMAGE_REPO, tag: hash });
  } catch (err) {
    tar.kill();
    if (imageId)
      await docker
        .getImage(imageId)
        .remove()
        .catch(() => undefined);
    if (err instanceof LabImageError) throw err;
    throw new LabImageError(`docker import failed: ${errorMessage(err)}`);
  } finally {
    clearInterval(meter);
  }
}

// Temp folders: never delete through a mount point (debootstrap may leave /proc, /sys or a
// bind-mounted /dev inside the target after a failure).

function mountsUnder(dir: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const mountPoint = field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
    if (mountPoint === dir || mountPoint.startsWith(dir + '/')) found.push(mountPoint);
  }
  return found.sort((a, b) => b.length - a.length);
}

async function removeWorkdir(work: string): Promise<void> {
  for (const m of mountsUnder(work)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  const left = mountsUnder(work);
  if (left.length > 0) {
    throw new LabImageError(`cannot remove ${work}: still mounted there: ${left.join(', ')}; unmount them and remove the folder by hand`);
  }
  await rm(work, { recursive: true, force: true });
}

/** Removes build folders left by toplab processes that died (e.g. interrupted with Ctrl-C). */
async function sweepStaleWorkdirs(): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(WORKDIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const work = join(tmpdir(), name);
    try {
      const pid = Number((await readFile(join(work, 'owner.pid'), 'utf8')).trim());
      if (!pidAlive(pid)) await removeWorkdir(work);
    } catch {
      // no owner file yet, or not ours to judge
    }
  }
}
