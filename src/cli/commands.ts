import { Writable } from 'node:stream';

import { UsageError } from '../errors.js';
import { listLabs, validateLabs } from '../app/labs.js';
import { pruneOrphans, takeDown } from '../app/down.js';
import { statusOf } from '../app/status.js';
import { checkLab } from '../app/check.js';
import { execHint, execTarget } from '../app/exec.js';
import { gradeClass, gradeOne } from '../app/grade.js';
import { labGraph, writeReadmeGraph } from '../app/graph.js';
import { upLab } from '../app/up.js';
import { keepResults } from '../app/results.js';
import { instanceName, subnetPoolsOf, type EngineAccess } from '../app/engine-access.js';
import { initWorkspace, WORKSPACE_FILE } from '../app/workspace.js';
import { loadLab } from '../lab/load.js';
import { labsDir } from '../paths.js';
import { describePlan } from '../plan/describe.js';
import { renderGraph } from '../lab/graph.js';
import { removeOldLabImages, type LabImageBuilder } from '../docker.js';
import { render, type Format } from '../report/formats.js';
import { exitCodeFor, type GradeResult } from '../report/result.js';
import { renderTerminal, useColor } from '../report/terminal.js';
import { renderLadders, unicodeTerminal, type LadderStyle } from '../report/ladder.js';
import { writeOutput } from './args.js';
import type { Invocation } from './program.js';
import { engine, engineAndImage, image, progress } from './engine.js';
import {
  renderClass,
  renderDown,
  renderList,
  renderPrune,
  renderStatus,
  renderStatusJson,
  renderUp,
  renderValidation,
  type Printout,
} from './render.js';
import { renderEngines } from '../engines/engines-command.js';
import { engineHealth, setDraining } from '../app/engines.js';
import { enginePool } from '../engines/use.js';

/** What a command gets besides its arguments: the signal that stops it (see src/cli/signals.ts). */
export interface CommandContext {
  signal?: AbortSignal;
}

/**
 * The engines a command uses: the pool of --engines (or TOPLAB_ENGINES, its default), else the local engine.
 * The engines file is read when a use case first asks for the pool (a dry run or a lab.yaml graph never does).
 */
function enginesOf(file: string | undefined): EngineAccess {
  return {
    get pool() {
      return enginePool(file);
    },
    connect: engine,
    connectWithImage: engineAndImage,
    onWarning: (line) => void process.stderr.write(`warning: ${line}\n`),
  };
}

