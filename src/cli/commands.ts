import { readdirSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';

import { errorMessage, formatProblem, InterruptedError, LabValidationError, ToplabError, UsageError } from '../errors.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { labsDir } from '../paths.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import { INSTANCE_PATTERN, DEFAULT_INSTANCE, planLab, subnetPools, type LabPlan } from '../plan/plan.js';
import { addressNotes, describePlan } from '../plan/describe.js';
import { instanceDefinition } from '../plan/instance-definition.js';
import { renderGraph, withReadmeGraph } from '../lab/graph.js';
import { removeOldLabImages, type LabImageBuilder } from '../docker.js';
import { labImageTag } from '../runtime/lab-image.js';
import { listInstance, removeInstance } from '../deploy/down.js';
import { attach, instanceState } from '../deploy/running-lab.js';
import { bringUp, checkInstance, compileAll, gradeInstanceName, gradeSubmission } from '../grade/session.js';
import { listOrphans, sweep, type Orphan } from '../deploy/sweep.js';
import { lockFilter, lockIsLive, refuseWhileBeingCreated } from '../deploy/lock.js';
import { ensureObserver } from '../deploy/observer.js';
import { PROGRAM_USER } from '../deploy/node-layout.js';
import { FORMATS, isFormat, render, type Format } from '../report/formats.js';
import { errorResult, exitCodeFor, type GradeResult } from '../report/result.js';
import { defaultBatchParallel, gradeBatch } from '../grade/batch.js';
import { selftestCases } from '../grade/selftest.js';
import { renderTerminal, useColor } from '../report/terminal.js';
import { renderLadders, unicodeTerminal, type LadderStyle } from '../report/ladder.js';
import { parse, writeOutput } from './args.js';
import { engine, image, progress } from './engine.js';
import type { Runtime } from '../runtime/runtime.js';
import { enginesCommand } from '../engines/engines-command.js';
import { checkWork } from '../app/check.js';
import { checkTarget, initWorkspace, WORKSPACE_FILE } from '../app/workspace.js';
import { enginePool, holderOf, placeInstance, poolOrphans, removeStaleLocks, sweepPool, takeEnginesFlag } from '../engines/use.js';
import { gradeBatchOverPool } from '../engines/pool-batch.js';

/** What a command gets besides its arguments: the signal that stops it (see src/cli/signals.ts). */
export interface CommandContext {
  signal?: AbortSignal;
}

/**
 * The engine for an instance to bring up or check, and the lab image tag there: with an engines file, the engine
 * that holds the instance or a new placement; without one, the local engine.
 */
async function engineFor(lab: string, instance: string): Promise<{ runtime: Runtime; tag: string }> {
  const pool = enginePool();
  if (pool) return placeInstance(pool, lab, instance, progress);
  const runtime = await engine();
  return { runtime, tag: await image(runtime) };
}

function instanceOf(v: string | undefined): string {
  const instance = v ?? DEFAULT_INSTANCE;
  if (!INSTANCE_PATTERN.test(instance)) throw new UsageError(`'${instance}' is not a valid instance name: use lower-case letters, digits and hyphens (at most 32)`);
  return instance;
}

/** The subnet pools for this run: --subnet-pool wins over TOPLAB_SUBNET_POOL, which wins over the default. */
function usePool(flag: string | undefined): { pool: string; pool6: string } {
  // Deploy reads the pool from the environment, so `check` and `grade` honour it the same way.
  if (flag !== undefined) process.env.TOPLAB_SUBNET_POOL = flag;
  return subnetPools();
}

async function graph(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string', default: 'mermaid' }, 'write-readme': { type: 'boolean' }, instance: { type: 'string' } }, 'graph');
  if (values.format !== 'mermaid' && values.format !== 'dot') throw new UsageError(`unknown format '${values.format}': use mermaid or dot`);
  const lab = oneLab(positionals, 'graph');
  if (values['write-readme']) {
    const file = join(lab.dir, 'README.md');
    const before = existsSync(file) ? readFileSync(file, 'utf8') : `# ${lab.def.title}\n`;
    const after = withReadmeGraph(before, lab.def);
    if (after !== before) writeFileSync(file, after);
    process.stdout.write(`${file}: ${after === before ? 'graph already up to date' : 'graph written'}\n`);
    return 0;
  }
  if (values.instance !== undefined) {
    // A running instance's own subnets and addresses: what `ip addr` and netstat show in its nodes.
    const instance = instanceOf(values.instance);
    const runtime = await engine();
    const state = await instanceState(runtime, lab, instance);
    if (!state.complete) throw new UsageError(`${lab.def.name} (instance ${instance}) is not up`, { hint: `run \`lab up ${lab.def.name}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}\` first, or leave out --instance for the addresses as written in lab.yaml` });
    process.stdout.write(renderGraph(instanceDefinition(lab.def, attach(runtime, lab, instance, state, labImageTag()).plan), values.format));
    return 0;
  }
  process.stdout.write(renderGraph(lab.def, values.format));
  return 0;
}

function oneLab(positionals: string[], command: string): Lab {
  const ref = positionals[0];
  if (ref === undefined) throw new UsageError(`which lab? e.g. lab ${command} tcp-handshake`, { hint: 'run `lab list` to see the labs' });
  return loadLab(ref);
}

function describeNodes(plan: LabPlan): string {
  const lines = plan.nodes.map((n) => `  ${n.name.padEnd(12)} ${n.interfaces.map((i) => `${i.network} ${i.address}`).join(', ').padEnd(28)} ${n.container}`);
  return lines.join('\n') + '\n';
}

function formatOf(value: string): Format {
  if (!isFormat(value)) throw new UsageError(`unknown format '${value}': use ${FORMATS.join(', ')}`);
  return value;
}

/**
 * Prints the result in the chosen format; with --output the file gets that format and the terminal gets the
 * human summary instead. The file is written whatever the status, so a tool failure still leaves a report.
 */
function report(result: GradeResult, format: Format, output: string | undefined, verbose: boolean, ladderStyle?: LadderStyle): number {
  if (output) {
    writeOutput(output, render(result, format, { color: false, verbose: true }));
    process.stdout.write(renderTerminal(result, { color: useColor(process.stdout), verbose }));
  } else {
    process.stdout.write(render(result, format, { color: format === 'terminal' && useColor(process.stdout), verbose }));
  }
  // --ladder: the JSON report carries the ladders; the terminal shows them after the checks.
  if (result.ladder && (output || format === 'terminal')) process.stdout.write('\n' + renderLadders(result.ladder, { style: ladderStyle ?? 'unicode', color: useColor(process.stdout) }));
  return exitCodeFor(result);
}

/**
 * A new run's folder under results/<lab>/. The lab's oldest runs beyond the last TOPLAB_KEEP_RESULTS (default
 * 20) are removed first, so results/ does not grow without end.
 */
function resultsDir(base: string | undefined, lab: string, name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  const labDir = resolve(base ?? 'results', lab);
  pruneRuns(labDir, keepResults() - 1);
  return join(labDir, `${name}-${stamp}`);
}

export function keepResults(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.TOPLAB_KEEP_RESULTS);
  return Number.isInteger(n) && n >= 1 ? n : 20;
}

