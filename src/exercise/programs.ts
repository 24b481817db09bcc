import { randomBytes } from 'node:crypto';
import type { ProgramDef } from '../lab/model.js';
import type { CompiledProgram } from '../programs/compile.js';
import { PROGRAM_USER, programFile, programFiles } from '../deploy/node-layout.js';
import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import { errorMessage, rethrowEngineError, StepError } from '../errors.js';
import { retryUntil } from '../util/retry.js';
import { script as shScript } from '../sh/scripts.js';
import { pollLoop, shellQuote } from '../util/shell.js';
import { normalizeTyped } from '../util/typed-text.js';

/** Files of the lab folder that commands run (command files): copied here in the node. */
export const FILES_DIR = '/opt/toplab/files';
/** Per-run state inside a node: pid, stdout, stderr, exit. A tmpfs, capped in size. */
export const RUN_DIR = '/run/toplab';
/** The same in an observer (which has no tmpfs of its own). */
export const OBSERVER_RUN_DIR = '/tmp/toplab-run';
/** Bytes of each output stream kept; the rest is counted, not kept. */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Installs compiled programs into their nodes (replacing earlier versions). */
export async function installPrograms(running: RunningLab, programs: CompiledProgram[]): Promise<void> {
  const byNode = new Map<string, CompiledProgram[]>();
  for (const p of programs) {
    const def = running.lab.programs[p.name];
    if (!def) continue;
    byNode.set(def.node, [...(byNode.get(def.node) ?? []), p]);
  }
  await Promise.all([...byNode].map(([node, list]) => running.runtime.copyFiles(containerOf(running, node), '/opt', programFiles(list))));
}

export interface LaunchSpec {
  /** The name its observations are kept under (a directory under the run dir). */
  name: string;
  container: string;
  /** Run directory base: RUN_DIR in a node, OBSERVER_RUN_DIR in an observer. */
  runDir: string;
  argv: string[];
  /** Unset: root (observers). */
  user?: string;
  /** Names this run and its directory (see src/sh/run-wrapper.sh). From runToken(). */
  token: string;
  /** Nothing has run under this name in this node before (a new instance): no earlier run to end first. */
  fresh?: boolean;
  env: Record<string, string>;
  stdin?: string;
}

/** The directory of one run: its name's directory, then its token (hex, safe in a shell word). */
export function runDirOf(spec: Pick<LaunchSpec, 'runDir' | 'name' | 'token'>): string {
  return `${spec.runDir}/${spec.name}/${spec.token}`;
}

