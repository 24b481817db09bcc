import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deploy } from '../deploy/up.js';
import { removeInstance, type DownResult } from '../deploy/down.js';
import { attach, instanceState, type RunningLab } from '../deploy/running-lab.js';
import { ToplabError } from '../errors.js';
import { installPrograms } from '../exercise/programs.js';
import { observerNodes } from '../exercise/probes.js';
import { ensureObserver } from '../deploy/observer.js';
import { checkInstance, compileAll, overlaySubmission, startSetupSteps } from '../grade/session.js';
import type { Lab } from '../lab/model.js';
import { LABEL } from '../plan/labels.js';
import type { GradeResult } from '../report/result.js';
import { toolErrorResult } from './check.js';
import type { Runtime } from '../runtime/runtime.js';
import { withLabels } from './labeled-runtime.js';

/** What every use case needs: an engine, the lab image's tag, the lab and the instance's name. */
export interface InstanceOptions {
  runtime: Runtime;
  image: string;
  lab: Lab;
  instance: string;
  /** Extra labels on everything created (a workshop server's own). */
  labels?: Record<string, string>;
  onProgress?: (line: string) => void;
  /** While an instance is created (upInstance): containers created so far, of how many. */
  onContainer?: (created: number, total: number) => void;
}

export interface NodeStatus {
  name: string;
  running: boolean;
  container: string;
  addresses: { network: string; address?: string; address6?: string }[];
}

export interface InstanceStatus {
  lab: string;
  instance: string;
  /** Every node and network exists and every node runs. */
  complete: boolean;
  nodes: NodeStatus[];
}

function runtimeOf(opts: InstanceOptions): Runtime {
  return opts.labels ? withLabels(opts.runtime, opts.labels) : opts.runtime;
}

/** The instance as Docker's labels describe it (nothing is created). */
export async function instanceStatus(opts: InstanceOptions): Promise<InstanceStatus> {
  const state = await instanceState(opts.runtime, opts.lab, opts.instance);
  const networks = new Map(state.networks.map((n) => [n.name, n.labels[LABEL.network] ?? n.name]));
  const nodes = state.containers
    .filter((c) => c.labels[LABEL.role] === 'node')
    .map((c) => ({
      name: c.labels[LABEL.node] ?? c.name,
      running: c.running ?? false,
      container: c.id,
      addresses: Object.entries(c.addresses ?? {}).map(([docker, address]) => ({
        network: networks.get(docker) ?? docker,
        ...(address !== '' ? { address } : {}),
        ...(c.addresses6?.[docker] !== undefined ? { address6: c.addresses6[docker] } : {}),
      })),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { lab: opts.lab.name, instance: opts.instance, complete: state.complete, nodes };
}

/**
 * Creates the instance's networks and containers (no program is started: a student's own programs start
 * with `restartPrograms` or a check). Returns its status; `alreadyUp` when it was complete already.
 */
export async function upInstance(opts: InstanceOptions): Promise<{ alreadyUp: boolean; ms: number; status: InstanceStatus }> {
  const r = await deploy(opts.lab, {
    runtime: runtimeOf(opts),
    image: opts.image,
    instance: opts.instance,
    programs: [],
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.onContainer ? { onContainer: opts.onContainer } : {}),
  });
  return { alreadyUp: r.alreadyUp, ms: r.ms, status: await instanceStatus(opts) };
}

/**
 * Creates the observer sidecars the lab's checks will need (captures, socket tables), so the first check on
 * the instance does not wait for them. Returns how many nodes have one.
 */
export async function prepareObservers(opts: InstanceOptions): Promise<number> {
  const r = await running(opts);
  const nodes = observerNodes(opts.lab.steps, opts.lab.checks);
  await Promise.all(nodes.map((n) => ensureObserver(r, n)));
  return nodes.length;
}

/** Removes every container and network of the instance of the lab named `lab`, found by their labels. */
export function downInstance(opts: { runtime: Runtime; lab: string; instance: string }): Promise<DownResult> {
  return removeInstance(opts.runtime, opts.lab, opts.instance);
}

async function running(opts: InstanceOptions): Promise<RunningLab> {
  const runtime = runtimeOf(opts);
  const state = await instanceState(runtime, opts.lab, opts.instance);
  if (!state.complete)
    throw new ToplabError(`the instance ${opts.lab.name}/${opts.instance} is not up`, { hint: 'start it again (reset)' });
  return attach(runtime, opts.lab, opts.instance, state, opts.image);
}

/** Writes `files` (name → content) into a fresh folder and lays it over the lab, as `lab grade --submission` does. */
function overlayFiles(lab: Lab, files: Record<string, string>): { dir: string; cleanup: () => void } {
  const src = mkdtempSync(join(tmpdir(), 'toplab-files-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(src, name), content);
    const overlay = overlaySubmission(lab, src);
    return { dir: overlay.dir, cleanup: overlay.cleanup };
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/**
 * Installs the programs compiled from `files` and runs the lab's setup steps (`setupSteps`),
 * stopping earlier runs first. Returns the setup steps that failed, with their reasons (compile errors too).
 */
export async function restartPrograms(opts: InstanceOptions & { files: Record<string, string> }): Promise<{ failures: string[] }> {
  const overlay = overlayFiles(opts.lab, opts.files);
  try {
    const compiled = await compileAll(opts.lab, overlay.dir);
    const r = await running(opts);
    await installPrograms(r, compiled.programs);
    return { failures: await startSetupSteps(r, opts.lab, compiled, opts.onProgress ? { onProgress: opts.onProgress } : {}) };
  } finally {
    overlay.cleanup();
  }
}

/**
 * `lab check` on this instance with `files` laid over the lab: the same code path (`checkInstance`), the
 * same result. A failure of the tool (engine, instance gone) is a result with status `error`, never `failed`.
 */
export async function checkFiles(
  opts: InstanceOptions & { files: Record<string, string>; artifactsDir?: string; submission?: string },
): Promise<GradeResult> {
  const startedAt = new Date();
  const lab = opts.lab;
  let overlay: { dir: string; cleanup: () => void } | undefined;
  try {
    overlay = overlayFiles(lab, opts.files);
    const compiled = await compileAll(lab, overlay.dir);
    return await checkInstance(lab, compiled, {
      runtime: runtimeOf(opts),
      image: opts.image,
      instance: opts.instance,
      filesDir: overlay.dir,
      ...(opts.submission ? { submission: opts.submission } : {}),
      ...(opts.artifactsDir ? { artifactsDir: opts.artifactsDir } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } catch (e) {
    return toolErrorResult(lab, e, { startedAt, instance: opts.instance });
  } finally {
    overlay?.cleanup();
  }
}