/** Removes all but the `keep` newest run folders (by modification time) in `labDir`; returns how many went. */
export function pruneRuns(labDir: string, keep: number): number {
  let runs: { path: string; mtime: number }[];
  try {
    runs = readdirSync(labDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => ({ path: join(labDir, d.name), mtime: statSync(join(labDir, d.name)).mtimeMs }));
  } catch {
    return 0;
  }
  runs.sort((a, b) => b.mtime - a.mtime || b.path.localeCompare(a.path));
  const old = runs.slice(Math.max(0, keep));
  for (const r of old) rmSync(r.path, { recursive: true, force: true });
  return old.length;
}

export async function runCommand(command: string, rawArgs: string[], ctx: CommandContext = {}): Promise<number> {
  const args = takeEnginesFlag(rawArgs);
  switch (command) {
    case 'engines':
      return enginesCommand(args);
    case 'list':
      return list();
    case 'validate':
      return validate(args);
    case 'graph':
      return await graph(args);
    case 'up':
      return up(args, ctx);
    case 'down':
      return down(args);
    case 'prune':
      return prune(args);
    case 'status':
      return status(args);
    case 'exec':
      return exec(args);
    case 'init':
      return init(args);
    case 'check':
      return check(args, ctx);
    case 'grade':
      return grade(args, ctx);
    case 'image':
      return imageCommand(args);
    case 'serve':
      return (await import('./serve.js')).serve(args);
    case 'workshop':
      return (await import('./workshop.js')).workshop(args);
    case 'selftest':
      return (await import('./selftest.js')).selftestCommand(args, ctx);
    case 'new':
      return (await import('./new-lab.js')).newLabCommand(args);
    case 'ladder':
      return (await import('./ladder.js')).ladderCommand(args);
    default:
      throw new UsageError(`unknown command '${command}'`, { hint: 'run `lab help` for the commands' });
  }
}