export function runToken(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Starts a process through the wrapper, in the background, and in the same exec runs `then` (a shell snippet, as the same user)
 * while it starts, returning what `then` printed: one exec where a start and a series of polls took several.
 * The process is cut off from the exec's streams, so the exec ends when `then` does; the process lives on.
 */
export async function launchThen(running: RunningLab, spec: LaunchSpec, then: string, timeoutMs: number): Promise<string> {
  // The wrapper reads its script from stdin (`sh -s`), not from an argument (`sh -c`): `ps` in the node then
  // shows `sh -s -- /run/toplab/server … node --enable-source-maps /opt/toplab/programs/server.mjs`, not the
  // wrapper's whole text. Every command in it that could read stdin has its own redirection.
  const script = `w="$1"; shift\nprintf '%s\\n' "$w" | sh -s -- "$@" >/dev/null 2>&1 &\n${then}`;
  let r;
  try {
    // The wrapper (src/sh/run-wrapper.sh) goes in as an argument: the node needs no file of toplab's.
    r = await running.runtime.exec(
      spec.container,
      [
        'sh',
        '-c',
        script,
        'toplab-launch',
        shScript('run-wrapper'),
        `${spec.runDir}/${spec.name}`,
        String(MAX_OUTPUT_BYTES),
        spec.token,
        spec.fresh === true ? '1' : '0',
        ...spec.argv,
      ],
      {
        ...(spec.user !== undefined ? { user: spec.user } : {}),
        env: { ...spec.env, ...(spec.stdin !== undefined ? { TOPLAB_STDIN: spec.stdin } : {}) },
        timeoutMs,
      },
    );
  } catch (e) {
    rethrowEngineError(e);
    throw new StepError(`could not start ${spec.name}: ${errorMessage(e)}`);
  }
  if (r.exitCode === null && !r.timedOut) throw new StepError(`could not start ${spec.name}: the engine ended the exec`);
  return r.stdout.toString('utf8');
}

export interface ProcessState {
  pid?: number;
  /** Present once the process has ended and its output is complete. */
  exitCode?: number;
  stdout: string;
  stderr: string;
  droppedBytes: number;
  /** How long the process ran, measured in the node (independent of how fast we could poll). */
  durationMs?: number;
}

const SEP = '@@toplab@@';

/** Reads what a launched process has done so far, in one exec. Before the run has begun: nothing yet. */
export async function processState(
  running: RunningLab,
  spec: Pick<LaunchSpec, 'container' | 'runDir' | 'name' | 'user' | 'token'>,
  maxBytes = MAX_OUTPUT_BYTES,
): Promise<ProcessState> {
  const d = runDirOf(spec);
  const parts = ['pid', 'exit', 'stdout.dropped', 'stderr.dropped', 'start', 'end'].map((f) => `cat ${d}/${f} 2>/dev/null; echo ${SEP}`);
  const script = `[ -d ${d} ] || exit 3; ${parts.join('; ')}; head -c ${maxBytes} ${d}/stdout 2>/dev/null; echo ${SEP}; head -c ${maxBytes} ${d}/stderr 2>/dev/null`;
  const r = await running.runtime.exec(spec.container, ['sh', '-c', script], { maxBytes: 2 * maxBytes + 4096, timeoutMs: 30_000 });
  if (r.timedOut || r.exitCode === null) throw new StepError(`could not read the state of ${spec.name}`);
  if (r.exitCode === 3) return { stdout: '', stderr: '', droppedBytes: 0 };
  const [pid = '', exit = '', dOut = '', dErr = '', start = '', end = '', stdout = '', stderr = ''] = r.stdout
    .toString('utf8')
    .split(`${SEP}\n`);
  const state: ProcessState = { stdout, stderr: stderr, droppedBytes: (Number(dOut.trim()) || 0) + (Number(dErr.trim()) || 0) };
  if (/^\d+$/.test(start.trim()) && /^\d+$/.test(end.trim()))
    state.durationMs = Number((BigInt(end.trim()) - BigInt(start.trim())) / 1_000_000n);
  if (/^\d+$/.test(pid.trim())) state.pid = Number(pid.trim());
  if (/^-?\d+$/.test(exit.trim())) state.exitCode = Number(exit.trim());
  return state;
}

/** Only a process the wrapper recorded and has not yet seen end: a stale pid may belong to someone else now. */
function killScript(spec: Pick<LaunchSpec, 'runDir' | 'name' | 'token'>, signal: string): string {
  const d = runDirOf(spec);
  return `p=$(cat ${d}/pid 2>/dev/null) && [ ! -e ${d}/exit ] && { kill -${signal} -$p 2>/dev/null; kill -${signal} $p 2>/dev/null; }; true`;
}

/**
 * Ends a launched process and everything in its session, by the pid it recorded. When the node itself cannot
 * run a command any more (a fork bomb filled its process table), its observer (same processes, its own
 * limits) kills every process of the student user instead.
 */
export async function killProcess(
  running: RunningLab,
  spec: Pick<LaunchSpec, 'container' | 'runDir' | 'name' | 'user' | 'token'>,
  signal: 'TERM' | 'INT' | 'KILL' = 'KILL',
  observer?: string,
): Promise<void> {
  const script = killScript(spec, signal);
  try {
    const r = await running.runtime.exec(spec.container, ['sh', '-c', script], {
      ...(spec.user !== undefined ? { user: spec.user } : {}),
      timeoutMs: 5000,
    });
    if (r.exitCode === 0) return;
  } catch {
    // fall through to the observer
  }
  if (observer) await killStudentProcesses(running, observer);
}

/**
 * Signals a launched process (as killProcess does, from the node) and waits in the same exec, at most
 * `timeoutMs`, for it to end; returns whether it did.
 */
export async function signalAndWait(
  running: RunningLab,
  spec: Pick<LaunchSpec, 'container' | 'runDir' | 'name' | 'user' | 'token'>,
  signal: 'TERM' | 'INT' | 'KILL',
  timeoutMs: number,
): Promise<boolean> {
  const seconds = timeoutMs / 1000;
  const r = await running.runtime
    .exec(spec.container, ['sh', '-c', `${killScript(spec, signal)}\n${waitForExitScript(spec, seconds)}`], {
      ...(spec.user !== undefined ? { user: spec.user } : {}),
      timeoutMs: timeoutMs + 15_000,
    })
    .catch(unlessEngine);
  return r?.stdout.toString().includes('@@exited') ?? false;
}

/** Kills every process of the student user in a node's PID namespace, from its observer; repeats while a fork bomb refills. */
export async function killStudentProcesses(running: RunningLab, observer: string): Promise<void> {
  await retryUntil(
    async () => {
      const r = await running.runtime.exec(
        observer,
        ['sh', '-c', 'pkill -KILL -U 1000; sleep 0.05; pgrep -U 1000 >/dev/null && echo left || echo none'],
        { timeoutMs: 5000 },
      );
      return r.stdout.toString().includes('none') ? true : undefined;
    },
    { timeoutMs: 5000 },
  );
}

/**
 * Shell that waits in the node, at most `seconds`, for this run to end (the exit file in its own directory), and
 * says `@@exited` or `@@running`. Counted rounds of 50 ms: it ends even where nothing can be started. `clock`:
 * also by the clock (see pollLoop), for a caller that looks again until its own deadline.
 */
export function waitForExitScript(spec: Pick<LaunchSpec, 'runDir' | 'name' | 'token'>, seconds: number, clock = false): string {
  return [...pollLoop(seconds, [`[ -e ${runDirOf(spec)}/exit ] && { echo @@exited; exit 0; }`], { clock }), 'echo @@running'].join('\n');
}

/**
 * Shell that waits in the node, at most `seconds`, until the run's stdout has a line matching `pattern` as an
 * extended regular expression (`@@matched`, then the output), has grown beyond `seenBytes` bytes (`@@grew <size>`),
 * the run has ended (`@@exited`), or the time is up (`@@waiting`).
 * grep's ERE is close to, not the same as, a JavaScript regular expression, and it reads the raw bytes where the
 * caller reads typed text (`outputMatches`): a match only ends the wait, the caller decides with the real one,
 * and so it does on each new output; a pattern grep cannot read ends it at once (`@@unreadable`).
 */
export function waitForOutputScript(
  spec: Pick<LaunchSpec, 'runDir' | 'name' | 'token'>,
  pattern: string,
  seconds: number,
  seenBytes?: number,
): string {
  const d = runDirOf(spec);
  const body = [
    `grep -qE -- ${shellQuote(pattern)} ${d}/stdout 2>/dev/null; r=$?`,
    `[ $r -eq 0 ] && { echo @@matched; head -c ${MAX_OUTPUT_BYTES} ${d}/stdout; exit 0; }`,
    `[ $r -eq 2 ] && [ -e ${d}/stdout ] && { echo @@unreadable; exit 0; }`,
    ...(seenBytes !== undefined
      ? [`n=$(wc -c 2>/dev/null < ${d}/stdout || echo 0); [ "$n" -gt ${Math.floor(seenBytes)} ] && { echo "@@grew $n"; exit 0; }`]
      : []),
    `[ -e ${d}/exit ] && { echo @@exited; exit 0; }`,
  ];
  return [...pollLoop(seconds, body, { clock: true }), 'echo @@waiting'].join('\n');
}

/**
 * Whether a program's output has a line matching `re`, read as written or as typed text (normalizeTyped): a
 * program that prints `address-bytes：…` with a full-width colon matches `^address-bytes\s*[:=]`, as the checks
 * that read its answers take it. Waits for output use this and nothing else.
 */
export function outputMatches(re: RegExp, text: string): boolean {
  return re.test(text) || re.test(normalizeTyped(text));
}

/** An exec that failed in the node (it cannot start a process) counts as no answer; the engine's own failure goes on up. */
function unlessEngine(e: unknown): undefined {
  rethrowEngineError(e);
  return undefined;
}

/** Up to 5 s at a time, so an engine or node that stops answering is noticed between waits. */
function waitSlice(deadline: number): number {
  return Math.max(0.05, Math.min(5, (deadline - Date.now()) / 1000));
}

/** Waits, bounded, until a launched process has ended; returns whether it did. The waiting happens in the node. */
export async function waitForExit(
  running: RunningLab,
  spec: Pick<LaunchSpec, 'container' | 'runDir' | 'name' | 'token'>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const slice = waitSlice(deadline);
    const r = await running.runtime
      .exec(spec.container, ['sh', '-c', waitForExitScript(spec, slice, true)], { timeoutMs: slice * 1000 + 15_000 })
      .catch(unlessEngine);
    if (r?.stdout.toString().includes('@@exited')) return true;
    if (Date.now() >= deadline) return false;
    // An exec that failed at once (a node that cannot start a process) is not retried in a tight loop.
    if (!r) await new Promise((res) => setTimeout(res, 200));
  }
}

