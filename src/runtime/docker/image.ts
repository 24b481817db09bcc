// The toplab lab image: its definition (images/lab), its content-addressed tag, and the two
// ways to build it — offline (debootstrap + docker import, no registry needed) or from the
// Dockerfile (needs a registry for debian:bookworm-slim). Both read packages.txt and run setup.sh.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants as fsConstants, readFileSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { projectRoot } from '../../paths.js';

export const LAB_IMAGE_REPO = 'toplab/lab';
export const LABEL_MANAGED = 'org.toplab.managed';
export const LABEL_IMAGE_HASH = 'org.toplab.image-hash';

/** The files that define the image; their contents make up the tag. */
export const LAB_IMAGE_FILES = ['Dockerfile', 'packages.txt', 'setup.sh'] as const;

/**
 * Bumped when the offline builder itself changes what it puts in the image (it lives here, not
 * in images/lab), so that such a change also gives a new tag.
 */
const OFFLINE_RECIPE_VERSION = '1';

export const DEBIAN_SUITE = 'bookworm';
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type LabImageBuilder = 'auto' | 'offline' | 'dockerfile';

export interface EnsureLabImageOptions {
  builder?: LabImageBuilder;
  force?: boolean;
  onProgress?: (line: string) => void;
}

export interface EnsureLabImageResult {
  tag: string;
  built: boolean;
  seconds: number;
}

/** A failure to build or find the lab image; the message says what failed and what to do. */
export class LabImageError extends Error {
  override name = 'LabImageError';
}

export function labImageDir(): string {
  return join(projectRoot(), 'images', 'lab');
}

/** sha256 over the image definition files (sorted by name, each with its name), first 12 hex. */
export function imageDefinitionHash(dir: string = labImageDir()): string {
  const h = createHash('sha256');
  h.update(`toplab-lab-image recipe ${OFFLINE_RECIPE_VERSION}\0`);
  for (const name of [...LAB_IMAGE_FILES].sort()) {
    let content: Buffer;
    try {
      content = readFileSync(join(dir, name));
    } catch {
      throw new LabImageError(`the lab image definition is incomplete: ${join(dir, name)} cannot be read`);
    }
    h.update(`${name}\0${content.length}\0`);
    h.update(content);
  }
  return h.digest('hex').slice(0, 12);
}

export function labImageTag(dir: string = labImageDir()): string {
  return `${LAB_IMAGE_REPO}:${imageDefinitionHash(dir)}`;
}

/** The package names in packages.txt: one per line, text after '#' ignored (as the Dockerfile's sed does). */
export function readLabPackages(dir: string = labImageDir()): string[] {
  const text = readFileSync(join(dir, 'packages.txt'), 'utf8');
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    for (const word of line.split(/\s+/)) {
      if (!/^[a-z0-9][a-z0-9+.-]+$/.test(word)) {
        throw new LabImageError(`packages.txt: "${word}" is not a Debian package name`);
      }
      names.push(word);
    }
  }
  if (names.length === 0) throw new LabImageError('packages.txt lists no packages');
  return names;
}

/** The debootstrap command line of the offline builder. */
export function debootstrapArgs(target: string, dir: string = labImageDir()): string[] {
  const args = ['--variant=minbase', '--components=main', `--include=${readLabPackages(dir).join(',')}`, DEBIAN_SUITE, target];
  const mirror = process.env.TOPLAB_DEBIAN_MIRROR;
  if (mirror) args.push(mirror);
  return args;
}

/** Image config for `docker import` (the Dockerfile builder gets the same through ENV/CMD and build labels). */
export function importChanges(hash: string): string[] {
  return [
    `ENV PATH=${IMAGE_PATH}`,
    `LABEL ${LABEL_MANAGED}=true`,
    `LABEL ${LABEL_IMAGE_HASH}=${hash}`,
    'CMD ["/bin/sh"]',
  ];
}

