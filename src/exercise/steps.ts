/**
 * The step runner's side of the step kinds (src/exercise/step-kinds/): runStep calls a step's kind, and
 * stepServices implements the ports the kinds' `run` is written against: how each runs on the instance and what
 * it records in the observations (`start`'s wait is in start.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage, rethrowEngineError, StepError } from '../errors.js';
import { stepKind, type ResolvedStep, type StepOfKind, type StepServices } from './step-kinds/registry.js';
import { decodePcap } from '../observe/pcap.js';
import { retryUntil } from '../util/retry.js';
import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import { ensureObserver } from '../deploy/observer.js';
import { PROGRAM_USER } from '../deploy/node-layout.js';
import { startCapture, stopCapture, type CaptureHandle } from './capture.js';
import { parseTcpdumpCommand, TcpdumpCommandError, unknownFilterNames, type TcpdumpCommand } from './tcpdump-command.js';
import type { Observations, ProgramObservation } from './observations.js';
import {
  FILES_DIR,
  killProcess,
  launchAndWait,
  OBSERVER_RUN_DIR,
  processState,
  programLaunch,
  RUN_DIR,
  runToken,
  signalAndWait,
  waitForExit,
  waitForOutput,
  type LaunchSpec,
} from './programs.js';
import { scopeSockets } from './socket-scope.js';
import { describeWait, ms } from './step-text.js';
import { procSockets, said, socketMatches, startAndWait, startLaunch } from './start.js';
import { probe } from './probes.js';

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

/** A program a `start` step left running, and what it had done when a `stop` step ended it. */
export interface Background {
  spec: LaunchSpec;
  node: string;
  started: number;
  stopped?: ProgramObservation;
}

/** What the steps of one run share: the observations so far, the captures and programs still running. */
export interface StepContext {
  obs: Observations;
  captures: Map<string, CaptureHandle>;
  background: Map<string, Background>;
  opts: ExerciseOptions;
  filesDir: string;
  artifactsDir: string | undefined;
  /** Node → its TCP connections before the run (4-tuple → state): see socket-scope.ts. */
  baselines: Map<string, Map<string, string>>;
}

/** Runs one step: its kind's `run` (src/exercise/step-kinds/), given this run's implementation of the kinds' ports. */
export async function runStep(running: RunningLab, step: ResolvedStep, ctx: StepContext): Promise<void> {
  await stepKind(step).run(step, stepServices(running, ctx));
}

/** The step runner's side of the step kinds' ports (StepServices): what each kind's `run` may do on the instance. */
export function stepServices(running: RunningLab, ctx: StepContext): StepServices {
  const { programs } = running.lab;
  const { obs } = ctx;
  return {
    obs,
    async startProgram(step) {
      const unavailable = ctx.opts.unavailable?.[step.program];
      if (unavailable) throw new StepError(unavailable);
      const spec = startLaunch(running, step);
      const fresh = ctx.opts.fresh === true && !ctx.background.has(spec.name);
      ctx.background.set(spec.name, { spec, node: programs[step.program]?.node ?? '', started: Date.now() });
      await startAndWait(running, step, spec, fresh);
    },
    async runProgram(step) {
      const unavailable = ctx.opts.unavailable?.[step.program];
      if (unavailable) throw new StepError(unavailable);
      const spec = programLaunch(running, step.program, {
        name: step.name,
        ...(step.args ? { args: step.args } : {}),
        ...(step.env ? { env: step.env } : {}),
        ...(step.stdin !== undefined ? { stdin: step.stdin } : {}),
      });
      await runToCompletion(running, spec, programs[step.program]?.node ?? '', 'program', ms(step.timeoutS), obs);
    },
    runCommand: (step) => runCommandStep(running, step, ctx),
    async startCapture(step) {
      const { kind: _kind, index: _index, command, ...capture } = step;
      ctx.captures.set(
        step.name,
        await startCapture(running, {
          ...capture,
          ...(command !== undefined
            ? {
                command: studentCapture(
                  ctx.filesDir,
                  command,
                  running.plan.nodes.map((n) => n.name),
                ),
              }
            : {}),
        }),
      );
    },
    probe: (p) => probe(running, p),
    waitFor: (step) => waitStep(running, step, ctx),
    stop: (step) => stopStep(running, step, ctx),
  };
}

/** A `stop` step: ends a capture, or a background program (its signal, then SIGKILL after 2 s). */
async function stopStep(running: RunningLab, step: StepOfKind<'stop'>, ctx: StepContext): Promise<void> {
  const { obs } = ctx;
  const cap = ctx.captures.get(step.target);
  if (cap) {
    ctx.captures.delete(step.target);
    await finishCapture(running, cap, obs, ctx.artifactsDir);
    const err = obs.captures[cap.name]?.error;
    if (err) throw new StepError(err);
    return;
  }
  const b = ctx.background.get(step.target);
  if (!b) throw new StepError(`${step.target} is not running`);
  const ended = await stopBackground(running, step.target, b, step.signal, obs, false);
  if (!ended) throw new StepError(`${step.target} did not end after SIGKILL`);
}

/**
 * Ends a background program as a `stop` step does (`signal`, then SIGKILL after 2 s) and records what it did;
 * `timedOut`: stopped because a wait for it to end ran out. Returns whether it ended.
 */