/**
 * How a wait for output ended: the line came, the process ended without printing it (with what it had
 * printed and its exit code), or the time ran out.
 */
export type OutputWait = { outcome: 'matched' } | { outcome: 'exited'; state: ProcessState } | { outcome: 'timeout'; state: ProcessState };

/**
 * Waits, bounded, until a running process has printed a line matching `re` (see outputMatches), or has ended
 * without it. The node wakes this up on grep's match and on any new output, so output grep cannot match (typed
 * text, a pattern grep reads otherwise) is judged when it comes, not at the time limit.
 */
export async function waitForOutput(running: RunningLab, spec: LaunchSpec, re: RegExp, timeoutMs: number): Promise<OutputWait> {
  const deadline = Date.now() + timeoutMs;
  let inNode = true;
  let seen = 0;
  for (;;) {
    let said = '';
    if (inNode) {
      const slice = waitSlice(deadline);
      const r = await running.runtime
        .exec(spec.container, ['sh', '-c', waitForOutputScript(spec, re.source, slice, seen)], { timeoutMs: slice * 1000 + 15_000 })
        .catch(unlessEngine);
      said = r?.stdout.toString() ?? '';
      if (said.includes('@@unreadable')) inNode = false;
      // grep saw it: decide with the real expression on the output that came with it, without another exec.
      if (said.startsWith('@@matched\n')) {
        if (outputMatches(re, said.slice('@@matched\n'.length))) return { outcome: 'matched' };
        inNode = false; // grep and JavaScript read this pattern differently: poll from here
      }
      const grew = /^@@grew (\d+)/.exec(said);
      if (grew) seen = Number(grew[1]);
    } else {
      await new Promise((res) => setTimeout(res, 150));
    }
    const st = await processState(running, spec, 256 * 1024);
    if (outputMatches(re, st.stdout)) return { outcome: 'matched' };
    // It has ended without printing it: it never will.
    if (st.exitCode !== undefined) return { outcome: 'exited', state: st };
    if (Date.now() >= deadline) return { outcome: 'timeout', state: st };
    // New output that does not match yet: the next wait starts after it (a program that prints without end is
    // read at most every ~150 ms, like a poll).
    if (said.startsWith('@@grew')) await new Promise((res) => setTimeout(res, 150));
    else if (!said && inNode) await new Promise((res) => setTimeout(res, 200));
  }
}

