import { readFileSync, writeFileSync } from 'node:fs';
import { claimRunFolder } from './artifacts.js';
import { join, resolve } from 'node:path';
import { errorMessage, InstanceGoneError, InterruptedError, rethrowEngineError, StepError, throwIfAborted } from '../errors.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import type { CaptureStep, CheckDef, CommandStep, ProbeKind, ProbeStep, StartStep, StepDef, WaitStep } from '../lab/model.js';
import { runName } from '../lab/exercise-semantics.js';
import { decodePcap } from '../observe/pcap.js';
import { parseIpAddr } from '../observe/interfaces.js';
import { parseLsof } from '../observe/lsof.js';
import { parsePing } from '../observe/ping.js';
import { parseIpRoute } from '../observe/routes.js';
import { parseSs } from '../observe/sockets.js';
import type { SocketEntry } from '../observe/types.js';
import { parseSocketTables, socketTablesScript, waitInNodeScript, type RunRef } from './readiness.js';
import { parseTraceroute } from '../observe/traceroute.js';
import { retryUntil } from '../util/retry.js';
import { abortableRuntime } from '../runtime/abortable.js';
import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import { PROGRAM_USER } from '../deploy/node-layout.js';
import { ensureObserver, observe } from '../deploy/observer.js';
import { startCapture, stopCapture, type CaptureHandle } from './capture.js';
import { parseTcpdumpCommand, TcpdumpCommandError, unknownFilterNames, type TcpdumpCommand } from './tcpdump-command.js';
import { shellQuote } from '../util/shell.js';
import { readSandbox, sandboxNotes, type SandboxState } from './sandbox.js';
import { endProbeName, type Observations, type ProbeObservation, type ProgramObservation, type StepRecord } from './observations.js';
import {
  FILES_DIR,
  killProcess,
  launchAndWait,
  launchThen,
  OBSERVER_RUN_DIR,
  processState,
  programLaunch,
  RUN_DIR,
  runDirOf,
  runToken,
  signalAndWait,
  waitForExit,
  waitForOutput,
  type LaunchSpec,
  type ProcessState,
} from './programs.js';
import { relevantLines } from './output-lines.js';
import { BASELINE_SCRIPT, openedInCaptures, parseBaseline, parseSocketsProbe, scopeSockets, SOCKETS_PROBE } from './socket-scope.js';

export interface ExerciseOptions {
  /**
   * Folder for pcaps and program outputs of this run; nothing is written when absent. Each run gets a folder
   * of its own: when this one exists already, the run writes to `<it>-2` (see claimRunFolder), and says where
   * in `Observations.artifactsDir`.
   */
  artifactsDir?: string;
  onStep?: (line: string) => void;
  /** Programs that could not be compiled: their steps fail with this message instead of running. */
  unavailable?: Record<string, string>;
  /** The folder the lab's files are read from (a submission laid over the lab); default the lab folder. */
  filesDir?: string;
  /** The instance was just created: no program has run in it yet, so none needs stopping before a start. */
  fresh?: boolean;
  /** Stops the run between steps and drops the running one: the run rejects with an InterruptedError. */
  signal?: AbortSignal;
}

/** The leading `start` steps: what `lab up` runs so the lab is ready to use. */
export function setupSteps(steps: StepDef[]): StartStep[] {
  const out: StartStep[] = [];
  for (const s of steps) {
    if (!('start' in s)) break;
    out.push(s);
  }
  return out;
}

export function describeStep(step: StepDef): string {
  if ('start' in step) {
    const r = step.ready;
    const conds = [r?.tcp !== undefined ? `tcp ${r.tcp} listening` : '', r?.udp !== undefined ? `udp ${r.udp} bound` : '', r?.unix ? `unix ${r.unix} listening` : '', r?.stdout ? `stdout /${r.stdout}/` : ''].filter(Boolean);
    return `start ${step.start}${step.name && step.name !== step.start ? ` as ${step.name}` : ''}${conds.length ? ` (ready: ${conds.join(', ')})` : ''}`;
  }
  if ('run' in step) return `run ${step.run}${step.name && step.name !== step.run ? ` as ${step.name}` : ''}`;
  if ('command' in step) return `command ${step.command.name} on ${step.command.node}${step.command.privileged ? ' (privileged)' : ''}`;
  if ('capture' in step) return `capture ${step.capture.name} on ${step.capture.node}${step.capture.command ? ` (the command in ${step.capture.command})` : step.capture.filter ? ` (${step.capture.filter})` : ''}`;
  if ('probe' in step) return `probe ${step.probe.name}: ${step.probe.kind ?? 'sockets'} on ${step.probe.node}${step.probe.target ? ` to ${step.probe.target}` : ''}`;
  if ('wait' in step) return `wait ${describeWait(step.wait)}`;
  return `stop ${step.stop}`;
}

