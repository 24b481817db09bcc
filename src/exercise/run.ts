/** One run of a lab's exercise on a deployed instance: the steps in order, then the end-of-run probes, captures and checks of the instance's health. */
import { readFileSync, writeFileSync } from 'node:fs';
import { claimRunFolder } from './artifacts.js';
import { join, resolve } from 'node:path';
import { errorMessage, InstanceGoneError, InterruptedError, rethrowEngineError, StepError, throwIfAborted } from '../errors.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import { abortableRuntime } from '../runtime/abortable.js';
import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import { ensureObserver } from '../deploy/observer.js';
import type { CaptureHandle } from './capture.js';
import { readSandbox, sandboxNotes, type SandboxState } from './sandbox.js';
import { endProbeName, type Observations, type StepRecord } from './observations.js';
import { stepKind, type ResolvedStep } from './step-kinds/registry.js';
import { processState } from './programs.js';
import { BASELINE_SCRIPT, openedInCaptures, parseBaseline, scopeSockets } from './socket-scope.js';
import { describeStep, type SetupStep } from './step-text.js';
import { endProbe, endProbes, observerNodes, probe, settle, socketProbeNodes } from './probes.js';
import { finishCapture, runStep, type Background, type ExerciseOptions } from './steps.js';
import { said } from './start.js';

export type { ExerciseOptions };

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
  const { programs, submissionFiles, steps, checks } = running.lab;
  const obs = initialObservations(running);
  const filesDir = opts.filesDir ?? running.lab.dir;
  const artifactsDir = opts.artifactsDir !== undefined ? claimRunFolder(opts.artifactsDir) : undefined;
  if (artifactsDir !== undefined) obs.artifactsDir = artifactsDir;
  for (const f of submissionFiles) {
    try {
      obs.files[f] = readFileSync(resolve(filesDir, f), 'utf8').slice(0, 64 * 1024);
    } catch {
      obs.files[f] = undefined;
    }
  }
  const captures = new Map<string, CaptureHandle>();
  const background = new Map<string, Background>();
  // A lab that was up before: what its limits had already counted is not this run's.
  const sandboxBefore =
    opts.fresh === true
      ? new Map<string, SandboxState | undefined>()
      : new Map(await Promise.all([...running.containers].map(async ([node, id]) => [node, await readSandbox(running, id)] as const)));
  // Observers take as long to start as a node (~1 s here): start those the run will need now, alongside the
  // first steps, instead of when a capture or probe step gets to them. A failure shows again at that step.
  for (const node of observerNodes(steps, checks)) observersStarting.push(ensureObserver(running, node).catch(() => undefined));
  // What the socket tables hold before the run: what is still there at a probe was left by an earlier run.
  // A new instance has had no earlier run.
  const baselines = new Map<string, Map<string, string>>();
  await Promise.all(
    (opts.fresh === true ? [] : socketProbeNodes(steps, checks)).map(async (node) => {
      const r = await running.runtime
        .exec(containerOf(running, node), ['sh', '-c', BASELINE_SCRIPT], { timeoutMs: 15_000 })
        .catch(() => undefined);
      if (r && !r.timedOut && r.exitCode === 0) baselines.set(node, parseBaseline(r.stdout.toString('utf8')));
    }),
  );
  const runOne = async (step: ResolvedStep): Promise<StepRecord> => {
    const { index } = step;
    const started = Date.now();
    const description = describeStep(step);
    opts.onStep?.(description);
    const record = (status: StepRecord['status'], message?: string): StepRecord => ({
      index,
      description,
      status,
      durationMs: Date.now() - started,
      ...(message ? { message } : {}),
    });
    try {
      await runStep(running, step, { obs, captures, background, opts, filesDir, artifactsDir, baselines });
      return record('ok');
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
      stepKind(step).recordFailure?.(step, message, { obs, nodeOf: (program) => programs[program]?.node ?? '' });
      return record('failed', message);
    }
  };
  // Consecutive steps that only read a table (probes: sockets, interfaces, routes, lsof, neighbours) are taken at the same
  // moment, each in its node's observer: one round trip to the engine instead of one per probe.
  for (const group of stepGroups(steps)) {
    throwIfAborted(opts.signal);
    obs.steps.push(...(await Promise.all(group.map(runOne))));
  }
  throwIfAborted(opts.signal);
  // End-of-exercise probes for checks that name none, taken as the steps end (as before), while the captured
  // nodes' connections settle: both only read, and neither waits for the other.
  const nodesCaptured = new Set([...captures.values()].map((c) => c.node));
  await Promise.all([
    ...endProbes(checks).map(
      async ([kind, node]) => (obs.probes[endProbeName(node, kind)] = await probe(running, endProbe(endProbeName(node, kind), node, kind))),
    ),
    ...[...nodesCaptured].map((node) => settle(running, node).catch(() => undefined)),
  ]);
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
  // Whether the instance lived through the run, and what its limits counted, read at the same time.
  const [, notes] = await Promise.all([
    assertIntact(running),
    Promise.all(
      [...running.containers].map(async ([node, id]) => {
        const now = await readSandbox(running, id).catch(() => undefined);
        return now ? sandboxNotes(node, now, sandboxBefore.get(node)) : [];
      }),
    ),
  ]);
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

/** For a `.catch` that makes a failed read count as nothing read: the engine's own failure goes on up. */
function unlessEngine(e: unknown): undefined {
  rethrowEngineError(e);
  return undefined;
}

/** The steps in order, consecutive table-reading probes grouped together; every other step alone. */
export function stepGroups(steps: readonly ResolvedStep[]): ResolvedStep[][] {
  const groups: ResolvedStep[][] = [];
  const reads = (s: ResolvedStep): boolean => stepKind(s).readsOnly?.(s) ?? false;
  for (const step of steps) {
    const last = groups.at(-1);
    const prev = last?.at(-1);
    if (last && prev && reads(prev) && reads(step)) last.push(step);
    else groups.push([step]);
  }
  return groups;
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

/**
 * Runs one of `lab up`'s setup steps (setupSteps: a start, or one of the lab's own commands) outside a graded
 * run, through its kind like any step; throws StepError when it fails, or when it ran to an end with an exit
 * code other than 0. `fresh`: the instance is new (no earlier run to stop); `unavailable`: programs that could
 * not be compiled, by name, with why.
 */
export async function runSetupStep(
  running: RunningLab,
  step: SetupStep,
  opts: { fresh?: boolean; unavailable?: Record<string, string> } = {},
): Promise<void> {
  const obs = initialObservations(running);
  await runStep(running, step, {
    obs,
    captures: new Map(),
    background: new Map(),
    opts,
    filesDir: running.lab.dir,
    artifactsDir: undefined,
    baselines: new Map(),
  });
  const r = obs.programs[step.name];
  if (r && r.exitCode !== 0) throw new StepError(`${step.name} exited with code ${r.exitCode ?? '?'}${said(r)}`);
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
