import { quote as shellQuote } from 'shell-quote';
import { ensureObserver } from '../deploy/observer.js';
import { PROGRAM_USER } from '../deploy/node-layout.js';
import { attach, instanceState } from '../deploy/running-lab.js';
import { UsageError } from '../errors.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { suggestion } from '../lab/suggest.js';
import { DEFAULT_INSTANCE } from '../plan/plan.js';
import { labImageTag } from '../runtime/lab-image.js';
import type { Runtime } from '../runtime/runtime.js';
import { engineHolding, upCommand, type EngineAccess } from './engine-access.js';

export interface ExecOptions {
  /** The lab: a name under labs/, a folder or a lab.yaml path, or a lab already loaded. */
  lab: string | Lab;
  /** The node to run in, as lab.yaml names it. */
  node: string;
  /** The instance's name (checked: see instanceName). */
  instance: string;
  engines: EngineAccess;
  /** Run as root in the node's observer sidecar (its capabilities, the node's network), not in the node. */
  privileged?: boolean;
  /** The user in the node (default: the programs' user); not with `privileged`. */
  user?: string;
  onProgress?: (line: string) => void;
}

/** Where and as whom `lab exec` runs a command: the caller attaches its terminal or pipes to it. */
export interface ExecTarget {
  runtime: Runtime;
  lab: string;
  instance: string;
  node: string;
  /** The container the command runs in: the node's, or with `privileged` its observer's. */
  container: string;
  /** The user in the container; absent: the container's own (root, in the observer). */
  user?: string;
  /** The command's environment (HOME); a terminal's TERM is the caller's to add. */
  env: Record<string, string>;
  privileged: boolean;
}

/**
 * `lab exec` up to the command: the node's container in the running instance (with `privileged`, its observer
 * sidecar, made when missing), the user and environment. A UsageError when the lab has no such node, the
 * options contradict each other or the instance is not up; an EngineError when the engine fails.
 */
export async function execTarget(opts: ExecOptions): Promise<ExecTarget> {
  const lab = typeof opts.lab === 'string' ? loadLab(opts.lab) : opts.lab;
  const { node, instance } = opts;
  const nodes = Object.keys(lab.nodes);
  if (!lab.nodes[node])
    throw new UsageError(`lab ${lab.name} has no node '${node}'${suggestion(node, nodes, true)} (nodes: ${nodes.join(', ')})`);
  const privileged = opts.privileged === true;
  if (privileged && opts.user !== undefined)
    throw new UsageError("--privileged runs as root in the node's observer: leave out --user, or leave out --privileged");
  const upHint = `run \`${upCommand(lab.name, instance)}\` first`;
  const runtime = await engineHolding(opts.engines, lab.name, instance, upHint, opts.onProgress);
  const state = await instanceState(runtime, lab, instance);
  if (!state.complete) throw new UsageError(`${lab.name} (instance ${instance}) is not up`, { hint: upHint });
  const running = attach(runtime, lab, instance, state, labImageTag());
  const container = privileged ? await ensureObserver(running, node) : (running.containers.get(node) as string);
  return {
    runtime,
    lab: lab.name,
    instance,
    node,
    container,
    ...(privileged ? {} : { user: opts.user ?? PROGRAM_USER }),
    env: { HOME: privileged ? '/root' : '/home/student' },
    privileged,
  };
}

/**
 * What to tell the user after `cmd` ended in `target` with `code` and this end of its standard error: that
 * it could not be run (126, 127), or that it needs --privileged (a permission refused outside the observer).
 */
export function execHint(target: ExecTarget, cmd: string[], code: number | null, stderrTail: string): string | undefined {
  if (code === 126 || code === 127) return `'${cmd[0] ?? ''}' could not be run in node ${target.node}`;
  if (!target.privileged && /Operation not permitted|permission denied|You don't have permission/i.test(stderrTail))
    return `nodes have no capabilities; tools like tcpdump need --privileged: ${privilegedCommand(target.lab, target.instance, target.node, cmd)}`;
  return undefined;
}

/** The same `lab exec` with --privileged, as the user can paste it: the instance kept, the command quoted for a shell. */
export function privilegedCommand(lab: string, instance: string, node: string, cmd: string[]): string {
  return `lab exec ${lab}${instance !== DEFAULT_INSTANCE ? ` --instance ${instance}` : ''} --privileged ${node} -- ${shellQuote(cmd)}`;
}