function describeWait(w: WaitStep['wait']): string {
  if (w.exit !== undefined) return `for ${w.exit} to end`;
  if (w.output !== undefined) return `for ${w.output} to print /${w.matches ?? ''}/`;
  const what = w.tcp !== undefined ? `tcp ${w.tcp}` : w.udp !== undefined ? `udp ${w.udp}` : `unix ${w.unix ?? ''}`;
  return `for ${what} ${w.state ?? defaultState(w)} in ${w.node ?? '?'}`;
}

function defaultState(w: { udp?: number }): string {
  return w.udp !== undefined ? 'UNCONN' : 'LISTEN';
}

const seconds = (s: number | undefined, fallback: number): number => (s ?? fallback) * 1000;

/**
 * A node's socket tables from /proc (no tools or privileges needed) in one exec; with a run, also its exit code
 * once that run (not an earlier one of the same name) has ended.
 */
async function procSockets(running: RunningLab, container: string, run?: RunRef): Promise<{ sockets: SocketEntry[]; exited?: string }> {
  const r = await running.runtime.exec(container, ['sh', '-c', socketTablesScript(run)], { timeoutMs: 15_000 });
  if (r.timedOut || r.exitCode === null) return { sockets: [] };
  return parseSocketTables(r.stdout.toString());
}

function socketMatches(s: { proto: string; localPort?: number; path?: string; state: string; unixType?: string }, want: { tcp?: number; udp?: number; unix?: string; state?: string }): boolean {
  const state = (want.state ?? defaultState(want)).toUpperCase().replace(/-/g, '_').replace(/^ESTAB$/, 'ESTABLISHED');
  if (want.tcp !== undefined) return s.proto === 'tcp' && s.localPort === want.tcp && s.state === state;
  if (want.udp !== undefined) return s.proto === 'udp' && s.localPort === want.udp && (s.state === state || (state === 'UNCONN' && s.state === 'CLOSE'));
  if (want.unix !== undefined) return s.proto === 'unix' && s.path === want.unix && (s.state === state || (state === 'ESTABLISHED' && s.state === 'CONNECTED'));
  return false;
}

function startLaunch(running: RunningLab, step: StartStep): LaunchSpec {
  return programLaunch(running, step.start, { ...(step.name ? { name: step.name } : {}), ...(step.args ? { args: step.args } : {}), ...(step.env ? { env: step.env } : {}) });
}

/**
 * Starts a program and waits until it is ready; throws StepError naming what it waited for. `fresh`: the
 * node has never run this program (a new instance), so there is no earlier run to stop first.
 */