// ---------------------------------------------------------------------------------------------
// ensureLabImage

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const code = (err as { statusCode: unknown }).statusCode;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

async function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new LabImageError(`cannot ask the Docker engine about image ${ref}: ${errorMessage(err)} (is the engine running? try scripts/ensure-docker.sh)`);
  }
}

const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The full path of an executable on PATH (plus the sbin folders, which non-login shells may lack). */
function findExecutable(name: string): string | undefined {
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

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function chooseBuilder(builder: LabImageBuilder): 'offline' | 'dockerfile' {
  if (builder !== 'auto') return builder;
  return findExecutable('debootstrap') && isRoot() ? 'offline' : 'dockerfile';
}

/**
 * Makes sure the lab image for the current definition exists, building it if needed.
 * When it exists already (and force is not set) this is one inspect call.
 */
export async function ensureLabImage(docker: Docker, opts: EnsureLabImageOptions = {}): Promise<EnsureLabImageResult> {
  const started = Date.now();
  const seconds = (): number => Math.round((Date.now() - started) / 100) / 10;
  const dir = labImageDir();
  const hash = imageDefinitionHash(dir);
  const tag = `${LAB_IMAGE_REPO}:${hash}`;
  const progress = opts.onProgress ?? ((): void => {});

  const existing = await inspectImage(docker, tag);
  if (existing && !opts.force) return { tag, built: false, seconds: seconds() };

  const builder = chooseBuilder(opts.builder ?? 'auto');
  const lock = await acquireBuildLock(hash, progress);
  try {
    let previousId = existing?.Id;
    if (lock.waited) {
      // Someone else built while we waited: their fresh image serves a forced build as well.
      const now = await inspectImage(docker, tag);
      if (now && (!opts.force || now.Id !== previousId)) return { tag, built: false, seconds: seconds() };
      previousId = now?.Id;
    }
    progress(`building ${tag} with the ${builder} builder`);
    if (builder === 'offline') await buildOffline(docker, dir, hash, progress);
    else await buildFromDockerfile(docker, dir, hash, opts.force === true, progress);
    if (previousId) await removeReplacedImage(docker, previousId, tag);
    progress(`built ${tag} in ${Math.round(seconds())} s`);
    return { tag, built: true, seconds: seconds() };
  } finally {
    await lock.release();
  }
}

/** After a forced rebuild the old image is left without a tag: remove it if nothing uses it. */
async function removeReplacedImage(docker: Docker, previousId: string, tag: string): Promise<void> {
  const now = await inspectImage(docker, tag);
  if (!now || now.Id === previousId) return;
  try {
    const old = await docker.getImage(previousId).inspect();
    if (old.Config?.Labels?.[LABEL_MANAGED] !== 'true' || (old.RepoTags ?? []).length > 0) return;
    await docker.getImage(previousId).remove();
  } catch {
    // in use by a container, or already gone: `lab image prune` can deal with it later
  }
}

// ---------------------------------------------------------------------------------------------
// Progress helpers

/** Emits phase lines as they come, other lines at most every `everyMs`, and a heartbeat when quiet. */
class ProgressReporter {
  private lastEmit = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  phase = 'starting';

  constructor(
    private readonly out: (line: string) => void,
    private readonly everyMs = 2000,
    heartbeatMs = 5000,
  ) {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastEmit >= heartbeatMs) this.emit(`${this.phase} (${this.elapsed()} s elapsed)`);
    }, 1000);
    this.timer.unref();
  }

  elapsed(): number {
    return Math.round((Date.now() - this.started) / 1000);
  }

  emit(line: string): void {
    this.lastEmit = Date.now();
    this.out(line);
  }

  /** A line that may be dropped when lines come fast. */
  maybe(line: string): void {
    if (Date.now() - this.lastEmit >= this.everyMs) this.emit(line);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Keeps the last `max` lines of a child's output, for error messages. */
class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 25) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.map((l) => '  | ' + l).join('\n');
  }
}