function list(): number {
  const dir = labsDir();
  const names = existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'lab.yaml'))).sort() : [];
  if (names.length === 0) {
    process.stdout.write(`no labs in ${dir}\n`);
    return 0;
  }
  const width = Math.max(...names.map((n) => n.length));
  let bad = 0;
  for (const n of names) {
    try {
      const lab = loadLab(join(dir, n, 'lab.yaml'));
      process.stdout.write(`${n.padEnd(width)}  ${lab.def.title}\n`);
    } catch (e) {
      bad++;
      process.stdout.write(`${n.padEnd(width)}  (invalid: run \`lab validate ${n}\`)\n`);
      if (!(e instanceof LabValidationError)) throw e;
    }
  }
  return bad > 0 ? 3 : 0;
}

function validate(args: string[]): number {
  const { positionals } = parse(args, {}, 'validate');
  if (positionals.length === 0) throw new UsageError('which lab? e.g. lab validate tcp-handshake or lab validate path/to/lab.yaml');
  let failed = 0;
  for (const ref of positionals) {
    try {
      const lab = loadLab(ref);
      // Each mistake's expect.yaml too: what `lab selftest` would only find after grading.
      const bad = selftestCases(lab).filter((c) => c.problem !== undefined);
      if (bad.length > 0) {
        failed++;
        for (const c of bad) process.stderr.write(`${join(lab.dir, 'mistakes', c.name)}: ${c.problem ?? ''}\n`);
        process.stderr.write(`${ref}: ${bad.length} problem${bad.length === 1 ? '' : 's'} in its mistakes\n`);
        continue;
      }
      process.stdout.write(`${lab.file}: ok\n`);
    } catch (e) {
      if (!(e instanceof LabValidationError)) throw e;
      failed++;
      // One problem a line, starting with file:line:col, as editors and CI annotators read them.
      for (const p of e.problems) process.stderr.write(formatProblem(p) + '\n');
      process.stderr.write(`${ref}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}\n`);
    }
  }
  return failed > 0 ? 3 : 0;
}

async function up(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' }, 'dry-run': { type: 'boolean' }, 'subnet-pool': { type: 'string' } }, 'up');
  const lab = oneLab(positionals, 'up');
  const instance = instanceOf(values.instance);
  const pools = usePool(values['subnet-pool']);
  if (values['dry-run']) {
    process.stdout.write(describePlan(planLab(lab, { instance, image: labImageTag(), ...pools })));
    return 0;
  }
  const compiled = await compileAll(lab);
  for (const [name, msg] of Object.entries(compiled.unavailable)) progress(`${name}: ${msg}`);
  const started = Date.now();
  const { runtime, tag } = await engineFor(lab.def.name, instance);
  progress(`bringing up ${lab.def.name} (instance ${instance})`);
  const outcome = await bringUp(lab, compiled, { runtime, image: tag, instance, onProgress: progress, command: 'up', ...(ctx.signal ? { signal: ctx.signal } : {}) });
  if (outcome.alreadyUp) {
    process.stdout.write(`${lab.def.name} is already up (instance ${instance}); nothing changed.\n`);
  } else {
    process.stdout.write(`${lab.def.name} is up (instance ${instance}) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }
  process.stdout.write(describeNodes(outcome.running.plan));
  for (const note of addressNotes(outcome.running.plan)) process.stdout.write(`note: ${note}\n`);
  for (const f of outcome.failures) process.stderr.write(`warning: ${f}\n`);
  if (outcome.failures.length > 0) {
    process.stderr.write(`the lab stays up so you can look: lab exec ${lab.def.name} <node> -- <command>\n`);
    return 1;
  }
  return 0;
}

async function down(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' }, all: { type: 'boolean' }, orphans: { type: 'boolean' } }, 'down');
  if (values.orphans) return removeOrphans();
  if (!values.all && positionals.length === 0) throw new UsageError('which lab? e.g. lab down tcp-handshake, or lab down --orphans (what crashed commands left), or lab down --all');
  const started = Date.now();
  const labName = values.all ? undefined : labNameOf(positionals[0] ?? '');
  const instance = values.all ? undefined : instanceOf(values.instance);
  const what = values.all ? 'every toplab lab' : `${labName} (instance ${instance})`;
  const pool = enginePool();
  let r = { containers: 0, networks: 0 };
  let unreachable = 0;
  if (pool) {
    // Every engine that holds any of it; an engine that does not answer keeps its part, and says so.
    const found = await pool.locate(labName, instance);
    if (labName !== undefined && instance !== undefined) for (const e of found.holders) await refuseWhileBeingCreated(e.runtime, labName, instance);
    const each = await Promise.all(found.holders.map(async (e) => ({ engine: e.spec.name, ...(await removeInstance(e.runtime, labName, instance)) })));
    for (const x of each) r = { containers: r.containers + x.containers, networks: r.networks + x.networks };
    if (each.length > 0) process.stdout.write(each.map((x) => `engine ${x.engine}: ${x.containers} container(s), ${x.networks} network(s)`).join('\n') + '\n');
    // As on the local engine: creation locks left by commands that are gone go too, on every engine that answers.
    await Promise.all(pool.engines.filter((e) => !e.runtime.lost).map((e) => removeStaleLocks(e.runtime, labName, instance)));
    // An engine that did not answer may hold some of it: said, and the exit code says the work is not complete.
    for (const h of found.unreachable) process.stderr.write(`error: ${h.error ?? `engine ${h.name} unreachable`}: anything of ${what} there is left; run this again when it answers\n`);
    unreachable = found.unreachable.length;
  } else {
    const runtime = await engine();
    // The lock check and the instance's lists are asked together; nothing is removed unless the check passes.
    const [, listed] = await Promise.all([labName !== undefined && instance !== undefined ? refuseWhileBeingCreated(runtime, labName, instance) : undefined, listInstance(runtime, labName, instance)]);
    // A creation lock left by a command that is gone goes too, alongside; one whose owner still runs stays (it is creating).
    const removeStaleLocks = async (): Promise<void> => {
      const staleLocks = (await runtime.listContainers(lockFilter(labName, instance))).filter((l) => !lockIsLive(l.labels, new Date()));
      await runtime.removeContainers(staleLocks.map((l) => l.id));
    };
    [r] = await Promise.all([removeInstance(runtime, labName, instance, listed), removeStaleLocks()]);
    if (r.containers === 0 && r.networks === 0 && !values.all) {
      // Made from this lab file under a name it no longer has (the file's `name:` was edited since `up`)?
      const file = labFileOf(positionals[0] ?? '');
      const other = file === undefined ? [] : (await runtime.listContainers([`${LABEL.managed}=true`, `${LABEL.labFile}=${file}`, `${LABEL.instance}=${instance ?? ''}`])).map((c) => c.labels[LABEL.lab]);
      const names = [...new Set(other.filter((x): x is string => x !== undefined && x !== labName))];
      if (names.length > 0) {
        throw new UsageError(`nothing of ${what} runs, but ${names.join(', ')} (instance ${instance}) runs from the same lab file ${file}`, {
          hint: `its lab file was renamed since \`lab up\`: lab down ${names[0]} --instance ${instance}`,
        });
      }
    }
  }
  const where = unreachable > 0 ? ' on the engines that answer' : '';
  if (r.containers === 0 && r.networks === 0) process.stdout.write(`${what}: nothing to remove${where}\n`);
  else process.stdout.write(`removed ${what}${where}: ${r.containers} container(s), ${r.networks} network(s) in ${((Date.now() - started) / 1000).toFixed(2)}s\n`);
  return unreachable > 0 ? 4 : 0;
}