function print(p: Printout): void {
  if (p.out) process.stdout.write(p.out);
  if (p.err) process.stderr.write(p.err);
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

/** Runs a parsed command line (src/cli/program.ts); returns the exit code. */
export async function runCommand(inv: Invocation, ctx: CommandContext = {}): Promise<number> {
  const { args } = inv;
  const o: unknown = inv.options;
  switch (inv.command) {
    case 'engines list':
    case 'engines drain':
    case 'engines undrain':
      return engines(inv.command.slice('engines '.length), args.name as string | undefined, o as { format: string; engines?: string });
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

/** `lab engines list|drain|undrain`: every engine's health, version, image and load; drain or resume placements. */
async function engines(sub: string, name: string | undefined, o: { format: string; engines?: string }): Promise<number> {
  const pool = enginePool(o.engines);
  if (sub === 'drain' || sub === 'undrain') {
    await setDraining({ pool, name, draining: sub === 'drain' });
    process.stdout.write(
      sub === 'drain'
        ? `engine ${name ?? ''} is draining: its instances stay, new ones go elsewhere\n`
        : `engine ${name ?? ''} takes new instances again\n`,
    );
    return 0;
  }
  const r = await engineHealth({ pool });
  process.stdout.write(o.format === 'json' ? JSON.stringify(r.engines, null, 2) + '\n' : renderEngines(r.engines, r.image));
  return r.engines.some((h) => !h.up) ? 4 : 0;
}

function list(o: ListOptions): number {
  const labs = listLabs();
  process.stdout.write(renderList(labs, { json: o.json, names: o.names, labsDir: labsDir() }));
  return labs.some((l) => !l.valid) ? 3 : 0;
}

function validate(refs: string[]): number {
  const results = validateLabs(refs);
  print(renderValidation(results));
  return results.some((r) => r.problems.length > 0 || r.mistakeProblems.length > 0) ? 3 : 0;
}

async function graph(ref: string, values: GraphOptions): Promise<number> {
  if (values.writeReadme) {
    const r = writeReadmeGraph(ref);
    process.stdout.write(`${r.file}: ${r.changed ? 'graph written' : 'graph already up to date'}\n`);
    return 0;
  }
  const g = await labGraph({
    lab: ref,
    ...(values.instance !== undefined ? { instance: instanceName(values.instance) } : {}),
    engines: enginesOf(values.engines),
    onProgress: progress,
  });
  process.stdout.write(renderGraph(g.definition, values.format));
  return 0;
}

async function up(ref: string, values: UpOptions, ctx: CommandContext): Promise<number> {
  const lab = loadLab(ref);
  const r = await upLab({
    lab,
    instance: instanceName(values.instance),
    engines: enginesOf(values.engines),
    subnetPools: subnetPoolsOf(values.subnetPool, process.env),
    dryRun: values.dryRun ?? false,
    onProgress: progress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  if (r.dryRun) {
    process.stdout.write(describePlan(r.plan));
    return 0;
  }
  print(renderUp(r));
  return r.failures.length > 0 ? 1 : 0;
}

async function down(ref: string | undefined, values: DownOptions): Promise<number> {
  if (values.orphans) return removeOrphans(values.engines);
  if (values.all && ref !== undefined) throw new UsageError(`--all removes every lab: leave out '${ref}', or leave out --all`);
  if (!values.all && ref === undefined)
    throw new UsageError('which lab? e.g. lab down tcp-handshake, or lab down --orphans (what crashed commands left), or lab down --all');
  const r = await takeDown({
    ...(values.all ? {} : { lab: ref, instance: instanceName(values.instance) }),
    engines: enginesOf(values.engines),
  });
  print(renderDown(r));
  return r.unreachable.length > 0 ? 4 : 0;
}

/** `lab prune` and `lab down --orphans`: removes what crashed or killed commands left, never a live owner's lab. */
async function removeOrphans(enginesFile: string | undefined): Promise<number> {
  const engines = enginesOf(enginesFile);
  const r = await pruneOrphans({ engines });
  print(renderPrune(r, engines.pool !== undefined));
  return r.unreachable.length + r.failed.length > 0 ? 4 : 0;
}

async function status(ref: string | undefined, values: StatusOptions): Promise<number> {
  const r = await statusOf({
    lab: ref,
    instance: values.instance === undefined ? undefined : instanceName(values.instance),
    engines: enginesOf(values.engines),
    onProgress: progress,
  });
  process.stdout.write(values.json === true || values.format === 'json' ? renderStatusJson(r) : renderStatus(r));
  return r.unreachable.length > 0 ? 4 : 0;
}

/** `lab exec`: the use case finds the container and the user; here the user's terminal or pipes are attached to it. */
async function exec(labRef: string, node: string, cmd: string[], values: ExecOptions): Promise<number> {
  const lab = loadLab(labRef);
  const target = await execTarget({
    lab,
    node,
    instance: instanceName(values.instance),
    engines: enginesOf(values.engines),
    ...(values.privileged ? { privileged: true } : {}),
    ...(values.user !== undefined ? { user: values.user } : {}),
    onProgress: progress,
  });
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
    code = await target.runtime.execAttached(target.container, cmd, {
      ...(target.user !== undefined ? { user: target.user } : {}),
      env: { ...target.env, ...(tty ? { TERM: process.env.TERM ?? 'xterm' } : {}) },
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
  const hint = execHint(target, cmd, code, stderrTail);
  if (hint !== undefined) process.stderr.write(`hint: ${hint}\n`);
  return code ?? 4;
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
  const r = initWorkspace(lab, dir ?? lab.name);
  process.stdout.write(
    `${r.dir}: ${r.files.filter((f) => f !== WORKSPACE_FILE).join(', ')}\nedit your files there; \`lab check\` in that folder grades them (\`lab up ${lab.name}\` first to explore)\n`,
  );
  return 0;
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

async function check(ref: string | undefined, values: CheckOptions, ctx: CommandContext): Promise<number> {
  const { ladder, style: ladderStyle } = ladderOptionsOf(values);
  const { result } = await checkLab({
    lab: ref,
    submission: values.submission,
    cwd: process.cwd(),
    instance: instanceName(values.instance),
    engines: enginesOf(values.engines),
    subnetPools: subnetPoolsOf(values.subnetPool, process.env),
    results: values.results,
    keepResults: keepResults(process.env),
    ladder,
    onProgress: progress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
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

async function grade(ref: string, values: GradeOptions, ctx: CommandContext): Promise<number> {
  const { ladder, style: ladderStyle } = ladderOptionsOf(values);
  const lab = loadLab(ref);
  const subnetPools = subnetPoolsOf(values.subnetPool, process.env);
  if (values.submission !== undefined && values.submissions !== undefined)
    throw new UsageError('give --submission (one student) or --submissions (a class), not both');
  if (values.submissions === undefined && values.parallel !== undefined)
    throw new UsageError('--parallel grades a class: it goes with --submissions');
  if (values.submissions !== undefined && values.instance !== undefined)
    throw new UsageError('--instance names the one instance of --submission: a class gets a fresh instance per student', {
      hint: 'leave out --instance with --submissions (summary.json says which instance graded whom)',
    });
  if (values.submissions !== undefined && ladder)
    throw new UsageError('--ladder draws one run, not a class', { hint: "lab grade <lab> --submission <one student's folder> --ladder" });
  const common = {
    lab,
    engines: enginesOf(values.engines),
    subnetPools,
    keepResults: keepResults(process.env),
    onProgress: progress,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  if (values.submissions !== undefined) {
    const r = await gradeClass({
      ...common,
      submissions: values.submissions,
      parallel: parallelOf(values.parallel),
      outDir: values.output ?? values.results,
      format: values.format,
    });
    print(renderClass(r));
    return r.batch.rows.some((x) => x.status === 'error') ? 4 : 0;
  }
  if (!values.submission)
    throw new UsageError('which submission? lab grade <lab> --submission <folder or file>, or --submissions <folder of student folders>');
  const result = await gradeOne({
    ...common,
    submission: values.submission,
    // --instance names the fresh instance (a test or script can then remove it whatever happens to this process).
    instance: values.instance !== undefined ? instanceName(values.instance) : undefined,
    results: values.results,
    ladder,
  });
  return report(result, values.format, values.output, values.verbose ?? false, ladderStyle);
}

/** --parallel: a whole number from 1 to 64 (undefined: the batch's default). */
function parallelOf(arg: string | undefined): number | undefined {
  if (arg === undefined) return undefined;
  const n = Number(arg);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--parallel must be a whole number from 1 to 64, not '${arg}'`);
  return n;
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