function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('utf8');
    let i: number;
    while ((i = buf.search(/[\r\n]/)) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      if (line) onLine(line);
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Offline builder: debootstrap into a temp dir, setup.sh in a chroot, tar into docker import.

const WORKDIR_PREFIX = 'toplab-image-build-';

async function buildOffline(docker: Docker, dir: string, hash: string, out: (line: string) => void): Promise<void> {
  const debootstrap = findExecutable('debootstrap');
  if (!debootstrap) {
    throw new LabImageError(
      'debootstrap is not installed: apt-get install debootstrap (as root), or use --builder dockerfile on a machine with a registry',
    );
  }
  if (!isRoot()) {
    throw new LabImageError('the offline builder needs root (debootstrap and chroot): run it as root, or use --builder dockerfile on a machine with a registry');
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
  return runChild(debootstrap, args, 'debootstrap', reporter, { PATH: `${process.env.PATH ?? ''}:${SBIN_DIRS.join(':')}`, LC_ALL: 'C' }, (line) => {
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
      setPhase(reporter, `debootstrap: ${verb.toLowerCase()} packages`, total ? `(${Math.min(counts[verb], total)}/${total})` : `(${counts[verb]})`);
    } else if (verb === 'Validating') {
      // Follows each "Retrieving": part of the retrieval phase.
      reporter.maybe(`${reporter.phase} (${retrieved})`);
    } else if (/^(Retrieving|Checking|Resolving|Found|Installing|Base)$/.test(verb)) {
      reporter.phase = `debootstrap: ${verb.toLowerCase()} ${rest}`.trim();
      reporter.maybe(reporter.phase);
    }
  });
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
  tar.stderr.on('data', splitLines((l) => tail.push(l)));
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
    const messages = await followJson<ImportMessage>(stream);
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
    if (imageId) await docker.getImage(imageId).remove().catch(() => undefined);
    if (err instanceof LabImageError) throw err;
    throw new LabImageError(`docker import failed: ${errorMessage(err)}`);
  } finally {
    clearInterval(meter);
  }
}

/** Reads a Docker JSON-lines response stream to its end. */
function followJson<T>(stream: NodeJS.ReadableStream, onMessage?: (msg: T) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const all: T[] = [];
    const handle = splitLines((line) => {
      try {
        const msg = JSON.parse(line) as T;
        all.push(msg);
        onMessage?.(msg);
      } catch {
        // not JSON: ignore
      }
    });
    stream.on('data', (chunk: Buffer | string) => handle(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    stream.on('end', () => {
      handle(Buffer.from('\n'));
      resolve(all);
    });
    stream.on('error', reject);
  });
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

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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

// ---------------------------------------------------------------------------------------------
// Dockerfile builder

interface BuildMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string };
}

