import { readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { EngineError, errorMessage, LabValidationError, ToplabError, UsageError } from '../errors.js';
import { loadLab } from '../lab/load.js';
import type { Lab } from '../lab/model.js';
import { labsDir } from '../paths.js';
import { LABEL, labelFilter } from '../plan/labels.js';
import { INSTANCE_PATTERN, DEFAULT_INSTANCE, planLab, type LabPlan } from '../plan/plan.js';
import { DockerRuntime } from '../runtime/docker/docker-runtime.js';
import { ensureLabImage, labImageTag, LabImageError, removeOldLabImages, type LabImageBuilder } from '../runtime/docker/image.js';
import { removeInstance } from '../deploy/down.js';
import { attach, instanceState } from '../deploy/running-lab.js';
import { bringUp, checkInstance, compileAll, gradeSubmission } from '../grade/session.js';
import { ensureObserver } from '../exercise/observer.js';
import { PROGRAM_USER } from '../exercise/programs.js';
import { renderJson } from '../report/json.js';
import { exitCodeFor, type GradeResult } from '../report/result.js';
import { renderTerminal, useColor } from '../report/terminal.js';
import { parse, writeOutput } from './args.js';

const progress = (line: string): void => {
  process.stderr.write(`› ${line}\n`);
};

async function engine(): Promise<DockerRuntime> {
  const runtime = await DockerRuntime.connect();
  await runtime.ping();
  return runtime;
}

async function image(runtime: DockerRuntime, opts: { builder?: LabImageBuilder; force?: boolean } = {}): Promise<string> {
  try {
    const r = await ensureLabImage(runtime.docker, { ...opts, onProgress: progress });
    if (r.built) progress(`built the lab image ${r.tag} in ${r.seconds.toFixed(0)}s`);
    return r.tag;
  } catch (e) {
    if (e instanceof LabImageError) throw new EngineError(e.message, { cause: e });
    throw e;
  }
}

function instanceOf(v: string | undefined): string {
  const instance = v ?? DEFAULT_INSTANCE;
  if (!INSTANCE_PATTERN.test(instance)) throw new UsageError(`'${instance}' is not a valid instance name: use lower-case letters, digits and hyphens (at most 32)`);
  return instance;
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

function report(result: GradeResult, format: string, output: string | undefined, verbose: boolean): number {
  if (format !== 'terminal' && format !== 'json') throw new UsageError(`unknown format '${format}': use terminal or json`);
  const text = format === 'json' ? renderJson(result) : renderTerminal(result, { color: useColor(process.stdout), verbose });
  process.stdout.write(text);
  if (output) writeOutput(output, format === 'json' ? text : renderTerminal(result, { color: false, verbose: true }));
  return exitCodeFor(result);
}

function resultsDir(base: string | undefined, lab: string, name: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  return resolve(base ?? 'results', lab, `${name}-${stamp}`);
}

export async function runCommand(command: string, args: string[]): Promise<number> {
  switch (command) {
    case 'list':
      return list();
    case 'validate':
      return validate(args);
    case 'up':
      return up(args);
    case 'down':
      return down(args);
    case 'status':
      return status(args);
    case 'exec':
      return exec(args);
    case 'check':
      return check(args);
    case 'grade':
      return grade(args);
    case 'image':
      return imageCommand(args);
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
      process.stdout.write(`${lab.file}: ok\n`);
    } catch (e) {
      if (!(e instanceof LabValidationError)) throw e;
      failed++;
      process.stderr.write(e.message + '\n');
    }
  }
  return failed > 0 ? 3 : 0;
}

async function up(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' }, 'dry-run': { type: 'boolean' } }, 'up');
  const lab = oneLab(positionals, 'up');
  const instance = instanceOf(values.instance);
  if (values['dry-run']) {
    const plan = planLab(lab, { instance, image: labImageTag() });
    process.stdout.write(`plan for ${lab.def.name} (instance ${instance}); image ${plan.image}\n`);
    for (const n of plan.networks) process.stdout.write(`  network ${n.name.padEnd(10)} ${n.subnet.padEnd(18)} (declared ${n.declaredSubnet})  ${n.dockerName}, internal\n`);
    process.stdout.write(describeNodes(plan));
    process.stdout.write('subnets are chosen again at `lab up` to avoid ones in use on the engine.\n');
    return 0;
  }
  const compiled = await compileAll(lab);
  for (const [name, msg] of Object.entries(compiled.unavailable)) progress(`${name}: ${msg}`);
  const runtime = await engine();
  const started = Date.now();
  const tag = await image(runtime);
  progress(`bringing up ${lab.def.name} (instance ${instance})`);
  const outcome = await bringUp(lab, compiled, { runtime, image: tag, instance, onProgress: progress });
  if (outcome.alreadyUp) {
    process.stdout.write(`${lab.def.name} is already up (instance ${instance}); nothing changed.\n`);
  } else {
    process.stdout.write(`${lab.def.name} is up (instance ${instance}) in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  }
  process.stdout.write(describeNodes(outcome.running.plan));
  for (const f of outcome.failures) process.stderr.write(`warning: ${f}\n`);
  if (outcome.failures.length > 0) {
    process.stderr.write(`the lab stays up so you can look: lab exec ${lab.def.name} <node> -- <command>\n`);
    return 1;
  }
  return 0;
}

async function down(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' }, all: { type: 'boolean' } }, 'down');
  if (!values.all && positionals.length === 0) throw new UsageError('which lab? e.g. lab down tcp-handshake, or lab down --all');
  const runtime = await engine();
  const started = Date.now();
  const labName = values.all ? undefined : (positionals[0] ?? '').replace(/\/+$/, '').split('/').filter((s) => s !== 'lab.yaml').pop();
  const instance = values.all ? undefined : instanceOf(values.instance);
  const r = await removeInstance(runtime, labName, instance);
  const what = values.all ? 'every toplab lab' : `${labName} (instance ${instance})`;
  if (r.containers === 0 && r.networks === 0) process.stdout.write(`${what}: nothing to remove\n`);
  else process.stdout.write(`removed ${what}: ${r.containers} container(s), ${r.networks} network(s) in ${((Date.now() - started) / 1000).toFixed(2)}s\n`);
  return 0;
}

async function status(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { instance: { type: 'string' } }, 'status');
  const runtime = await engine();
  const containers = await runtime.listContainers(labelFilter(positionals[0], values.instance));
  const nodes = containers.filter((c) => c.labels[LABEL.role] === 'node');
  if (nodes.length === 0) {
    process.stdout.write('no toplab labs are running\n');
    return 0;
  }
  const groups = new Map<string, typeof nodes>();
  for (const c of nodes) {
    const key = `${c.labels[LABEL.lab]} (instance ${c.labels[LABEL.instance]})`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const [key, list] of [...groups].sort()) {
    process.stdout.write(`${key}\n`);
    for (const c of list.sort((a, b) => a.name.localeCompare(b.name))) {
      const addrs = Object.values(c.addresses ?? {}).filter((a) => a !== '').join(', ');
      process.stdout.write(`  ${(c.labels[LABEL.node] ?? '?').padEnd(12)} ${(c.running ? 'running' : 'stopped').padEnd(8)} ${addrs.padEnd(28)} ${c.name}\n`);
    }
  }
  return 0;
}

async function exec(args: string[]): Promise<number> {
  const dash = args.indexOf('--');
  if (dash < 0) throw new UsageError('put the command after --, e.g. lab exec tcp-handshake server -- netstat -tlnp');
  const cmd = args.slice(dash + 1);
  const { values, positionals } = parse(args.slice(0, dash), { instance: { type: 'string' }, privileged: { type: 'boolean' }, user: { type: 'string' } }, 'exec');
  const [labRef, node] = positionals;
  if (labRef === undefined || node === undefined || cmd.length === 0) throw new UsageError('usage: lab exec <lab> <node> -- <command> [args...]');
  const lab = loadLab(labRef);
  if (!lab.def.nodes[node]) throw new UsageError(`lab ${lab.def.name} has no node '${node}' (nodes: ${Object.keys(lab.def.nodes).join(', ')})`);
  const instance = instanceOf(values.instance);
  const runtime = await engine();
  const state = await instanceState(runtime, lab, instance);
  if (!state.complete) throw new UsageError(`${lab.def.name} (instance ${instance}) is not up`, { hint: `run \`lab up ${lab.def.name}${instance !== DEFAULT_INSTANCE ? ' --instance ' + instance : ''}\` first` });
  const running = attach(runtime, lab, instance, state, labImageTag());
  const target = values.privileged ? await ensureObserver(running, node) : (running.containers.get(node) as string);
  let stderrTail = '';
  const r = await runtime.exec(target, cmd, {
    ...(values.privileged ? {} : { user: values.user ?? PROGRAM_USER }),
    env: { HOME: values.privileged ? '/root' : '/home/student' },
    maxBytes: 0,
    onStdout: (c) => process.stdout.write(c),
    onStderr: (c) => {
      stderrTail = (stderrTail + c.toString()).slice(-2000);
      process.stderr.write(c);
    },
  });
  if (r.exitCode === 126 || r.exitCode === 127) process.stderr.write(`hint: '${cmd[0]}' could not be run in node ${node}\n`);
  else if (!values.privileged && /Operation not permitted|permission denied|You don't have permission/i.test(stderrTail)) {
    process.stderr.write(`hint: nodes have no capabilities; tools like tcpdump need --privileged: lab exec ${lab.def.name} --privileged ${node} -- ${cmd.join(' ')}\n`);
  }
  return r.exitCode ?? 4;
}

async function check(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { instance: { type: 'string' }, format: { type: 'string', default: 'terminal' }, output: { type: 'string' }, verbose: { type: 'boolean', short: 'v' }, results: { type: 'string' } },
    'check',
  );
  const lab = oneLab(positionals, 'check');
  const instance = instanceOf(values.instance);
  const compiled = await compileAll(lab);
  const runtime = await engine();
  const tag = await image(runtime);
  const artifactsDir = resultsDir(values.results, lab.def.name, instance);
  const result = await checkInstance(lab, compiled, { runtime, image: tag, instance, artifactsDir, onProgress: progress });
  return report(result, values.format, values.output, values.verbose ?? false);
}