/**
 * A lab's name from what a user typed, the way `up` named it: the `name:` of the lab file the reference leads
 * to (a name, a folder or a lab.yaml path). Only when no lab file can be read, the last part of the path.
 */
function labNameOf(ref: string): string {
  try {
    return loadLab(ref).def.name;
  } catch {
    return ref.replace(/\/+$/, '').split('/').filter((seg) => seg !== 'lab.yaml' && seg !== '').pop() ?? ref;
  }
}

function labFileOf(ref: string): string | undefined {
  try {
    return loadLab(ref).file;
  } catch {
    return undefined;
  }
}

/** `lab prune` and `lab down --orphans`: removes what crashed or killed commands left, never a live owner's lab. */
async function removeOrphans(): Promise<number> {
  const pool = enginePool();
  if (pool) {
    // Every engine that answers; one that does not is named, and the exit code says its orphans are left.
    pool.loseDown(await pool.probe());
    const r = await sweepPool(pool, { all: true });
    if (r.removed.length === 0) process.stdout.write(`no orphans${r.unreachable.length + r.failed.length > 0 ? ' on the engines that answer' : ''}: nothing to remove\n`);
    for (const o of r.removed) process.stdout.write(`removed ${o.lab} (instance ${o.instance}) on engine ${o.engine}: ${o.reason}\n`);
    for (const u of r.unreachable) process.stderr.write(`error: ${u}: its orphans are left; run this again when it answers\n`);
    for (const f of r.failed) process.stderr.write(`error: engine ${f.engine}: ${f.error}\n`);
    return r.unreachable.length + r.failed.length > 0 ? 4 : 0;
  }
  const runtime = await engine({ sweep: false });
  const gone = await sweep(runtime, { all: true });
  if (gone.length === 0) process.stdout.write('no orphans: nothing to remove\n');
  for (const o of gone) process.stdout.write(`removed ${o.lab} (instance ${o.instance}): ${o.reason}\n`);
  return 0;
}

async function prune(args: string[]): Promise<number> {
  parse(args, {}, 'prune');
  return removeOrphans();
}

