import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, StepError } from '../errors.js';
import type { StepDef } from '../lab/model.js';
import { decodePcap } from '../observe/pcap.js';
import { parseProcNet, parseSs } from '../observe/sockets.js';
import { retryUntil } from '../util/retry.js';
import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import { observe, startCapture, stopCapture, type CaptureHandle } from './observer.js';
import { endProbeName, type Observations, type ProgramObservation, type StepRecord } from './observations.js';
import { programState, runProgram, startProgram, stopProgram, RUN_DIR } from './programs.js';

export interface ExerciseOptions {
  /** Folder for pcaps and program outputs of this run; nothing is written when absent. */
  artifactsDir?: string;
  onStep?: (line: string) => void;
  /** Programs that could not be compiled: their steps fail with this message instead of running. */
  unavailable?: Record<string, string>;
}

/** The leading `start` steps: what `lab up` runs so the lab is ready to use. */
export function setupSteps(steps: StepDef[]): StepDef[] {
  const out: StepDef[] = [];
  for (const s of steps) {
    if (!('start' in s)) break;
    out.push(s);
  }
  return out;
}

export function describeStep(step: StepDef): string {
  if ('start' in step) return `start ${step.start}` + (step.ready?.tcp ? ` (ready: tcp ${step.ready.tcp} listening)` : step.ready?.udp ? ` (ready: udp ${step.ready.udp} bound)` : '');
  if ('run' in step) return `run ${step.run}`;
  if ('capture' in step) return `capture ${step.capture.name} on ${step.capture.node}${step.capture.filter ? ` (${step.capture.filter})` : ''}`;
  return `probe ${step.probe.name} on ${step.probe.node}`;
}

/** Starts a program and waits until it is ready; throws StepError naming what it waited for. */
export async function startAndWait(running: RunningLab, step: Extract<StepDef, { start: string }>): Promise<void> {
  const name = step.start;
  const def = running.lab.def.programs[name];
  if (!def) throw new StepError(`unknown program ${name}`);
  await stopProgram(running, name);
  await startProgram(running, name);
  const port = step.ready?.tcp ?? step.ready?.udp;
  const proto = step.ready?.tcp !== undefined ? 'tcp' : 'udp';
  const timeoutMs = (step.ready?.timeout ?? 10) * 1000;
  const container = containerOf(running, def.node);
  const dir = `${RUN_DIR}/${name}`;
  const result = await retryUntil(
    async () => {
      // One exec reads the socket tables (no tools or privileges needed) and whether the program has ended.
      const r = await running.runtime.exec(container, ['sh', '-c', `cat /proc/net/${proto}; echo @@; cat /proc/net/${proto}6; echo @@; cat ${dir}/exit 2>/dev/null`]);
      const [v4 = '', v6 = '', exit = ''] = r.stdout.toString().split('@@\n');
      if (port !== undefined) {
        const entries = [...parseProcNet(v4, proto, 4), ...parseProcNet(v6, proto, 6)];
        const want = proto === 'tcp' ? 'LISTEN' : 'UNCONN';
        if (entries.some((e) => e.localPort === port && e.state === want)) return 'ready';
      } else if (r.exitCode === 0) {
        return 'ready';
      }
      if (exit.trim() !== '') return `exited:${exit.trim()}`;
      return undefined;
    },
    { timeoutMs },
  );
  if (result === 'ready') return;
  const st = await programState(running, name, 4096);
  const tail = lastLines(st.stderr || st.stdout, 8);
  const what = port === undefined ? 'to start' : `a ${proto.toUpperCase()} socket ${proto === 'tcp' ? 'listening' : 'bound'} on port ${port} in node ${def.node}`;
  if (result?.startsWith('exited:')) {
    throw new StepError(`${name} exited with code ${result.slice(7)} before ${port === undefined ? 'it was ready' : `listening on ${proto} port ${port}`}` + (tail ? `; its output ends:\n${tail}` : ''));
  }
  throw new StepError(`waited ${timeoutMs / 1000}s for ${name}: no ${what}` + (tail ? `; its output ends:\n${tail}` : ''));
}

function lastLines(s: string, n: number): string {
  return s.trimEnd().split('\n').slice(-n).map((l) => '    ' + l).join('\n');
}

/**
 * Runs the exercise on a deployed instance: steps in order, each bounded in time. A failed step is
 * recorded and the run goes on, so the checks that depend on it fail with its reason. Captures stop when
 * the steps are done and the captured node's connections have settled.
 */