async function grade(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { submission: { type: 'string' }, format: { type: 'string', default: 'terminal' }, output: { type: 'string' }, verbose: { type: 'boolean', short: 'v' }, results: { type: 'string' } },
    'grade',
  );
  const lab = oneLab(positionals, 'grade');
  if (!values.submission) throw new UsageError('which submission? lab grade <lab> --submission <folder or file>');
  const startedAt = new Date();
  const name = values.submission.replace(/\/+$/, '').split('/').pop() ?? 'submission';
  const artifactsDir = resultsDir(values.results, lab.def.name, `grade-${name}`);
  let result: GradeResult;
  try {
    const runtime = await engine();
    const tag = await image(runtime);
    result = await gradeSubmission(lab, values.submission, { runtime, image: tag, artifactsDir, onProgress: progress });
  } catch (e) {
    if (e instanceof UsageError || e instanceof LabValidationError) throw e;
    // The tool failed, not the student: report `error`, and still write the report file.
    result = {
      lab: lab.def.name,
      instance: '',
      submission: values.submission,
      status: 'error',
      score: 0,
      maxScore: lab.def.checks.reduce((s, c) => s + c.points, 0),
      passMark: lab.def.passMark ?? 1,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      checks: [],
      steps: [],
      message: errorMessage(e) + (e instanceof ToplabError && e.hint ? ` (${e.hint})` : ''),
    };
  }
  return report(result, values.format, values.output, values.verbose ?? false);
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

