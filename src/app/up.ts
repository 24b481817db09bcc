import { bringUp, compileAll } from '../grade/session.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { addressNotes } from '../plan/describe.js';
import { planLab, type LabPlan } from '../plan/plan.js';
import { labImageTag } from '../runtime/lab-image.js';
import { engineForInstance, type EngineAccess } from './engine-access.js';

export interface UpOptions {
  /** The lab: a name under labs/, a folder or a lab.yaml path, or a lab already loaded. */
  lab: string | Lab;
  /** The instance's name (checked: see instanceName). */
  instance: string;
  engines: EngineAccess;
  /** The ranges the instance's subnets come from (see subnetPoolsOf). */
  subnetPools: { pool: string; pool6: string };
  /** Only plan: names, subnets, addresses and containers, on no engine. */
  dryRun?: boolean;
  /** Progress lines for a person (compile problems, placement, creation). */
  onProgress?: (line: string) => void;
  /** Stops the work; what this call created is removed and it rejects with an InterruptedError. */
  signal?: AbortSignal;
}

/** What `lab up` did: with `dryRun` the plan alone; else the instance it found or made. */
export type UpReport =
  | { dryRun: true; plan: LabPlan }
  | {
      dryRun: false;
      lab: string;
      instance: string;
      /** It was complete already: nothing was created. */
      alreadyUp: boolean;
      /** From the call to the instance being up, in seconds. */
      seconds: number;
      /** The instance's networks (subnets as given) and nodes (addresses, container names). */
      plan: LabPlan;
      /** Where the instance's addresses differ from those lab.yaml declares, said for a person (addressNotes). */
      notes: string[];
      /** Setup steps that failed (a program that did not compile or never became ready); the instance stays up. */
      failures: string[];
    };

/**
 * `lab up`: compiles the lab's programs, finds or places the engine, creates the instance (or finds it up) and
 * runs its setup steps. Throws a UsageError for a lab or option that cannot be used, an EngineError when the
 * engine fails, an InterruptedError when `signal` stops it (nothing of it is left).
 */
export async function upLab(opts: UpOptions): Promise<UpReport> {
  const lab = typeof opts.lab === 'string' ? loadLab(opts.lab) : opts.lab;
  const { instance } = opts;
  if (opts.dryRun) return { dryRun: true, plan: planLab(lab, { instance, image: labImageTag(), ...opts.subnetPools }) };
  const say = opts.onProgress ?? ((): void => undefined);
  const compiled = await compileAll(lab);
  for (const [name, msg] of Object.entries(compiled.unavailable)) say(`${name}: ${msg}`);
  const started = Date.now();
  const { runtime, tag } = await engineForInstance(opts.engines, lab.name, instance, say);
  say(`bringing up ${lab.name} (instance ${instance})`);
  const outcome = await bringUp(lab, compiled, {
    runtime,
    image: tag,
    instance,
    subnetPools: opts.subnetPools,
    onProgress: say,
    command: 'up',
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const plan = outcome.running.plan;
  return {
    dryRun: false,
    lab: lab.name,
    instance,
    alreadyUp: outcome.alreadyUp,
    seconds: (Date.now() - started) / 1000,
    plan,
    notes: addressNotes(plan),
    failures: outcome.failures,
  };
}