interface InstanceStatus {
  lab: string;
  instance: string;
  /** Set when a crashed or killed command left it: why, and whether every command's sweep now removes it. */
  orphan?: { reason: string; expired: boolean };
  /** With an engines file: the engine that holds it. */
  engine?: string;
  networks: { name: string; subnet?: string; subnet6?: string; declaredSubnet?: string; declaredSubnet6?: string; dockerName: string }[];
  nodes: { name: string; running: boolean; container: string; interfaces: { network: string; address?: string; address6?: string }[] }[];
}

/** Running instances, read from Docker's labels and the networks' own subnets alone: no state file. */
async function instanceStatuses(runtime: Runtime, lab: string | undefined, instance: string | undefined): Promise<InstanceStatus[]> {
  const [containers, networks] = await Promise.all([runtime.listContainers(labelFilter(lab, instance)), runtime.listNetworks(labelFilter(lab, instance))]);
  const byKey = new Map<string, InstanceStatus>();
  const get = (labels: Record<string, string>): InstanceStatus | undefined => {
    const l = labels[LABEL.lab];
    const i = labels[LABEL.instance];
    if (l === undefined || i === undefined) return undefined;
    const key = `${l}\u0000${i}`;
    let st = byKey.get(key);
    if (!st) byKey.set(key, (st = { lab: l, instance: i, networks: [], nodes: [] }));
    return st;
  };
  const netName = new Map<string, string>();
  for (const n of networks) {
    const st = get(n.labels);
    const name = n.labels[LABEL.network] ?? n.name;
    netName.set(n.name, name);
    st?.networks.push({
      name,
      dockerName: n.name,
      ...(n.subnet !== undefined ? { subnet: n.subnet } : {}),
      ...(n.subnet6 !== undefined ? { subnet6: n.subnet6 } : {}),
      ...(n.labels[LABEL.declaredSubnet] !== undefined ? { declaredSubnet: n.labels[LABEL.declaredSubnet] } : {}),
      ...(n.labels[LABEL.declaredSubnet6] !== undefined ? { declaredSubnet6: n.labels[LABEL.declaredSubnet6] } : {}),
    });
  }
  for (const c of containers.filter((x) => x.labels[LABEL.role] === 'node')) {
    const st = get(c.labels);
    st?.nodes.push({
      name: c.labels[LABEL.node] ?? c.name,
      running: c.running ?? false,
      container: c.name,
      interfaces: Object.entries(c.addresses ?? {}).map(([docker, address]) => ({
        network: netName.get(docker) ?? docker,
        ...(address !== '' ? { address } : {}),
        ...(c.addresses6?.[docker] !== undefined ? { address6: c.addresses6[docker] } : {}),
      })),
    });
  }
  const list = [...byKey.values()].sort((x, y) => x.lab.localeCompare(y.lab) || x.instance.localeCompare(y.instance));
  for (const st of list) {
    st.networks.sort((x, y) => x.name.localeCompare(y.name));
    st.nodes.sort((x, y) => x.name.localeCompare(y.name));
  }
  return list.filter((st) => st.nodes.length > 0 || st.networks.length > 0);
}