export async function runExercise(running: RunningLab, opts: ExerciseOptions = {}): Promise<Observations> {
  const def = running.lab.def;
  const obs: Observations = {
    addresses: Object.fromEntries(running.plan.nodes.map((n) => [n.name, n.interfaces.map((i) => i.address)])),
    programs: {},
    captures: {},
    probes: {},
    steps: [],
  };
  const captures: CaptureHandle[] = [];
  const background: string[] = [];
  for (const [index, step] of def.exercise.entries()) {
    const started = Date.now();
    const description = describeStep(step);
    opts.onStep?.(description);
    const record = (status: StepRecord['status'], message?: string): void => {
      obs.steps.push({ index, description, status, durationMs: Date.now() - started, ...(message ? { message } : {}) });
    };
    try {
      if ('start' in step) {
        const unavailable = opts.unavailable?.[step.start];
        if (unavailable) throw new StepError(unavailable);
        background.push(step.start);
        await startAndWait(running, step);
      } else if ('run' in step) {
        const unavailable = opts.unavailable?.[step.run];
        if (unavailable) throw new StepError(unavailable);
        const timeoutMs = (step.timeout ?? 10) * 1000;
        const r = await runProgram(running, step.run, { timeoutMs, ...(step.stdin !== undefined ? { stdin: step.stdin } : {}) });
        const p: ProgramObservation = {
          node: def.programs[step.run]?.node ?? '',
          stdout: r.stdout.toString('utf8'),
          stderr: r.stderr.toString('utf8'),
          timedOut: r.timedOut,
          running: false,
          droppedBytes: r.droppedStdout + r.droppedStderr,
          durationMs: r.durationMs,
          ...(r.exitCode !== null ? { exitCode: r.exitCode } : {}),
        };
        obs.programs[step.run] = p;
        if (r.timedOut) throw new StepError(`${step.run} did not finish within ${timeoutMs / 1000}s and was stopped`);
      } else if ('capture' in step) {
        captures.push(await startCapture(running, step.capture));
      } else if ('probe' in step) {
        obs.probes[step.probe.name] = await probeSockets(running, step.probe.node);
      }
      record('ok');
    } catch (e) {
      if (!(e instanceof StepError)) throw e;
      record('failed', e.message);
      if ('start' in step) obs.programs[step.start] = { node: def.programs[step.start]?.node ?? '', stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, error: e.message };
      if ('run' in step && !obs.programs[step.run]) obs.programs[step.run] = { node: def.programs[step.run]?.node ?? '', stdout: '', stderr: '', timedOut: false, running: false, droppedBytes: 0, error: e.message };
    }
  }
  // Socket tables at the end, for socket checks that name no probe.
  const endNodes = new Set(def.checks.flatMap((c) => ('socket' in c && c.socket.probe === undefined ? [c.socket.node] : [])));
  await Promise.all([...endNodes].map(async (node) => (obs.probes[endProbeName(node)] = await probeSockets(running, node))));
  await Promise.all(captures.map((c) => settle(running, c.node)));
  for (const c of captures) {
    try {
      const data = await stopCapture(running, c);
      let file: string | undefined;
      if (opts.artifactsDir) {
        mkdirSync(opts.artifactsDir, { recursive: true });
        file = join(opts.artifactsDir, `${c.name}.pcap`);
        writeFileSync(file, data);
      }
      obs.captures[c.name] = { node: c.node, packets: decodePcap(data), ...(file ? { file } : {}) };
    } catch (e) {
      obs.captures[c.name] = { node: c.node, packets: [], error: errorMessage(e) };
    }
  }
  // What the background programs printed so far; they keep running.
  await Promise.all(
    background.map(async (name) => {
      if (obs.programs[name]?.error) return;
      const st = await programState(running, name);
      obs.programs[name] = { node: def.programs[name]?.node ?? '', stdout: st.stdout, stderr: st.stderr, timedOut: false, running: st.exitCode === undefined, droppedBytes: 0, ...(st.exitCode !== undefined ? { exitCode: st.exitCode } : {}) };
    }),
  );
  if (opts.artifactsDir) {
    mkdirSync(opts.artifactsDir, { recursive: true });
    for (const [name, p] of Object.entries(obs.programs)) {
      writeFileSync(join(opts.artifactsDir, `${name}.stdout`), p.stdout);
      writeFileSync(join(opts.artifactsDir, `${name}.stderr`), p.stderr);
    }
  }
  return obs;
}

/** Reads a node's TCP, UDP and unix socket tables with ss, from its observer (so process names show). */
export async function probeSockets(running: RunningLab, node: string): Promise<Observations['probes'][string]> {
  try {
    const r = await observe(running, node, ['sh', '-c', 'ss -tanp; echo @@; ss -uanp; echo @@; ss -xanp']);
    const [tcp = '', udp = '', unix = ''] = r.stdout.split('@@\n');
    return { node, raw: r.stdout, sockets: [...parseSs(tcp, { proto: 'tcp' }), ...parseSs(udp, { proto: 'udp' }), ...parseSs(unix)] };
  } catch (e) {
    return { node, raw: '', sockets: [], error: errorMessage(e) };
  }
}

const TRANSIENT = new Set(['SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING']);

/** Waits (briefly, bounded) until no TCP connection in the node is half-way through opening or closing. */
async function settle(running: RunningLab, node: string): Promise<void> {
  await retryUntil(
    async () => {
      const r = await observe(running, node, ['ss', '-tan']);
      return parseSs(r.stdout, { proto: 'tcp' }).some((s) => TRANSIENT.has(s.state)) ? undefined : true;
    },
    { timeoutMs: 3000 },
  );
}