export async function startAndWait(running: RunningLab, step: StartStep, spec = startLaunch(running, step), fresh = false): Promise<void> {
  const node = running.lab.def.programs[step.start]?.node ?? '';
  // The wrapper ends an earlier run of the same name (and waits until it is gone) before it starts this one.
  if (fresh) spec.fresh = true;
  const ready = step.ready ?? {};
  // Readiness returns as soon as it holds; the default leaves room for Node to start on a loaded machine.
  const timeoutMs = seconds(ready.timeout, 20);
  const deadline = Date.now() + timeoutMs;
  const run: RunRef = { dir: runDirOf(spec) };
  const want = { ...(ready.tcp !== undefined ? { tcp: ready.tcp } : {}), ...(ready.udp !== undefined ? { udp: ready.udp } : {}), ...(ready.unix !== undefined ? { unix: ready.unix } : {}) };
  const stdoutRe = ready.stdout !== undefined ? new RegExp(ready.stdout, 'm') : undefined;
  // Each wait in the node lasts at most this long (seconds, up to 5, never past the deadline), so a stuck engine
  // or node is noticed between them.
  const slice = (): number => Math.max(0.05, Math.min(5, (deadline - Date.now()) / 1000));
  const verdict = async (tables: string): Promise<string | undefined> => {
    const { sockets, exited } = parseSocketTables(tables);
    const conds: boolean[] = [];
    if (ready.tcp !== undefined) conds.push(sockets.some((s) => socketMatches(s, { tcp: ready.tcp })));
    if (ready.udp !== undefined) conds.push(sockets.some((s) => socketMatches(s, { udp: ready.udp })));
    if (ready.unix !== undefined) conds.push(sockets.some((s) => socketMatches(s, { unix: ready.unix })));
    if (stdoutRe) conds.push(stdoutRe.test((await processState(running, spec, 64 * 1024)).stdout));
    if (conds.every(Boolean)) return 'ready';
    if (exited !== undefined) return `exited:${exited}`;
    return undefined;
  };
  let result = await verdict(await launchThen(running, spec, waitInNodeScript(want, run, slice()), (slice() + 10) * 1000));
  while (result === undefined && Date.now() < deadline) {
    // Output is awaited from here; sockets (and the end of the run) inside the node.
    if (stdoutRe) await new Promise((r) => setTimeout(r, 100));
    const r = await running.runtime.exec(spec.container, ['sh', '-c', waitInNodeScript(want, run, slice())], { timeoutMs: (slice() + 10) * 1000 });
    result = await verdict(r.stdout.toString());
  }
  // One last look: on a loaded host the program may have become ready while the last wait was returning.
  if (result === undefined) {
    const r = await running.runtime.exec(spec.container, ['sh', '-c', socketTablesScript(run)], { timeoutMs: 15_000 }).catch(() => undefined);
    if (r) result = await verdict(r.stdout.toString());
  }
  if (result === 'ready') return;
  const st = await processState(running, spec, 64 * 1024).catch(() => undefined);
  const tail = st ? said(st) : '';
  const wanted = [
    ready.tcp !== undefined ? `a TCP socket listening on port ${ready.tcp}` : '',
    ready.udp !== undefined ? `a UDP socket bound to port ${ready.udp}` : '',
    ready.unix !== undefined ? `a unix socket listening on ${ready.unix}` : '',
    stdoutRe ? `a line of output matching /${ready.stdout}/` : '',
  ].filter(Boolean);
  if (result?.startsWith('exited:')) {
    throw new StepError(`${spec.name} exited with code ${result.slice(7)} before it was ready${wanted.length ? ` (${wanted.join(', ')} in node ${node})` : ''}` + tail);
  }
  throw new StepError(`${spec.name} was not ready after ${timeoutMs / 1000}s: there was still no ${wanted.map((w) => w.replace(/^an? /, '')).join(' and ') || 'start'} in node ${node}` + tail);
}

/** `; it printed:` and the lines of its output that say what went wrong (stderr first), or nothing. */
function said(st: Pick<ProcessState, 'stdout' | 'stderr'>): string {
  const lines = relevantLines(st.stderr.trim() ? st.stderr : st.stdout, 6);
  return lines.length > 0 ? `; it printed:\n${lines.map((l) => '    ' + l).join('\n')}` : '';
}

interface Background {
  spec: LaunchSpec;
  node: string;
  started: number;
  stopped?: ProgramObservation;
}

/**
 * Runs the exercise on a deployed instance: steps in order, each bounded in time. A failed step is recorded
 * and the run goes on, so the checks that depend on it fail with its reason. Captures still running stop when
 * the steps are done and the captured node's connections have settled.
 */
export async function runExercise(running: RunningLab, opts: ExerciseOptions = {}): Promise<Observations> {
  const observersStarting: Promise<unknown>[] = [];
  // The signal also drops the exec under way (a wait may last seconds), whatever runtime the caller deployed with.
  const guarded = opts.signal !== undefined ? { ...running, runtime: abortableRuntime(running.runtime, opts.signal) } : running;
  try {
    return await exercise(guarded, opts, observersStarting);
  } catch (e) {
    // A run that ends early (interrupted, instance gone) returns only once no observer is still being created:
    // one made after the instance's removal would be left behind.
    await Promise.all(observersStarting);
    throw e;
  }
}