/** Starts a process and waits (in the same exec, then in the node) until it has ended; returns whether it did. */
export async function launchAndWait(running: RunningLab, spec: LaunchSpec, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const slice = waitSlice(deadline);
  const out = await launchThen(running, spec, waitForExitScript(spec, slice, true), slice * 1000 + 15_000);
  if (out.includes('@@exited')) return true;
  return Date.now() < deadline ? waitForExit(running, spec, deadline - Date.now()) : false;
}

export function programEnv(running: RunningLab, def: ProgramDef, override?: Record<string, string>): Record<string, string> {
  return {
    HOME: '/home/student',
    NODE_NO_WARNINGS: '1',
    TOPLAB_LAB: running.plan.lab,
    TOPLAB_INSTANCE: running.plan.instance,
    ...(def.env ?? {}),
    ...(override ?? {}),
  };
}

/**
 * Node's options for a lab program: `--enable-source-maps` reads the compiled program's inline source map
 * (src/programs/compile.ts), so an uncaught error names the student's `server.ts:4:26`, not the `.mjs`.
 */
export const NODE_FLAGS = ['--enable-source-maps'];

/** How a lab program runs: as `student` in its node, with node. */
export function programLaunch(
  running: RunningLab,
  program: string,
  opts: { name?: string; args?: string[]; env?: Record<string, string>; stdin?: string } = {},
): LaunchSpec {
  const def = running.lab.programs[program];
  if (!def) throw new StepError(`unknown program ${program}`);
  return {
    name: opts.name ?? program,
    container: containerOf(running, def.node),
    runDir: RUN_DIR,
    argv: ['node', ...NODE_FLAGS, programFile(program), ...(opts.args ?? def.args ?? [])],
    user: PROGRAM_USER,
    token: runToken(),
    env: programEnv(running, def, opts.env),
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  };
}