function markOrphans(list: InstanceStatus[], orphans: Orphan[]): void {
  for (const o of orphans) {
    const st = list.find((x) => x.lab === o.lab && x.instance === o.instance);
    if (st) st.orphan = { reason: o.reason, expired: o.expired };
    else list.push({ lab: o.lab, instance: o.instance, orphan: { reason: o.reason, expired: o.expired }, networks: [], nodes: [] });
  }
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' }, format: { type: 'string', default: 'terminal' } }, 'status');
  if (values.format !== 'terminal' && values.format !== 'json') throw new UsageError(`unknown format '${values.format}': use terminal or json`);
  const lab = positionals[0] === undefined ? undefined : labNameOf(positionals[0]);
  const instance = values.instance === undefined ? undefined : instanceOf(values.instance);
  const pool = enginePool();
  let list: InstanceStatus[];
  let unreachable: { engine: string; error: string }[] = [];
  if (pool) {
    const health = await pool.probe();
    pool.loseDown(health);
    unreachable = health.filter((h) => !h.up).map((h) => ({ engine: h.name, error: h.error ?? `engine ${h.name} unreachable` }));
    // The sweep every command does first, on each engine that answers (as `engine()` does on the local one).
    for (const o of (await sweepPool(pool)).removed) progress(`removed an orphaned instance ${o.lab}/${o.instance} on engine ${o.engine} (${o.reason})`);
    const live = pool.engines.filter((e) => !e.runtime.lost);
    const [per, orphans] = await Promise.all([
      Promise.all(live.map(async (e) => (await instanceStatuses(e.runtime, lab, instance)).map((st) => ({ ...st, engine: e.spec.name })))),
      poolOrphans(pool),
    ]);
    list = [];
    // Orphans marked per engine, as on the local engine: each engine's own list, so one on e2 never marks e1's.
    for (const [i, e] of live.entries()) {
      const mine = per[i] ?? [];
      markOrphans(mine, (orphans.get(e.spec.name) ?? []).filter((o) => (lab === undefined || o.lab === lab) && (instance === undefined || o.instance === instance)));
      list.push(...mine.map((st) => ({ ...st, engine: e.spec.name })));
    }
  } else {
    const runtime = await engine();
    // Both read the engine after the sweep: asked together, one round trip instead of two.
    const [statuses, orphans] = await Promise.all([instanceStatuses(runtime, lab, instance), listOrphans(runtime)]);
    list = statuses;
    markOrphans(list, orphans.filter((o) => (lab === undefined || o.lab === lab) && (instance === undefined || o.instance === instance)));
  }
  if (values.format === 'json') {
    process.stdout.write(JSON.stringify(pool ? { instances: list, unreachable } : list, null, 2) + '\n');
    return unreachable.length > 0 ? 4 : 0;
  }
  // Instances on an engine that does not answer cannot be listed: say which engine, and why.
  for (const u of unreachable) process.stdout.write(`engine ${u.engine} unreachable: its instances are not shown (${u.error})\n`);
  if (list.length === 0) {
    process.stdout.write(`no toplab labs are running${unreachable.length > 0 ? ' on the engines that answer' : ''}\n`);
    return unreachable.length > 0 ? 4 : 0;
  }
  for (const st of list) {
    process.stdout.write(`${st.lab} (instance ${st.instance})${st.engine !== undefined ? ` on engine ${st.engine}` : ''}${st.orphan ? `  ORPHAN: ${st.orphan.reason}; \`lab prune\` removes it` : ''}\n`);
    for (const n of st.networks) {
      const subnets = [n.subnet, n.subnet6].filter((x) => x !== undefined).join(' ');
      const declared = [n.declaredSubnet, n.declaredSubnet6].filter((x) => x !== undefined).join(' ');
      process.stdout.write(`  network ${n.name.padEnd(12)} ${subnets.padEnd(28)} (declared ${declared})\n`);
    }
    for (const c of st.nodes) {
      const addrs = c.interfaces.map((i) => [i.network, i.address, i.address6].filter((x) => x !== undefined).join(' ')).join(', ');
      process.stdout.write(`  ${c.name.padEnd(12)} ${(c.running ? 'running' : 'stopped').padEnd(8)} ${addrs.padEnd(28)} ${c.container}\n`);
    }
  }
  return unreachable.length > 0 ? 4 : 0;
}

async function exec(args: string[]): Promise<number> {
  const dash = args.indexOf('--');
  if (dash < 0) throw new UsageError('put the command after --, e.g. lab exec tcp-handshake server -- netstat -tlnp');
  const cmd = args.slice(dash + 1);
  const { values, positionals } = parse(args.slice(0, dash), { instance: { type: 'string' }, privileged: { type: 'boolean' }, user: { type: 'string' }, 'no-tty': { type: 'boolean', short: 'T' } }, 'exec');
  const [labRef, node] = positionals;
  if (labRef === undefined || node === undefined || cmd.length === 0) throw new UsageError('usage: lab exec <lab> <node> -- <command> [args...]');
  const lab = loadLab(labRef);
  if (!lab.def.nodes[node]) throw new UsageError(`lab ${lab.def.name} has no node '${node}' (nodes: ${Object.keys(lab.def.nodes).join(', ')})`);
  const instance = instanceOf(values.instance);
  const upHint = `run \`lab up ${lab.def.name}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}\` first`;
  const pool = enginePool();
  const runtime: Runtime = pool ? await holderOf(pool, lab.def.name, instance, upHint, progress) : await engine();
  const state = await instanceState(runtime, lab, instance);
  if (!state.complete) throw new UsageError(`${lab.def.name} (instance ${instance}) is not up`, { hint: upHint });
  const running = attach(runtime, lab, instance, state, labImageTag());
  const target = values.privileged ? await ensureObserver(running, node) : (running.containers.get(node) as string);
  // Like `docker exec -it` when used from a terminal (a shell in a node works), like `-i` otherwise: what is
  // piped in goes to the command, and its end is the command's end of input.
  const tty = values['no-tty'] !== true && process.stdin.isTTY === true && process.stdout.isTTY === true;
  let stderrTail = '';
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb): void {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
      process.stderr.write(chunk, () => cb());
    },
  });
  const restore = tty ? rawTerminal() : () => undefined;
  let code: number | null;
  try {
    code = await runtime.execAttached(target, cmd, {
      ...(values.privileged ? {} : { user: values.user ?? PROGRAM_USER }),
      env: { HOME: values.privileged ? '/root' : '/home/student', ...(tty ? { TERM: process.env.TERM ?? 'xterm' } : {}) },
      tty,
      stdin: process.stdin,
      stdout: process.stdout,
      stderr,
      ...(tty ? { size: { rows: process.stdout.rows, cols: process.stdout.columns } } : {}),
      onResize: (resize) => {
        if (tty) process.stdout.on('resize', () => resize({ rows: process.stdout.rows, cols: process.stdout.columns }));
      },
    });
  } finally {
    restore();
    // A terminal or a pipe still open would keep this process alive after the command has ended.
    process.stdin.destroy();
  }
  if (code === 126 || code === 127) process.stderr.write(`hint: '${cmd[0]}' could not be run in node ${node}\n`);
  else if (!values.privileged && /Operation not permitted|permission denied|You don't have permission/i.test(stderrTail)) {
    process.stderr.write(`hint: nodes have no capabilities; tools like tcpdump need --privileged: lab exec ${lab.def.name} --privileged ${node} -- ${cmd.join(' ')}\n`);
  }
  return code ?? 4;
}