async function exercise(running: RunningLab, opts: ExerciseOptions, observersStarting: Promise<unknown>[]): Promise<Observations> {
  const def = running.lab.def;
  const obs = initialObservations(running);
  const filesDir = opts.filesDir ?? running.lab.dir;
  const artifactsDir = opts.artifactsDir !== undefined ? claimRunFolder(opts.artifactsDir) : undefined;
  if (artifactsDir !== undefined) obs.artifactsDir = artifactsDir;
  for (const f of def.submission?.files ?? []) {
    try {
      obs.files[f] = readFileSync(resolve(filesDir, f), 'utf8').slice(0, 64 * 1024);
    } catch {
      obs.files[f] = undefined;
    }
  }
  const captures = new Map<string, CaptureHandle>();
  const background = new Map<string, Background>();
  // A lab that was up before: what its limits had already counted is not this run's.
  const sandboxBefore = opts.fresh === true ? new Map<string, SandboxState | undefined>() : new Map(await Promise.all([...running.containers].map(async ([node, id]) => [node, await readSandbox(running, id)] as const)));
  // Observers take as long to start as a node (~1 s here): start those the run will need now, alongside the
  // first steps, instead of when a capture or probe step gets to them. A failure shows again at that step.
  for (const node of observerNodes(def.exercise, def.checks)) observersStarting.push(ensureObserver(running, node).catch(() => undefined));
  // What the socket tables hold before the run: what is still there at a probe was left by an earlier run.
  // A new instance has had no earlier run.
  const baselines = new Map<string, Map<string, string>>();
  await Promise.all(
    (opts.fresh === true ? [] : socketProbeNodes(def.exercise, def.checks)).map(async (node) => {
      const r = await running.runtime.exec(containerOf(running, node), ['sh', '-c', BASELINE_SCRIPT], { timeoutMs: 15_000 }).catch(() => undefined);
      if (r && !r.timedOut && r.exitCode === 0) baselines.set(node, parseBaseline(r.stdout.toString('utf8')));
    }),
  );
  for (const [index, step] of def.exercise.entries()) {
    throwIfAborted(opts.signal);
    const started = Date.now();
    const description = describeStep(step);
    opts.onStep?.(description);
    const record = (status: StepRecord['status'], message?: string): void => {
      obs.steps.push({ index, description, status, durationMs: Date.now() - started, ...(message ? { message } : {}) });
    };
    try {
      await runStep(running, step, { obs, captures, background, opts, filesDir, artifactsDir, baselines });
      record('ok');
    } catch (e) {
      // An interruption, an instance that went away, or an engine that failed ends the run at once: what it saw
      // is not the student's doing.
      if (e instanceof InterruptedError) throw e;
      throwIfAborted(opts.signal);
      // Says which nodes went and the likely causes, rather than the engine's words about one container.
      await assertIntact(running);
      rethrowEngineError(e);
      // Anything else a step runs into is the step's failure.
      const message = e instanceof StepError ? e.message : `could not complete: ${errorMessage(e)}`;
      record('failed', message);
      const name = runName(step);
      const program = 'start' in step ? step.start : 'run' in step ? step.run : undefined;
      if (name !== undefined && !obs.programs[name]) {
        const node = 'command' in step ? step.command.node : (def.programs[program ?? '']?.node ?? '');
        obs.programs[name] = { node, kind: 'command' in step ? 'command' : 'program', stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, error: message };
      }
      if ('capture' in step) obs.captures[step.capture.name] = { node: step.capture.node, packets: [], error: message };
      if ('probe' in step) obs.probes[step.probe.name] = { node: step.probe.node, kind: step.probe.kind ?? 'sockets', raw: '', error: message };
    }
  }
  throwIfAborted(opts.signal);
  // End-of-exercise probes for checks that name none.
  await Promise.all(endProbes(def.checks).map(async ([kind, node]) => (obs.probes[endProbeName(node, kind)] = await probe(running, { name: endProbeName(node, kind), node, kind }))));
  const nodesCaptured = new Set([...captures.values()].map((c) => c.node));
  await Promise.all([...nodesCaptured].map((node) => settle(running, node).catch(() => undefined)));
  // Once the connections have settled: the captures, and (at the same time, from the nodes rather than the
  // observers) what the background programs printed. They keep running; lab grade removes the instance.
  const capturesDone = Promise.all([...captures.values()].map((c) => finishCapture(running, c, obs, artifactsDir)));
  await Promise.all([
    capturesDone,
    ...[...background].map(async ([name, b]) => {
      if (b.stopped) return;
      const st = await processState(running, b.spec).catch(unlessEngine);
      obs.programs[name] = {
        node: b.node,
        kind: 'program',
        stdout: st?.stdout ?? '',
        stderr: st?.stderr ?? '',
        timedOut: false,
        running: st?.exitCode === undefined,
        droppedBytes: st?.droppedBytes ?? 0,
        ...(st?.pid !== undefined ? { pid: st.pid } : {}),
        ...(st?.exitCode !== undefined ? { exitCode: st.exitCode } : {}),
      };
    }),
  ]);
  // Whatever the steps saw is only about the student's code if the instance lived through all of them.
  throwIfAborted(opts.signal);
  await assertIntact(running);
  const notes = await Promise.all(
    [...running.containers].map(async ([node, id]) => {
      const now = await readSandbox(running, id);
      return now ? sandboxNotes(node, now, sandboxBefore.get(node)) : [];
    }),
  );
  if (notes.flat().length > 0) obs.sandbox = notes.flat();
  const opened = openedInCaptures(Object.values(obs.captures).map((c) => c.packets));
  for (const p of Object.values(obs.probes)) {
    if (p.kind !== 'sockets' || !p.sockets) continue;
    const scoped = scopeSockets(p.sockets, baselines.get(p.node), opened);
    p.sockets = scoped.sockets;
    if (scoped.earlier.length > 0) p.earlier = scoped.earlier;
  }
  if (artifactsDir) {
    for (const [name, p] of Object.entries(obs.programs)) {
      writeFileSync(join(artifactsDir, `${name}.stdout`), p.stdout);
      writeFileSync(join(artifactsDir, `${name}.stderr`), p.stderr);
    }
  }
  return obs;
}