async function stopBackground(
  running: RunningLab,
  name: string,
  b: Background,
  signal: 'TERM' | 'INT' | 'KILL',
  obs: Observations,
  timedOut: boolean,
): Promise<boolean> {
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
    timedOut,
    running: !ended,
    droppedBytes: st.droppedBytes,
    durationMs: Date.now() - b.started,
    ...(st.pid !== undefined ? { pid: st.pid } : {}),
    // Killed by us at a time limit: the signal's code is not the program's own (as for a `run` step).
    ...(st.exitCode !== undefined && !timedOut ? { exitCode: st.exitCode } : {}),
  };
  obs.programs[name] = b.stopped;
  return ended;
}

/** Launches a process, waits for it (bounded), kills it at the timeout, and records what it did. */
async function runToCompletion(
  running: RunningLab,
  spec: LaunchSpec,
  node: string,
  kind: 'program' | 'command',
  timeoutMs: number,
  obs: Observations,
  observer?: string,
): Promise<void> {
  const started = Date.now();
  const finished = await launchAndWait(running, spec, timeoutMs);
  // Stopped by us at its time limit: timed out, whatever the node measured (the wait in the node can end a
  // little before the program has run the whole limit, and the kill's 137 is not the program's exit code).
  let stopped = false;
  if (!finished) {
    const now = await processState(running, spec).catch((e: unknown) => {
      rethrowEngineError(e);
      return undefined;
    });
    // It may have ended on its own while the last wait was returning: then its own exit code stands.
    if (now?.exitCode === undefined) {
      stopped = true;
      await killProcess(running, spec, 'KILL', observer ?? (await ensureObserver(running, node)));
      await waitForExit(running, spec, 3000);
    }
  }
  const st = await processState(running, spec).catch((e: unknown) => {
    rethrowEngineError(e);
    return { stdout: '', stderr: '', droppedBytes: 0, error: errorMessage(e) } as const;
  });
  // The node measured how long it ran: a busy engine answering polls late does not make a program late.
  const ran = 'durationMs' in st ? st.durationMs : undefined;
  const timedOut = stopped || (ran !== undefined ? ran >= timeoutMs || !('exitCode' in st) : !finished);
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

export async function runCommandStep(running: RunningLab, c: StepOfKind<'command'>, ctx: StepContext): Promise<void> {
  const privileged = c.privileged;
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
    env: {
      HOME: privileged ? '/root' : '/home/student',
      TOPLAB_LAB: running.plan.lab,
      TOPLAB_INSTANCE: running.plan.instance,
      ...(c.env ?? {}),
    },
    ...(c.stdin !== undefined ? { stdin: c.stdin } : {}),
  };
  await runToCompletion(running, spec, c.node, 'command', ms(c.timeoutS), ctx.obs, privileged ? container : undefined);
}

async function waitStep(running: RunningLab, w: StepOfKind<'wait'>, ctx: StepContext): Promise<void> {
  const timeoutMs = ms(w.timeoutS);
  if (w.exit !== undefined || w.output !== undefined) {
    const name = (w.exit ?? w.output) as string;
    const b = ctx.background.get(name);
    if (!b) throw new StepError(`${name} is not running: it was not started, or its start failed`);
    if (w.exit !== undefined) {
      if (await waitForExit(running, b.spec, timeoutMs)) return;
      // It may have ended on its own while the wait was returning.
      const now = await processState(running, b.spec).catch((e: unknown) => {
        rethrowEngineError(e);
        return undefined;
      });
      if (now?.exitCode !== undefined) return;
      // The lab expected it to end, and it did not: it is stopped as a `stop` step would, not left running (and
      // spinning) past the run on an instance that stays up; its output so far is kept, marked timed out.
      const ended = await stopBackground(running, name, b, 'TERM', ctx.obs, true);
      throw new StepError(
        `${name} was still running after ${timeoutMs / 1000}s ${ended ? 'and was stopped' : 'and did not end after SIGKILL'}`,
      );
    }
    const re = new RegExp(w.matches ?? '', 'm');
    const r = await waitForOutput(running, b.spec, re, timeoutMs);
    if (r.outcome === 'matched') return;
    const what = `a line matching /${w.matches ?? ''}/`;
    // It ended: say so (and what it said), rather than that the time ran out.
    if (r.outcome === 'exited')
      throw new StepError(`${name} exited with code ${r.state.exitCode ?? '?'} without printing ${what}${said(r.state)}`);
    throw new StepError(
      `${name} printed nothing matching /${w.matches ?? ''}/ within ${timeoutMs / 1000}s (it was still running)${said(r.state)}`,
    );
  }
  const node = w.node ?? '';
  const container = containerOf(running, node);
  const baseline = ctx.baselines.get(node);
  const ok = await retryUntil(
    async () =>
      scopeSockets((await procSockets(running, container)).sockets, baseline, new Set()).sockets.some((s) => socketMatches(s, w))
        ? true
        : undefined,
    { timeoutMs, maxIntervalMs: 200 },
  );
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
    if (strangers.length > 0)
      throw new TcpdumpCommandError(
        `the filter names ${strangers.map((s) => `\`${s}\``).join(', ')}, which this lab does not know as a node or a filter word; tcpdump would ask a DNS server outside the lab. Use the lab's node names (${nodes.join(', ')}) or addresses.`,
      );
    return command;
  } catch (e) {
    if (e instanceof TcpdumpCommandError) throw new StepError(`${file}: ${e.message}`);
    throw e;
  }
}

export async function finishCapture(
  running: RunningLab,
  c: CaptureHandle,
  obs: Observations,
  artifactsDir: string | undefined,
): Promise<void> {
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