/** Puts the user's terminal in raw mode (keys, Ctrl-C included, go to the command in the node); returns the undo. */
function rawTerminal(): () => void {
  process.stdin.setRawMode(true);
  return () => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  };
}

const REPORT_OPTIONS = {
  format: { type: 'string', default: 'terminal' },
  output: { type: 'string', short: 'o' },
  verbose: { type: 'boolean', short: 'v' },
  results: { type: 'string' },
  'subnet-pool': { type: 'string' },
  ladder: { type: 'boolean' },
  'ladder-format': { type: 'string' },
} as const;

/** `lab init <lab> [DIR]`: a workspace of the student's own (src/app/workspace.ts). */
function init(args: string[]): number {
  const { positionals } = parse(args, {}, 'init');
  const lab = oneLab(positionals, 'init');
  const r = initWorkspace(lab, positionals[1] ?? lab.def.name);
  process.stdout.write(`${r.dir}: ${r.files.filter((f) => f !== WORKSPACE_FILE).join(', ')}\nedit your files there; \`lab check\` in that folder grades them (\`lab up ${lab.def.name}\` first to explore)\n`);
  return 0;
}

async function check(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' }, submission: { type: 'string' }, ...REPORT_OPTIONS }, 'check');
  const format = formatOf(values.format);
  const { ladder, style: ladderStyle } = ladderOptionsOf(values);
  // A workspace (lab init) or --submission: the student's files; else the lab's reference, and the report says so.
  const target = checkTarget(positionals[0], values.submission !== undefined ? { submission: values.submission } : {});
  const lab = target.lab;
  if (target.kind === 'reference') progress(`grading the lab's own reference files in ${lab.dir}, not yours: \`lab init ${lab.def.name}\` makes a workspace of your own`);
  else progress(`grading your files in ${target.dir}`);
  const instance = instanceOf(values.instance);
  usePool(values['subnet-pool']);
  const startedAt = new Date();
  const artifactsDir = resultsDir(values.results ?? (target.kind === 'workspace' ? join(target.dir, 'results') : undefined), lab.def.name, instance);
  let result: GradeResult;
  try {
    const { runtime, tag } = await engineFor(lab.def.name, instance);
    result = await checkWork(target, { runtime, image: tag, instance, artifactsDir, onProgress: progress, ladder, command: 'check', ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } catch (e) {
    if ((e instanceof UsageError || e instanceof LabValidationError) && !ctx.signal?.aborted) throw e;
    result = errorResult({ lab: lab.def.name, instance, ...(target.kind !== 'reference' ? { submission: target.dir } : {}), maxScore: maxScoreOf(lab), passMark: lab.def.passMark ?? 1, startedAt, message: describeError(e) });
  }
  return report(result, format, values.output, values.verbose ?? false, ladderStyle);
}

/**
 * --ladder and --ladder-format: whether to draw ladders, and how (unicode, ascii or mermaid; by default Unicode,
 * or ASCII outside a UTF-8 locale). A --ladder-format asks for ladders too.
 */
export function ladderOptionsOf(values: { ladder?: boolean; 'ladder-format'?: string }, env: NodeJS.ProcessEnv = process.env): { ladder: boolean; style: LadderStyle } {
  const v = values['ladder-format'];
  const ladder = values.ladder === true || v !== undefined;
  if (v === undefined) return { ladder, style: unicodeTerminal(env) ? 'unicode' : 'ascii' };
  if (v !== 'unicode' && v !== 'ascii' && v !== 'mermaid') throw new UsageError(`unknown ladder format '${v}': use unicode, ascii or mermaid`);
  return { ladder, style: v };
}

function maxScoreOf(lab: Lab): number {
  return lab.def.checks.reduce((s, c) => s + c.points, 0);
}

function describeError(e: unknown): string {
  return errorMessage(e) + (e instanceof ToplabError && e.hint ? ` (${e.hint})` : '');
}

async function grade(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parse(args, { submission: { type: 'string' }, submissions: { type: 'string' }, parallel: { type: 'string' }, instance: { type: 'string' }, ...REPORT_OPTIONS }, 'grade');
  const format = formatOf(values.format);
  const { ladder, style: ladderStyle } = ladderOptionsOf(values);
  const lab = oneLab(positionals, 'grade');
  usePool(values['subnet-pool']);
  if (values.submissions !== undefined && ladder) throw new UsageError('--ladder draws one run, not a class', { hint: 'lab grade <lab> --submission <one student\'s folder> --ladder' });
  if (values.submissions !== undefined) return gradeMany(lab, values.submissions, values.parallel, format, values.output ?? values.results, ctx);
  if (!values.submission) throw new UsageError('which submission? lab grade <lab> --submission <folder or file>, or --submissions <folder of student folders>');
  const startedAt = new Date();
  const name = values.submission.replace(/\/+$/, '').split('/').pop() ?? 'submission';
  const artifactsDir = resultsDir(values.results, lab.def.name, `grade-${name}`);
  let result: GradeResult;
  try {
    // --instance names the fresh instance (a test or script can then remove it whatever happens to this process).
    const instance = values.instance !== undefined ? instanceOf(values.instance) : gradeInstanceName();
    const { runtime, tag } = await engineFor(lab.def.name, instance);
    result = await gradeSubmission(lab, values.submission, { runtime, image: tag, instance, artifactsDir, onProgress: progress, ladder, command: 'grade', ...(ctx.signal ? { signal: ctx.signal } : {}) });
  } catch (e) {
    if ((e instanceof UsageError || e instanceof LabValidationError) && !ctx.signal?.aborted) throw e;
    // The tool failed, not the student: report `error`, and still write the report file.
    result = errorResult({ lab: lab.def.name, submission: values.submission, maxScore: maxScoreOf(lab), passMark: lab.def.passMark ?? 1, startedAt, message: describeError(e) });
  }
  return report(result, format, values.output, values.verbose ?? false, ladderStyle);
}

async function gradeMany(lab: Lab, submissions: string, parallelArg: string | undefined, format: Format, out: string | undefined, ctx: CommandContext): Promise<number> {
  if (!existsSync(submissions) || !statSync(submissions).isDirectory()) throw new UsageError(`no folder ${submissions}`, { hint: 'give a folder with one subfolder per student' });
  const parallel = parallelArg === undefined ? defaultBatchParallel() : Number(parallelArg);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) throw new UsageError(`--parallel must be a whole number from 1 to 64, not '${parallelArg ?? ''}'`);
  const pool = enginePool();
  if (pool) {
    const outDir = out ? resolve(out) : resultsDir(undefined, lab.def.name, 'batch');
    return gradeBatchOverPool(lab, pool, { submissions, outDir, format, ...(parallelArg !== undefined ? { perEngine: parallel } : {}), onProgress: progress, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  }
  const runtime = await engine();
  const tag = await image(runtime);
  const outDir = out ? resolve(out) : resultsDir(undefined, lab.def.name, 'batch');
  progress(`grading ${submissions} with ${parallel} at a time; reports in ${outDir}`);
  const r = await gradeBatch(lab, { runtime, image: tag, submissions, outDir, parallel, format, onProgress: progress, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  process.stdout.write(r.summaryCsv);
  const errors = r.rows.filter((x) => x.status === 'error').length;
  process.stdout.write(`graded ${r.rows.length} submission(s) in ${(r.durationMs / 1000).toFixed(1)}s: ${r.rows.filter((x) => x.status === 'passed').length} passed, ${r.rows.filter((x) => x.status === 'failed').length} failed, ${errors} could not be graded\nsummary: ${join(outDir, 'summary.csv')} and summary.json\n`);
  return errors > 0 ? 4 : 0;
}

async function imageCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { builder: { type: 'string', default: 'auto' }, force: { type: 'boolean' } }, 'image');
  const sub = positionals[0];
  const runtime = await engine();
  if (sub === 'build') {
    if (!['auto', 'offline', 'dockerfile'].includes(values.builder)) throw new UsageError(`unknown builder '${values.builder}': use auto, offline or dockerfile`);
    const tag = await image(runtime, { builder: values.builder as LabImageBuilder, force: values.force ?? false });
    process.stdout.write(`${tag}\n`);
    return 0;
  }
  if (sub === 'prune') {
    const r = await removeOldLabImages(runtime.docker);
    process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  throw new UsageError(`usage: lab image build | lab image prune`);
}