/**
 * Throws an InstanceGoneError when a node's container is gone or no longer running: another command removed
 * the instance, the engine restarted, or the lease ran out. Errors a step swallowed (an exec that found no
 * container) are then not taken for the student's failure.
 */
export async function assertIntact(running: RunningLab): Promise<void> {
  const { lab, instance } = running.plan;
  const list = await running.runtime.listContainers([...labelFilter(lab, instance), `${LABEL.role}=node`]);
  const missing: string[] = [];
  for (const [node, id] of running.containers) {
    const c = list.find((x) => x.id === id);
    if (c === undefined) missing.push(`node ${node}'s container was removed`);
    else if (c.running !== true) missing.push(`node ${node}'s container stopped`);
  }
  if (missing.length > 0) {
    throw new InstanceGoneError(
      `the instance ${lab}/${instance} went away during the exercise (${missing.join('; ')}): another command may have removed it (lab down), the engine restarted, or its lease ran out; not graded`,
    );
  }
}

function initialObservations(running: RunningLab): Observations {
  const networks: Observations['networks'] = {};
  const addresses: Observations['addresses'] = {};
  const declared: Observations['declared'] = {};
  for (const n of running.plan.nodes) {
    networks[n.name] = Object.fromEntries(n.interfaces.map((i) => [i.network, i.address]));
    // Every address of the node: IPv4, and IPv6 on dual-stack networks (checks match packets of either).
    addresses[n.name] = n.interfaces.flatMap((i) => (i.address6 !== undefined ? [i.address, i.address6] : [i.address]));
    for (const i of n.interfaces) {
      declared[i.declared] = i.address;
      if (i.declared6 !== undefined && i.address6 !== undefined) declared[i.declared6] = i.address6;
    }
  }
  return { addresses, networks, declared, programs: {}, captures: {}, probes: {}, files: {}, steps: [] };
}

/** The nodes whose observer a run will use: captures, privileged commands, probes and end-of-run probes. */
export function observerNodes(steps: StepDef[], checks: CheckDef[]): string[] {
  const nodes = new Set<string>();
  for (const step of steps) {
    if ('capture' in step) nodes.add(step.capture.node);
    else if ('probe' in step) nodes.add(step.probe.node);
    else if ('command' in step && step.command.privileged === true) nodes.add(step.command.node);
  }
  for (const [, node] of endProbes(checks)) nodes.add(node);
  return [...nodes];
}

/** The nodes whose socket table a probe step, an end-of-run probe or a wait for a connection reads. */
function socketProbeNodes(steps: StepDef[], checks: CheckDef[]): string[] {
  const nodes = new Set<string>();
  for (const step of steps) {
    if ('probe' in step && (step.probe.kind ?? 'sockets') === 'sockets') nodes.add(step.probe.node);
    // A wait for a connection's state (not a listener) could otherwise be met by an earlier run's connection.
    if ('wait' in step && step.wait.tcp !== undefined && step.wait.node !== undefined && (step.wait.state ?? 'LISTEN').toUpperCase() !== 'LISTEN') nodes.add(step.wait.node);
  }
  for (const [kind, node] of endProbes(checks)) if (kind === 'sockets') nodes.add(node);
  return [...nodes];
}

/** [kind, node] of the probes checks read when they name none. */
function endProbes(checks: CheckDef[]): [ProbeKind, string][] {
  const out = new Map<string, [ProbeKind, string]>();
  const add = (kind: ProbeKind, node: string): void => void out.set(`${kind}/${node}`, [kind, node]);
  for (const c of checks) {
    if ('socket' in c && c.socket.probe === undefined) add('sockets', c.socket.node);
    if ('interface' in c && c.interface.probe === undefined) add('interfaces', c.interface.node);
    if ('answer' in c) {
      const e = c.answer.expect;
      if ('pid' in e && e.pid.probe === undefined) add('sockets', e.pid.node);
      if ('command' in e && e.command.probe === undefined) add('sockets', e.command.node);
      if ('mtu' in e && e.mtu.probe === undefined) add('interfaces', e.mtu.node);
    }
  }
  return [...out.values()];
}

