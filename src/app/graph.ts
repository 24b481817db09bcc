import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attach, instanceState } from '../deploy/running-lab.js';
import { UsageError } from '../errors.js';
import { withReadmeGraph, type Topology } from '../lab/graph.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { instanceDefinition } from '../plan/instance-definition.js';
import { labImageTag } from '../runtime/lab-image.js';
import { engineHolding, upCommand, type EngineAccess } from './engine-access.js';

export interface GraphOptions {
  /** The lab: a name under labs/, a folder or a lab.yaml path, or a lab already loaded. */
  lab: string | Lab;
  /** A running instance whose own subnets and addresses to show (checked: see instanceName); else lab.yaml's. */
  instance?: string | undefined;
  engines: EngineAccess;
  onProgress?: (line: string) => void;
}

/**
 * `lab graph`: the lab's networks and nodes with their addresses, as lab.yaml declares them, or with `instance`
 * as that running instance has them (what `ip addr` and netstat show in its nodes). The caller draws it
 * (renderGraph). A UsageError when the instance is not up.
 */
export async function labGraph(opts: GraphOptions): Promise<{ lab: string; instance?: string; definition: Topology }> {
  const lab = typeof opts.lab === 'string' ? loadLab(opts.lab) : opts.lab;
  const declared: Topology = { name: lab.name, networks: lab.networks, nodes: lab.nodes };
  if (opts.instance === undefined) return { lab: lab.name, definition: declared };
  const { instance } = opts;
  const up = upCommand(lab.name, instance);
  const runtime = await engineHolding(opts.engines, lab.name, instance, `run \`${up}\` first`, opts.onProgress);
  const state = await instanceState(runtime, lab, instance);
  if (!state.complete)
    throw new UsageError(`${lab.name} (instance ${instance}) is not up`, {
      hint: `run \`${up}\` first, or leave out --instance for the addresses as written in lab.yaml`,
    });
  return {
    lab: lab.name,
    instance,
    definition: instanceDefinition(declared, attach(runtime, lab, instance, state, labImageTag()).plan),
  };
}

/** `lab graph --write-readme`: draws the lab's graph into its README.md (made when missing); `changed` is false when it was up to date. */
export function writeReadmeGraph(labRef: string | Lab): { file: string; changed: boolean } {
  const lab = typeof labRef === 'string' ? loadLab(labRef) : labRef;
  const file = join(lab.dir, 'README.md');
  const before = existsSync(file) ? readFileSync(file, 'utf8') : `# ${lab.title}\n`;
  const after = withReadmeGraph(before, lab);
  if (after !== before) writeFileSync(file, after);
  return { file, changed: after !== before };
}
