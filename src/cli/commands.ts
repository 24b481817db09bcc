import { readdirSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { quote as shellQuote } from 'shell-quote';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';

import { errorMessage, formatProblem, LabValidationError, ToplabError, UsageError } from '../errors.js';
import { listLabs, validateLabs } from '../app/labs.js';
import { downLab, type DownReport } from '../app/down.js';
import { instanceStatuses, labStatus, markOrphans, orphanOf, type LabInstanceStatus } from '../app/status.js';
import type { EnginePool } from '../engines/pool.js';
import { suggestion } from '../lab/suggest.js';
import { loadLab, readLabName, resolveLabFile } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { labsDir } from '../paths.js';
import { INSTANCE_PATTERN, DEFAULT_INSTANCE, planLab, subnetPools, type LabPlan } from '../plan/plan.js';
import { addressNotes, describePlan } from '../plan/describe.js';
import { instanceDefinition } from '../plan/instance-definition.js';
import { renderGraph, withReadmeGraph } from '../lab/graph.js';
import { removeOldLabImages, type LabImageBuilder } from '../docker.js';
import { labImageTag } from '../runtime/lab-image.js';
import { attach, instanceState } from '../deploy/running-lab.js';
import { bringUp, compileAll, gradeInstanceName, gradeSubmission } from '../grade/session.js';
import { sweep } from '../deploy/sweep.js';
import { ensureObserver } from '../deploy/observer.js';
import { PROGRAM_USER } from '../deploy/node-layout.js';
import { render, type Format } from '../report/formats.js';
import { errorResult, exitCodeFor, type GradeResult } from '../report/result.js';
import { defaultBatchParallel, gradeBatch } from '../grade/batch.js';
import { renderTerminal, useColor } from '../report/terminal.js';
import { renderLadders, unicodeTerminal, type LadderStyle } from '../report/ladder.js';
import { writeOutput } from './args.js';
import type { Invocation } from './program.js';
import { engine, engineAndImage, image, progress } from './engine.js';
import type { Runtime } from '../runtime/runtime.js';
import { enginesCommand } from '../engines/engines-command.js';
import { checkWork } from '../app/check.js';
import { checkTarget, initWorkspace, WORKSPACE_FILE } from '../app/workspace.js';
import { enginePool, holderOf, placeInstance, poolOrphans, removeStaleLocks, sweepPool } from '../engines/use.js';
import { gradeBatchOverPool } from '../engines/pool-batch.js';

/** What a command gets besides its arguments: the signal that stops it (see src/cli/signals.ts). */
export interface CommandContext {
  signal?: AbortSignal;
}

/**
 * The engine for an instance to bring up or check, and the lab image tag there: with an engines file, the engine
 * that holds the instance or a new placement; without one, the local engine.
 */
async function engineFor(lab: string, instance: string, enginesFile: string | undefined): Promise<{ runtime: Runtime; tag: string }> {
  const pool = enginePool(enginesFile);
  if (pool) return placeInstance(pool, lab, instance, progress);
  return engineAndImage();
}

function instanceOf(v: string | undefined): string {
  const instance = v ?? DEFAULT_INSTANCE;
  if (!INSTANCE_PATTERN.test(instance))
    throw new UsageError(`'${instance}' is not a valid instance name: use lower-case letters, digits and hyphens (at most 32)`);
  return instance;
}

/** The subnet pools for this run: --subnet-pool (or TOPLAB_SUBNET_POOL, its default), else the default pool. */
function poolsOf(flag: string | undefined): { pool: string; pool6: string } {
  return subnetPools(flag === undefined ? process.env : { ...process.env, TOPLAB_SUBNET_POOL: flag });
}

/** The options of each command, as declared in src/cli/program.ts (camelCase, defaults applied). */
interface Common {
  engines?: string;
}
interface ListOptions extends Common {
  json?: boolean;
  names?: boolean;
}
interface GraphOptions extends Common {
  format: 'mermaid' | 'dot';
  instance?: string;
  writeReadme?: boolean;
}
interface UpOptions extends Common {
  instance: string;
  dryRun?: boolean;
  subnetPool?: string;
}
interface DownOptions extends Common {
  instance: string;
  all?: boolean;
  orphans?: boolean;
}
interface StatusOptions extends Common {
  instance?: string;
  format: 'terminal' | 'json';
  json?: boolean;
}
interface ExecOptions extends Common {
  instance: string;
  privileged?: boolean;
  user?: string;
  tty: boolean;
}
interface ReportOptions extends Common {
  format: Format;
  output?: string;
  results?: string;
  verbose?: boolean;
  subnetPool?: string;
  ladder?: boolean;
  ladderFormat?: LadderStyle;
}
interface CheckOptions extends ReportOptions {
  instance: string;
  submission?: string;
}
interface GradeOptions extends ReportOptions {
  submission?: string;
  submissions?: string;
  parallel?: string;
  instance?: string;
}

async function graph(ref: string, values: GraphOptions): Promise<number> {
  const lab = loadLab(ref);
  if (values.writeReadme) {
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
    const pool = enginePool(values.engines);
    const hint = `run \`lab up ${lab.def.name}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}\` first`;
    const runtime: Runtime = pool ? await holderOf(pool, lab.def.name, instance, hint, progress) : await engine();
    const state = await instanceState(runtime, lab, instance);
    if (!state.complete)
      throw new UsageError(`${lab.def.name} (instance ${instance}) is not up`, {
        hint: `run \`lab up ${lab.def.name}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}\` first, or leave out --instance for the addresses as written in lab.yaml`,
      });
    process.stdout.write(
      renderGraph(instanceDefinition(lab.def, attach(runtime, lab, instance, state, labImageTag()).plan), values.format),
    );
    return 0;
  }
  process.stdout.write(renderGraph(lab.def, values.format));
  return 0;
}

function describeNodes(plan: LabPlan): string {
  const lines = plan.nodes.map(
    (n) =>
      `  ${n.name.padEnd(12)} ${n.interfaces
        .map((i) => `${i.network} ${i.address}`)
        .join(', ')
        .padEnd(28)} ${n.container}`,
  );
  return lines.join('\n') + '\n';
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
  if (result.ladder && (output || format === 'terminal'))
    process.stdout.write('\n' + renderLadders(result.ladder, { style: ladderStyle ?? 'unicode', color: useColor(process.stdout) }));
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

/** Runs a parsed command line (src/cli/program.ts); returns the exit code. */
export async function runCommand(inv: Invocation, ctx: CommandContext = {}): Promise<number> {
  const { args } = inv;
  const o: unknown = inv.options;
  switch (inv.command) {
    case 'engines list':
    case 'engines drain':
    case 'engines undrain':
      return enginesCommand(
        inv.command.slice('engines '.length),
        args.name as string | undefined,
        o as { format: string; engines?: string },
      );
    case 'list':
      return list(o as ListOptions);
    case 'validate':
      return validate(args.labs as string[]);
    case 'graph':
      return await graph(args.lab as string, o as GraphOptions);
    case 'up':
      return up(args.lab as string, o as UpOptions, ctx);
    case 'down':
      return down(args.lab as string | undefined, o as DownOptions);
    case 'prune':
      return removeOrphans((o as Common).engines);
    case 'status':
      return status(args.lab as string | undefined, o as StatusOptions);
    case 'exec':
      return exec(args.lab as string, args.node as string, args.command as string[], o as ExecOptions);
    case 'init':
      return init(args.lab as string, args.dir as string | undefined);
    case 'check':
      return check(args.lab as string | undefined, o as CheckOptions, ctx);
    case 'grade':
      return grade(args.lab as string, o as GradeOptions, ctx);
    case 'image build':
      return imageBuild(o as { builder: LabImageBuilder; force?: boolean });
    case 'image prune':
      return imagePrune();
    case 'serve':
      return (await import('./serve.js')).serve(o as import('./serve.js').ServeOptions);
    case 'workshop create':
    case 'workshop list':
    case 'workshop export':
    case 'workshop end':
      return (await import('./workshop.js')).workshop(
        inv.command.slice('workshop '.length),
        (args.labs ?? args.workshop) as string | undefined,
        o as import('./workshop.js').WorkshopOptions,
      );
    case 'selftest':
      return (await import('./selftest.js')).selftestCommand(args.labs as string[], o as import('./selftest.js').SelftestOptions, ctx);
    case 'new':
      return (await import('./new-lab.js')).newLabCommand(args.name as string, o as { title?: string; dir?: string });
    case 'ladder':
      return (await import('./ladder.js')).ladderCommand(
        args.capture as string,
        args.endpoints as string[],
        o as import('./ladder.js').LadderOptions,
      );
    case 'completion':
      process.stdout.write((await import('./completion.js')).completionScript(args.shell as string));
      return 0;
    default:
      throw new UsageError(`unknown command '${inv.command}'`, { hint: 'run `lab help` for the commands' });
  }
}

function list(o: ListOptions): number {
  const labs = listLabs();
  if (o.json)
    process.stdout.write(
      JSON.stringify(
        labs.map((l) => ({ name: l.name, title: l.title ?? null, file: l.file, valid: l.valid })),
        null,
        2,
      ) + '\n',
    );
  else if (o.names) process.stdout.write(labs.map((l) => `${l.name}\n`).join(''));
  else if (labs.length === 0) process.stdout.write(`no labs in ${labsDir()}\n`);
  else {
    const width = Math.max(...labs.map((l) => l.name.length));
    for (const l of labs)
      process.stdout.write(`${l.name.padEnd(width)}  ${l.valid ? (l.title ?? '') : `(invalid: run \`lab validate ${l.name}\`)`}\n`);
  }
  return labs.some((l) => !l.valid) ? 3 : 0;
}

function validate(refs: string[]): number {
  const results = validateLabs(refs);
  for (const r of results) {
    if (r.problems.length > 0) {
      // One problem a line, starting with file:line:col, as editors and CI annotators read them.
      for (const p of r.problems) process.stderr.write(formatProblem(p) + '\n');
      process.stderr.write(`${r.ref}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}\n`);
    } else if (r.mistakeProblems.length > 0) {
      for (const m of r.mistakeProblems) process.stderr.write(`${m.dir}: ${m.problem}\n`);
      process.stderr.write(`${r.ref}: ${r.mistakeProblems.length} problem${r.mistakeProblems.length === 1 ? '' : 's'} in its mistakes\n`);
    } else process.stdout.write(`${r.file ?? r.ref}: ok\n`);
  }
  return results.some((r) => r.problems.length > 0 || r.mistakeProblems.length > 0) ? 3 : 0;
}

async function up(ref: string, values: UpOptions, ctx: CommandContext): Promise<number> {
  const lab = loadLab(ref);
  const instance = instanceOf(values.instance);
  const pools = poolsOf(values.subnetPool);
  if (values.dryRun) {
    process.stdout.write(describePlan(planLab(lab, { instance, image: labImageTag(), ...pools })));
    return 0;
  }
  const compiled = await compileAll(lab);
  for (const [name, msg] of Object.entries(compiled.unavailable)) progress(`${name}: ${msg}`);
  const started = Date.now();
  const { runtime, tag } = await engineFor(lab.def.name, instance, values.engines);
  progress(`bringing up ${lab.def.name} (instance ${instance})`);
  const outcome = await bringUp(lab, compiled, {
    runtime,
    image: tag,
    instance,
    subnetPools: pools,
    onProgress: progress,
    command: 'up',
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
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

async function down(ref: string | undefined, values: DownOptions): Promise<number> {
  if (values.orphans) return removeOrphans(values.engines);
  if ((values.all || values.orphans) && ref !== undefined)
    throw new UsageError(`--all removes every lab: leave out '${ref}', or leave out --all`);
  if (!values.all && ref === undefined)
    throw new UsageError('which lab? e.g. lab down tcp-handshake, or lab down --orphans (what crashed commands left), or lab down --all');
  const started = Date.now();
  const labName = values.all ? undefined : labNameOf(ref ?? '');
  const instance = values.all ? undefined : instanceOf(values.instance);
  const what = values.all ? 'every toplab lab' : `${labName} (instance ${instance})`;
  const pool = enginePool(values.engines);
  let r: DownReport;
  let unreachable: { engine: string; error: string }[] = [];
  if (pool) {
    // Every engine that holds any of it; an engine that does not answer keeps its part, and says so.
    const found = await pool.locate(labName, instance);
    const each = await Promise.all(
      found.holders.map(async (e) => ({ engine: e.spec.name, ...(await downLab({ runtime: e.runtime, lab: labName, instance })) })),
    );
    r = { containers: each.reduce((n, x) => n + x.containers, 0), networks: each.reduce((n, x) => n + x.networks, 0) };
    if (each.length > 0)
      process.stdout.write(each.map((x) => `engine ${x.engine}: ${x.containers} container(s), ${x.networks} network(s)`).join('\n') + '\n');
    // As on the local engine: creation locks left by commands that are gone go too, on every engine that answers.
    await Promise.all(pool.engines.filter((e) => !e.runtime.lost).map((e) => removeStaleLocks(e.runtime, labName, instance)));
    unreachable = found.unreachable.map((h) => ({ engine: h.name, error: h.error ?? `engine ${h.name} unreachable` }));
  } else {
    r = await downLab({ runtime: await engine(), lab: labName, instance, labFile: values.all ? undefined : labFileOf(ref ?? '') });
  }
  // An engine that did not answer may hold some of it: said, and the exit code says the work is not complete.
  for (const u of unreachable)
    process.stderr.write(`error: ${u.error}: anything of ${what} there is left; run this again when it answers\n`);
  const where = unreachable.length > 0 ? ' on the engines that answer' : '';
  if (r.containers === 0 && r.networks === 0) process.stdout.write(`${what}: nothing to remove${where}\n`);
  else
    process.stdout.write(
      `removed ${what}${where}: ${r.containers} container(s), ${r.networks} network(s) in ${((Date.now() - started) / 1000).toFixed(2)}s\n`,
    );
  return unreachable.length > 0 ? 4 : 0;
}

/**
 * A lab's name from what a user typed, the way `up` named it: the `name:` of the lab file the reference leads
 * to (a name, a folder or a lab.yaml path). Only when no lab file can be read, the last part of the path.
 */
function labNameOf(ref: string): string {
  let name: string | undefined;
  try {
    // The name alone, unvalidated: a file edited since `up` still names its instance (and the validator stays unloaded).
    name = readLabName(resolveLabFile(ref));
  } catch {
    name = undefined;
  }
  return (
    name ??
    ref
      .replace(/\/+$/, '')
      .split('/')
      .filter((seg) => seg !== 'lab.yaml' && seg !== '')
      .pop() ??
    ref
  );
}

function labFileOf(ref: string): string | undefined {
  try {
    return resolveLabFile(ref);
  } catch {
    return undefined;
  }
}

/** `lab prune` and `lab down --orphans`: removes what crashed or killed commands left, never a live owner's lab. */
async function removeOrphans(enginesFile: string | undefined): Promise<number> {
  const pool = enginePool(enginesFile);
  if (pool) {
    // Every engine that answers; one that does not is named, and the exit code says its orphans are left.
    pool.loseDown(await pool.probe());
    const r = await sweepPool(pool, { all: true });
    if (r.removed.length === 0)
      process.stdout.write(
        `no orphans${r.unreachable.length + r.failed.length > 0 ? ' on the engines that answer' : ''}: nothing to remove\n`,
      );
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

/** `lab status` over an engine pool: each engine that answers (swept first, as every command does), and those that do not. */
async function poolStatus(
  pool: EnginePool,
  lab: string | undefined,
  instance: string | undefined,
): Promise<{ instances: LabInstanceStatus[]; unreachable: { engine: string; error: string }[] }> {
  const health = await pool.probe();
  pool.loseDown(health);
  const unreachable = health.filter((h) => !h.up).map((h) => ({ engine: h.name, error: h.error ?? `engine ${h.name} unreachable` }));
  for (const o of (await sweepPool(pool)).removed)
    progress(`removed an orphaned instance ${o.lab}/${o.instance} on engine ${o.engine} (${o.reason})`);
  const live = pool.engines.filter((e) => !e.runtime.lost);
  const [per, orphans] = await Promise.all([Promise.all(live.map((e) => instanceStatuses(e.runtime, lab, instance))), poolOrphans(pool)]);
  const instances: LabInstanceStatus[] = [];
  // Orphans marked per engine, as on the local engine: each engine's own list, so one on e2 never marks e1's.
  for (const [i, e] of live.entries()) {
    const list = per[i] ?? [];
    markOrphans(
      list,
      (orphans.get(e.spec.name) ?? []).filter((o) => orphanOf(o, lab, instance)),
    );
    instances.push(...list.map((st) => ({ ...st, engine: e.spec.name })));
  }
  return { instances, unreachable };
}

async function status(ref: string | undefined, values: StatusOptions): Promise<number> {
  const json = values.json === true || values.format === 'json';
  const lab = ref === undefined ? undefined : labNameOf(ref);
  const instance = values.instance === undefined ? undefined : instanceOf(values.instance);
  const pool = enginePool(values.engines);
  const { instances: list, unreachable } = pool
    ? await poolStatus(pool, lab, instance)
    : { instances: await labStatus({ runtime: await engine(), lab, instance }), unreachable: [] };
  if (json) {
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
    process.stdout.write(
      `${st.lab} (instance ${st.instance})${st.engine !== undefined ? ` on engine ${st.engine}` : ''}${st.orphan ? `  ORPHAN: ${st.orphan.reason}; \`lab prune\` removes it` : ''}\n`,
    );
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

async function exec(labRef: string, node: string, cmd: string[], values: ExecOptions): Promise<number> {
  const lab = loadLab(labRef);
  if (!lab.def.nodes[node])
    throw new UsageError(
      `lab ${lab.def.name} has no node '${node}'${suggestion(node, Object.keys(lab.def.nodes), true)} (nodes: ${Object.keys(lab.def.nodes).join(', ')})`,
    );
  if (values.privileged && values.user !== undefined)
    throw new UsageError("--privileged runs as root in the node's observer: leave out --user, or leave out --privileged");
  const instance = instanceOf(values.instance);
  const upHint = `run \`lab up ${lab.def.name}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}\` first`;
  const pool = enginePool(values.engines);
  const runtime: Runtime = pool ? await holderOf(pool, lab.def.name, instance, upHint, progress) : await engine();
  const state = await instanceState(runtime, lab, instance);
  if (!state.complete) throw new UsageError(`${lab.def.name} (instance ${instance}) is not up`, { hint: upHint });
  const running = attach(runtime, lab, instance, state, labImageTag());
  const target = values.privileged ? await ensureObserver(running, node) : (running.containers.get(node) as string);
  // Like `docker exec -it` when used from a terminal (a shell in a node works), like `-i` otherwise: what is
  // piped in goes to the command, and its end is the command's end of input.
  const tty = values.tty && process.stdin.isTTY === true && process.stdout.isTTY === true;
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
    process.stderr.write(
      `hint: nodes have no capabilities; tools like tcpdump need --privileged: ${privilegedCommand(lab.def.name, instance, node, cmd)}\n`,
    );
  }
  return code ?? 4;
}

/** The same `lab exec` with --privileged, as the user can paste it: the instance kept, the command quoted for a shell. */
export function privilegedCommand(lab: string, instance: string, node: string, cmd: string[]): string {
  return `lab exec ${lab}${instance !== DEFAULT_INSTANCE ? ` --instance ${instance}` : ''} --privileged ${node} -- ${shellQuote(cmd)}`;
}

/** Puts the user's terminal in raw mode (keys, Ctrl-C included, go to the command in the node); returns the undo. */
function rawTerminal(): () => void {
  process.stdin.setRawMode(true);
  return () => {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
  };
}

/** `lab init <lab> [dir]`: a workspace of the student's own (src/app/workspace.ts). */
function init(ref: string, dir: string | undefined): number {
  const lab = loadLab(ref);
  const r = initWorkspace(lab, dir ?? lab.def.name);
  process.stdout.write(
    `${r.dir}: ${r.files.filter((f) => f !== WORKSPACE_FILE).join(', ')}\nedit your files there; \`lab check\` in that folder grades them (\`lab up ${lab.def.name}\` first to explore)\n`,
  );
  return 0;
}

async function check(ref: string | undefined, values: CheckOptions, ctx: CommandContext): Promise<number> {
  const { ladder, style: ladderStyle } = ladderOptionsOf(values);
  // A workspace (lab init) or --submission: the student's files; else the lab's reference, and the report says so.
  const target = checkTarget(ref, values.submission !== undefined ? { submission: values.submission } : {});
  const lab = target.lab;
  if (target.kind === 'reference')
    progress(`grading the lab's own reference files in ${lab.dir}, not yours: \`lab init ${lab.def.name}\` makes a workspace of your own`);
  else progress(`grading your files in ${target.dir}`);
  const instance = instanceOf(values.instance);
  const subnetPools = poolsOf(values.subnetPool);
  const startedAt = new Date();
  const artifactsDir = resultsDir(
    values.results ?? (target.kind === 'workspace' ? join(target.dir, 'results') : undefined),
    lab.def.name,
    instance,
  );
  let result: GradeResult;
  try {
    const { runtime, tag } = await engineFor(lab.def.name, instance, values.engines);
    result = await checkWork(target, {
      runtime,
      image: tag,
      instance,
      artifactsDir,
      subnetPools,
      onProgress: progress,
      ladder,
      command: 'check',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (e) {
    if ((e instanceof UsageError || e instanceof LabValidationError) && !ctx.signal?.aborted) throw e;
    result = errorResult({
      lab: lab.def.name,
      instance,
      ...(target.kind !== 'reference' ? { submission: target.dir } : {}),
      maxScore: lab.maxScore,
      passMark: lab.passMark,
      startedAt,
      message: describeError(e),
    });
  }
  return report(result, values.format, values.output, values.verbose ?? false, ladderStyle);
}

/**
 * --ladder and --ladder-format: whether to draw ladders, and how (unicode, ascii or mermaid; by default Unicode,
 * or ASCII outside a UTF-8 locale). A --ladder-format asks for ladders too.
 */
export function ladderOptionsOf(
  values: { ladder?: boolean; ladderFormat?: string },
  env: NodeJS.ProcessEnv = process.env,
): { ladder: boolean; style: LadderStyle } {
  const v = values.ladderFormat;
  const ladder = values.ladder === true || v !== undefined;
  if (v === undefined) return { ladder, style: unicodeTerminal(env) ? 'unicode' : 'ascii' };
  if (v !== 'unicode' && v !== 'ascii' && v !== 'mermaid')
    throw new UsageError(`unknown ladder format '${v}': use unicode, ascii or mermaid`);
  return { ladder, style: v };
}

function describeError(e: unknown): string {
  return errorMessage(e) + (e instanceof ToplabError && e.hint ? ` (${e.hint})` : '');
}

async function grade(ref: string, values: GradeOptions, ctx: CommandContext): Promise<number> {
  const format = values.format;
  const { ladder, style: ladderStyle } = ladderOptionsOf(values);
  const lab = loadLab(ref);
  const subnetPools = poolsOf(values.subnetPool);
  if (values.submission !== undefined && values.submissions !== undefined)
    throw new UsageError('give --submission (one student) or --submissions (a class), not both');
  if (values.submissions === undefined && values.parallel !== undefined)
    throw new UsageError('--parallel grades a class: it goes with --submissions');
  if (values.submissions !== undefined && ladder)
    throw new UsageError('--ladder draws one run, not a class', { hint: "lab grade <lab> --submission <one student's folder> --ladder" });
  if (values.submissions !== undefined)
    return gradeMany(lab, values.submissions, values.parallel, format, values.output ?? values.results, subnetPools, values.engines, ctx);
  if (!values.submission)
    throw new UsageError('which submission? lab grade <lab> --submission <folder or file>, or --submissions <folder of student folders>');
  const startedAt = new Date();
  const name = values.submission.replace(/\/+$/, '').split('/').pop() ?? 'submission';
  const artifactsDir = resultsDir(values.results, lab.def.name, `grade-${name}`);
  let result: GradeResult;
  try {
    // --instance names the fresh instance (a test or script can then remove it whatever happens to this process).
    const instance = values.instance !== undefined ? instanceOf(values.instance) : gradeInstanceName();
    const { runtime, tag } = await engineFor(lab.def.name, instance, values.engines);
    result = await gradeSubmission(lab, values.submission, {
      runtime,
      image: tag,
      instance,
      artifactsDir,
      subnetPools,
      onProgress: progress,
      ladder,
      command: 'grade',
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  } catch (e) {
    if ((e instanceof UsageError || e instanceof LabValidationError) && !ctx.signal?.aborted) throw e;
    // The tool failed, not the student: report `error`, and still write the report file.
    result = errorResult({
      lab: lab.def.name,
      submission: values.submission,
      maxScore: lab.maxScore,
      passMark: lab.passMark,
      startedAt,
      message: describeError(e),
    });
  }
  return report(result, format, values.output, values.verbose ?? false, ladderStyle);
}

async function gradeMany(
  lab: Lab,
  submissions: string,
  parallelArg: string | undefined,
  format: Format,
  out: string | undefined,
  subnetPools: { pool: string; pool6: string },
  enginesFile: string | undefined,
  ctx: CommandContext,
): Promise<number> {
  if (!existsSync(submissions) || !statSync(submissions).isDirectory())
    throw new UsageError(`no folder ${submissions}`, { hint: 'give a folder with one subfolder per student' });
  const parallel = parallelArg === undefined ? defaultBatchParallel() : Number(parallelArg);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64)
    throw new UsageError(`--parallel must be a whole number from 1 to 64, not '${parallelArg ?? ''}'`);
  const pool = enginePool(enginesFile);
  if (pool) {
    const outDir = out ? resolve(out) : resultsDir(undefined, lab.def.name, 'batch');
    return gradeBatchOverPool(lab, pool, {
      submissions,
      outDir,
      format,
      ...(parallelArg !== undefined ? { perEngine: parallel } : {}),
      onProgress: progress,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  }
  const { runtime, tag } = await engineAndImage();
  const outDir = out ? resolve(out) : resultsDir(undefined, lab.def.name, 'batch');
  progress(`grading ${submissions} with ${parallel} at a time; reports in ${outDir}`);
  const r = await gradeBatch(lab, {
    runtime,
    image: tag,
    submissions,
    outDir,
    parallel,
    format,
    subnetPools,
    onProgress: progress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  process.stdout.write(r.summaryCsv);
  const errors = r.rows.filter((x) => x.status === 'error').length;
  process.stdout.write(
    `graded ${r.rows.length} submission(s) in ${(r.durationMs / 1000).toFixed(1)}s: ${r.rows.filter((x) => x.status === 'passed').length} passed, ${r.rows.filter((x) => x.status === 'failed').length} failed, ${errors} could not be graded\nsummary: ${join(outDir, 'summary.csv')} and summary.json\n`,
  );
  return errors > 0 ? 4 : 0;
}

async function imageBuild(values: { builder: LabImageBuilder; force?: boolean }): Promise<number> {
  const runtime = await engine();
  const tag = await image(runtime, { builder: values.builder, force: values.force ?? false });
  process.stdout.write(`${tag}\n`);
  return 0;
}

async function imagePrune(): Promise<number> {
  const runtime = await engine();
  const r = await removeOldLabImages(runtime.docker);
  process.stdout.write(JSON.stringify(r) + '\n');
  return 0;
}