interface StepContext {
  obs: Observations;
  captures: Map<string, CaptureHandle>;
  background: Map<string, Background>;
  opts: ExerciseOptions;
  filesDir: string;
  artifactsDir: string | undefined;
  /** Node → its TCP connections before the run (4-tuple → state): see socket-scope.ts. */
  baselines: Map<string, Map<string, string>>;
}

async function runStep(running: RunningLab, step: StepDef, ctx: StepContext): Promise<void> {
  const def = running.lab.def;
  const { obs } = ctx;
  if ('start' in step) {
    const unavailable = ctx.opts.unavailable?.[step.start];
    if (unavailable) throw new StepError(unavailable);
    const spec = startLaunch(running, step);
    const fresh = ctx.opts.fresh === true && !ctx.background.has(spec.name);
    ctx.background.set(spec.name, { spec, node: def.programs[step.start]?.node ?? '', started: Date.now() });
    await startAndWait(running, step, spec, fresh);
  } else if ('run' in step) {
    const unavailable = ctx.opts.unavailable?.[step.run];
    if (unavailable) throw new StepError(unavailable);
    const spec = programLaunch(running, step.run, {
      ...(step.name ? { name: step.name } : {}),
      ...(step.args ? { args: step.args } : {}),
      ...(step.env ? { env: step.env } : {}),
      ...(step.stdin !== undefined ? { stdin: step.stdin } : {}),
    });
    await runToCompletion(running, spec, def.programs[step.run]?.node ?? '', 'program', seconds(step.timeout, 10), obs);
  } else if ('command' in step) {
    await runCommandStep(running, step, ctx);
  } else if ('capture' in step) {
    const { command, ...capture } = step.capture;
    ctx.captures.set(step.capture.name, await startCapture(running, { ...capture, ...(command !== undefined ? { command: studentCapture(ctx.filesDir, command, running.plan.nodes.map((n) => n.name)) } : {}) }));
  } else if ('probe' in step) {
    const p = await probe(running, step.probe);
    obs.probes[step.probe.name] = p;
    if (p.error) throw new StepError(p.error);
  } else if ('wait' in step) {
    await waitStep(running, step.wait, ctx);
  } else if ('stop' in step) {
    const cap = ctx.captures.get(step.stop);
    if (cap) {
      ctx.captures.delete(step.stop);
      await finishCapture(running, cap, obs, ctx.artifactsDir);
      const err = obs.captures[cap.name]?.error;
      if (err) throw new StepError(err);
      return;
    }
    const b = ctx.background.get(step.stop);
    if (!b) throw new StepError(`${step.stop} is not running`);
    const signal = step.signal ?? 'TERM';
    let ended = await signalAndWait(running, b.spec, signal, 2000);
    if (!ended && signal !== 'KILL') {
      await killProcess(running, b.spec, 'KILL', await ensureObserver(running, b.node));
      ended = await waitForExit(running, b.spec, 2000);
    }
    const st = await processState(running, b.spec);
    b.stopped = {
      node: b.node,
      kind: 'program',
      stdout: st.stdout,
      stderr: st.stderr,
      timedOut: false,
      running: !ended,
      droppedBytes: st.droppedBytes,
      durationMs: Date.now() - b.started,
      ...(st.pid !== undefined ? { pid: st.pid } : {}),
      ...(st.exitCode !== undefined ? { exitCode: st.exitCode } : {}),
    };
    obs.programs[step.stop] = b.stopped;
    if (!ended) throw new StepError(`${step.stop} did not end after SIGKILL`);
  }
}

/** Launches a process, waits for it (bounded), kills it at the timeout, and records what it did. */
async function runToCompletion(running: RunningLab, spec: LaunchSpec, node: string, kind: 'program' | 'command', timeoutMs: number, obs: Observations, observer?: string): Promise<void> {
  const started = Date.now();
  const finished = await launchAndWait(running, spec, timeoutMs);
  if (!finished) {
    await killProcess(running, spec, 'KILL', observer ?? (await ensureObserver(running, node)));
    await waitForExit(running, spec, 3000);
  }
  const st = await processState(running, spec).catch((e: unknown) => {
    rethrowEngineError(e);
    return { stdout: '', stderr: '', droppedBytes: 0, error: errorMessage(e) } as const;
  });
  // The node measured how long it ran: a busy engine answering polls late does not make a program late.
  const ran = 'durationMs' in st ? st.durationMs : undefined;
  const timedOut = ran !== undefined ? ran >= timeoutMs || !('exitCode' in st) : !finished;
  obs.programs[spec.name] = {
    node,
    kind,
    stdout: st.stdout,
    stderr: st.stderr,
    timedOut,
    running: false,
    droppedBytes: st.droppedBytes,
    durationMs: ran ?? Date.now() - started,
    ...('pid' in st && st.pid !== undefined ? { pid: st.pid } : {}),
    ...('exitCode' in st && st.exitCode !== undefined && !timedOut ? { exitCode: st.exitCode } : {}),
  };
  if (timedOut) throw new StepError(`${spec.name} did not finish within ${timeoutMs / 1000}s and was stopped`);
}