async function buildFromDockerfile(docker: Docker, dir: string, hash: string, noCache: boolean, out: (line: string) => void): Promise<void> {
  const reporter = new ProgressReporter(out);
  const tail = new Tail();
  let failure: string | undefined;
  try {
    reporter.phase = 'docker build: sending the build context';
    reporter.emit(reporter.phase);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.buildImage(
        { context: dir, src: [...LAB_IMAGE_FILES] },
        {
          t: `${LAB_IMAGE_REPO}:${hash}`,
          labels: { [LABEL_MANAGED]: 'true', [LABEL_IMAGE_HASH]: hash },
          rm: true,
          forcerm: true,
          nocache: noCache,
        },
      );
    } catch (err) {
      throw new LabImageError(`docker build could not start: ${errorMessage(err)}`);
    }
    await followJson<BuildMessage>(stream, (msg) => {
      const err = msg.error ?? msg.errorDetail?.message;
      if (err) {
        failure = err;
        return;
      }
      const text = (msg.stream ?? [msg.status, msg.progress].filter(Boolean).join(' ')).trim();
      if (!text) return;
      for (const line of text.split('\n')) {
        tail.push(line);
        if (/^Step \d+\/\d+ :/.test(line)) {
          reporter.phase = `docker build: ${line.length > 100 ? line.slice(0, 97) + '...' : line}`;
          reporter.emit(reporter.phase);
        } else {
          reporter.maybe(`docker build: ${line.length > 100 ? line.slice(0, 97) + '...' : line}`);
        }
      }
    });
  } finally {
    reporter.stop();
  }
  if (failure) {
    const hint = /pull access denied|not found|dial tcp|lookup |no such host|timeout|i\/o timeout|connection refused/i.test(failure)
      ? '\nThe Dockerfile builder needs a registry for debian:bookworm-slim; without one, use --builder offline (root, with debootstrap installed).'
      : '';
    throw new LabImageError(`docker build of the lab image failed: ${failure}\nits last lines:\n${tail.text()}${hint}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Build lock: one build per definition hash at a time on this machine.

const LOCK_WAIT_MS = 20 * 60_000;
const LOCK_POLL_MS = 1000;

interface BuildLock {
  waited: boolean;
  release(): Promise<void>;
}

export function buildLockPath(hash: string): string {
  return join(tmpdir(), `toplab-image-${hash}.lock`);
}

async function acquireBuildLock(hash: string, out: (line: string) => void, timeoutMs = LOCK_WAIT_MS): Promise<BuildLock> {
  const path = buildLockPath(hash);
  const started = Date.now();
  let waited = false;
  let lastNote = 0;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return {
        waited,
        release: async () => {
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LabImageError(`cannot create the build lock ${path}: ${errorMessage(err)}`);
      }
    }
    // The lock exists: is its owner still alive?
    let owner = NaN;
    try {
      owner = Number((await readFile(path, 'utf8')).trim());
    } catch {
      continue; // removed meanwhile: try again
    }
    if (!Number.isNaN(owner) && owner > 0 && !pidAlive(owner)) {
      await unlink(path).catch(() => undefined);
      continue;
    }
    if (Number.isNaN(owner) || owner <= 0) {
      // Being written right now, or garbage: treat an old unreadable lock as stale.
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000) {
        await unlink(path).catch(() => undefined);
        continue;
      }
    }
    waited = true;
    const waitedMs = Date.now() - started;
    if (waitedMs > timeoutMs) {
      throw new LabImageError(
        `another toplab process (pid ${owner}) has been building the lab image for over ${Math.round(timeoutMs / 60_000)} min; ` +
          `if it is stuck, stop it or remove ${path}`,
      );
    }
    if (Date.now() - lastNote >= 5000) {
      lastNote = Date.now();
      out(`another toplab process (pid ${owner}) is building the lab image; waiting (${Math.round(waitedMs / 1000)} s)`);
    }
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
  }
}

// ---------------------------------------------------------------------------------------------
// Pruning

export interface RemoveOldLabImagesResult {
  removed: string[];
  kept: { ref: string; reason: string }[];
}

/**
 * Removes toplab-managed lab images other than the current tag: older toplab/lab tags, and
 * managed images left without any tag. Images still used by containers are kept and reported.
 */
export async function removeOldLabImages(docker: Docker): Promise<RemoveOldLabImagesResult> {
  const current = labImageTag();
  const result: RemoveOldLabImagesResult = { removed: [], kept: [] };
  const images = await docker.listImages({ filters: { label: [`${LABEL_MANAGED}=true`] } });
  for (const img of images) {
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const refs = tags.length === 0 ? [img.Id] : tags.filter((t) => t.startsWith(`${LAB_IMAGE_REPO}:`) && t !== current);
    for (const ref of refs) {
      try {
        await docker.getImage(ref).remove();
        result.removed.push(ref);
      } catch (err) {
        const reason = statusCode(err) === 409 ? 'in use by a container' : errorMessage(err);
        result.kept.push({ ref, reason });
      }
    }
  }
  return result;
}