async function runCommandStep(running: RunningLab, step: CommandStep, ctx: StepContext): Promise<void> {
  const c = step.command;
  const privileged = c.privileged === true;
  const container = privileged ? await ensureObserver(running, c.node) : containerOf(running, c.node);
  let argv: string[];
  if (c.file !== undefined) {
    let content: Buffer;
    try {
      content = readFileSync(resolve(ctx.filesDir, c.file));
    } catch {
      throw new StepError(`the command file ${c.file} is missing from the submission`);
    }
    const base = privileged ? '/tmp/toplab-files' : FILES_DIR;
    await running.runtime.copyFiles(container, '/', [
      ...(privileged ? [{ path: 'tmp/toplab-files/' }] : [{ path: 'opt/toplab/' }, { path: 'opt/toplab/files/' }]),
      { path: `${base.slice(1)}/${c.file}`, content: content.subarray(0, 256 * 1024), mode: 0o755 },
    ]);
    argv = ['sh', `${base}/${c.file}`];
  } else {
    argv = ['sh', '-c', c.run ?? 'true'];
  }
  const spec: LaunchSpec = {
    name: c.name,
    container,
    runDir: privileged ? OBSERVER_RUN_DIR : RUN_DIR,
    argv,
    ...(privileged ? {} : { user: PROGRAM_USER }),
    token: runToken(),
    env: { HOME: privileged ? '/root' : '/home/student', TOPLAB_LAB: running.plan.lab, TOPLAB_INSTANCE: running.plan.instance, ...(c.env ?? {}) },
    ...(c.stdin !== undefined ? { stdin: c.stdin } : {}),
  };
  await runToCompletion(running, spec, c.node, 'command', seconds(c.timeout, 10), ctx.obs, privileged ? container : undefined);
}

async function waitStep(running: RunningLab, w: WaitStep['wait'], ctx: StepContext): Promise<void> {
  const timeoutMs = seconds(w.timeout, 10);
  if (w.exit !== undefined || w.output !== undefined) {
    const name = (w.exit ?? w.output) as string;
    const b = ctx.background.get(name);
    if (!b) throw new StepError(`${name} is not running: it was not started, or its start failed`);
    if (w.exit !== undefined) {
      if (!(await waitForExit(running, b.spec, timeoutMs))) throw new StepError(`${name} was still running after ${timeoutMs / 1000}s`);
      return;
    }
    const re = new RegExp(w.matches ?? '', 'm');
    const r = await waitForOutput(running, b.spec, re, timeoutMs);
    if (r.outcome === 'matched') return;
    const what = `a line matching /${w.matches ?? ''}/`;
    // It ended: say so (and what it said), rather than that the time ran out.
    if (r.outcome === 'exited') throw new StepError(`${name} exited with code ${r.state.exitCode ?? '?'} without printing ${what}${said(r.state)}`);
    throw new StepError(`${name} printed nothing matching /${w.matches ?? ''}/ within ${timeoutMs / 1000}s (it was still running)${said(r.state)}`);
  }
  const node = w.node ?? '';
  const container = containerOf(running, node);
  const baseline = ctx.baselines.get(node);
  const ok = await retryUntil(async () => (scopeSockets((await procSockets(running, container)).sockets, baseline, new Set()).sockets.some((s) => socketMatches(s, w)) ? true : undefined), { timeoutMs, maxIntervalMs: 200 });
  if (!ok) throw new StepError(`no ${describeWait(w).replace(/^for /, '')} after ${timeoutMs / 1000}s`);
}

/** A submitted tcpdump command line, checked; a StepError saying what to change when it may not run. */
function studentCapture(filesDir: string, file: string, nodes: string[]): TcpdumpCommand {
  let text: string;
  try {
    text = readFileSync(resolve(filesDir, file), 'utf8').slice(0, 4096);
  } catch {
    throw new StepError(`the command file ${file} is missing from the submission`);
  }
  try {
    const command = parseTcpdumpCommand(text);
    const strangers = unknownFilterNames(command.filter, nodes);
    if (strangers.length > 0) throw new TcpdumpCommandError(`the filter names ${strangers.map((s) => `\`${s}\``).join(', ')}, which this lab does not know as a node or a filter word; tcpdump would ask a DNS server outside the lab. Use the lab's node names (${nodes.join(', ')}) or addresses.`);
    return command;
  } catch (e) {
    if (e instanceof TcpdumpCommandError) throw new StepError(`${file}: ${e.message}`);
    throw e;
  }
}

async function finishCapture(running: RunningLab, c: CaptureHandle, obs: Observations, artifactsDir: string | undefined): Promise<void> {
  try {
    const { data, dropped } = await stopCapture(running, c);
    let file: string | undefined;
    if (artifactsDir) {
      file = join(artifactsDir, `${c.name}.pcap`);
      writeFileSync(file, data);
    }
    obs.captures[c.name] = { node: c.node, packets: decodePcap(data), ...(file ? { file } : {}), ...(dropped > 0 ? { dropped } : {}) };
  } catch (e) {
    rethrowEngineError(e);
    obs.captures[c.name] = { node: c.node, packets: [], error: errorMessage(e) };
  }
}

/** The address a probe aims at: the target node's address on the given network, or one it shares with the prober. */
function targetAddress(running: RunningLab, p: ProbeStep['probe']): string {
  const target = running.plan.nodes.find((n) => n.name === p.target);
  const from = running.plan.nodes.find((n) => n.name === p.node);
  if (!target) throw new StepError(`unknown node ${p.target ?? ''}`);
  const shared = target.interfaces.find((i) => from?.interfaces.some((f) => f.network === i.network));
  const iface = p.network !== undefined ? target.interfaces.find((i) => i.network === p.network) : (shared ?? target.interfaces[0]);
  if (!iface) throw new StepError(`node ${p.target ?? ''} has no address${p.network ? ` on ${p.network}` : ''}`);
  return iface.address;
}

/** Takes one probe in a node's observer and parses it. A failure is kept in `error`; only the engine's own (an EngineError) is thrown. */
export async function probe(running: RunningLab, p: ProbeStep['probe']): Promise<ProbeObservation> {
  const kind = p.kind ?? 'sockets';
  const base: ProbeObservation = { node: p.node, kind, raw: '' };
  try {
    const timeoutMs = seconds(p.timeout, kind === 'traceroute' ? 30 : 10);
    let cmd: string;
    switch (kind) {
      case 'sockets':
        cmd = SOCKETS_PROBE;
        break;
      case 'interfaces':
        cmd = 'ip -d addr';
        break;
      case 'routes':
        cmd = 'ip route; ip -6 route';
        break;
      case 'lsof':
        cmd = `lsof -nP -i${p.port !== undefined ? ` :${p.port}` : ''}; true`;
        break;
      case 'ping':
        cmd = `ping ${p.family === 6 ? '-6 ' : ''}-c ${p.count ?? 3} -s ${p.size ?? 56} -i 0.2 -W 1 ${shellQuote(targetAddress(running, p))}; true`;
        break;
      case 'traceroute':
        // ICMP echo probes (the destination answers echo without the rate limit it puts on port-unreachable),
        // one hop at a time, two per hop: routers rate-limit time-exceeded too.
        cmd = `traceroute ${p.family === 6 ? '-6 ' : ''}-I -n -N 1 -q 2 -w 1 -m 16 ${shellQuote(targetAddress(running, p))}; true`;
        break;
    }
    const r = await observe(running, p.node, ['sh', '-c', cmd], timeoutMs);
    const raw = r.stdout + (r.stderr.trim() ? r.stderr : '');
    base.raw = raw;
    if (kind === 'sockets') base.sockets = parseSocketsProbe(r.stdout);
    else if (kind === 'interfaces') base.interfaces = parseIpAddr(r.stdout);
    else if (kind === 'routes') base.routes = parseIpRoute(r.stdout);
    else if (kind === 'lsof') base.lsof = parseLsof(r.stdout);
    else if (kind === 'ping') base.ping = parsePing(raw);
    else base.traceroute = parseTraceroute(r.stdout);
    return base;
  } catch (e) {
    rethrowEngineError(e);
    return { ...base, error: `${kind} probe on ${p.node} failed: ${errorMessage(e)}` };
  }
}

/** For a `.catch` that makes a failed read count as nothing read: the engine's own failure goes on up. */
function unlessEngine(e: unknown): undefined {
  rethrowEngineError(e);
  return undefined;
}

const TRANSIENT = new Set(['SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

/** Waits (briefly, bounded) until no TCP connection in the node is half-way through opening or closing. */
async function settle(running: RunningLab, node: string): Promise<void> {
  await retryUntil(
    async () => {
      const r = await observe(running, node, ['ss', '-tan']);
      return parseSs(r.stdout).some((s) => TRANSIENT.has(s.state)) ? undefined : true;
    },
    { timeoutMs: 3000 },
  );
}

export type { CaptureStep };
