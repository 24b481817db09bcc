import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { CheckDef, LabDefinition, ProbeKind, StepDef } from './model.js';
import { maybeTagStep } from '../exercise/step-kinds/registry.js';
import { CHECK_KINDS } from '../checks/registry.js';
import type { CheckKind, ExerciseNames, LintContext } from '../checks/kind.js';
import type { SemanticProblem } from './semantic-problem.js';
import { DEFAULTS } from './resolve.js';
import { suggestion as suggest } from './suggest.js';

/** Names the exercise defines, in the order steps define them; checks resolve their references against these. */
export type { ExerciseNames } from '../checks/kind.js';

function regexProblem(value: string): string | undefined {
  try {
    new RegExp(value, 'm');
    return undefined;
  } catch (e) {
    return `not a valid regular expression: ${(e as Error).message}`;
  }
}

/** The name a start or run step keeps its observations under. */
export function runName(step: StepDef): string | undefined {
  const t = maybeTagStep(step);
  if (!t) return undefined;
  if (t.kind === 'start') return t.step.name ?? t.step.start;
  if (t.kind === 'run') return t.step.name ?? t.step.run;
  if (t.kind === 'command') return t.step.command.name;
  return undefined;
}

/** A file named by the lab (a command file, an answer file): inside the lab folder and present. */
export function labFileProblem(labDir: string, file: string): string | undefined {
  const full = resolve(labDir, file);
  const rel = relative(labDir, full);
  if (isAbsolute(file) || rel.startsWith('..' + sep) || rel === '..') return `\`${file}\` is outside the lab folder`;
  if (!existsSync(full)) return `\`${file}\` does not exist in ${labDir} (the lab folder holds the reference version)`;
  if (relative(realpathSync(labDir), realpathSync(full)).startsWith('..')) return `\`${file}\` is a link to a file outside the lab folder`;
  return undefined;
}

/** Step and check references: what the schema cannot say. */
export function exerciseProblems(def: LabDefinition, labDir: string): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const nodes = Object.keys(def.nodes);
  const programs = Object.keys(def.programs ?? {});
  const names: ExerciseNames = { outputs: new Map(), captures: new Map(), probes: new Map() };
  const started = new Set<string>();
  const problem = (path: (string | number)[], message: string): void => {
    out.push({ path, message });
  };
  const node = (path: (string | number)[], value: string | undefined): void => {
    if (value !== undefined && !nodes.includes(value)) problem(path, `unknown node \`${value}\`${suggest(value, nodes)}`);
  };
  const networksOf = (n: string): string[] => Object.keys(def.nodes[n]?.interfaces ?? {});

  def.exercise.forEach((step, i) => {
    const at = (...p: (string | number)[]): (string | number)[] => ['exercise', i, ...p];
    const addOutput = (name: string, kind: 'start' | 'run' | 'command', onNode: string, path: (string | number)[]): void => {
      const prev = names.outputs.get(name);
      if (prev) problem(path, `the name \`${name}\` is already used by step ${prev.step + 1}; give each run its own \`name\``);
      else if (names.captures.has(name)) problem(path, `the name \`${name}\` is already a capture's name`);
      names.outputs.set(name, { step: i, kind, node: onNode });
    };
    // A step of no known kind is the schema's to report; the rest of the file is still checked.
    const t = maybeTagStep(step);
    if (!t) return;
    if (t.kind === 'start' || t.kind === 'run') {
      const program = t.kind === 'start' ? t.step.start : t.step.run;
      const field = t.kind === 'start' ? 'start' : 'run';
      if (!programs.includes(program)) problem(at(field), `unknown program \`${program}\`${suggest(program, programs)}`);
      const name = runName(t.step) ?? program;
      const onNode = def.programs?.[program]?.node ?? '';
      addOutput(name, t.kind === 'start' ? 'start' : 'run', onNode, at(t.step.name !== undefined ? 'name' : field));
      if (t.kind === 'start') {
        started.add(name);
        if (t.step.ready?.stdout !== undefined) {
          const bad = regexProblem(t.step.ready.stdout);
          if (bad) problem(at('ready', 'stdout'), bad);
        }
      }
    } else if (t.kind === 'command') {
      const c = t.step.command;
      node(at('command', 'node'), c.node);
      addOutput(c.name, 'command', c.node, at('command', 'name'));
      if (c.file !== undefined) {
        const bad = labFileProblem(labDir, c.file);
        if (bad) problem(at('command', 'file'), bad);
      }
    } else if (t.kind === 'capture') {
      const c = t.step.capture;
      node(at('capture', 'node'), c.node);
      if (names.captures.has(c.name))
        problem(
          at('capture', 'name'),
          `a capture named \`${c.name}\` is already started at step ${(names.captures.get(c.name)?.step ?? 0) + 1}`,
        );
      if (names.outputs.has(c.name)) problem(at('capture', 'name'), `the name \`${c.name}\` is already a program's or command's name`);
      names.captures.set(c.name, { step: i, node: c.node });
      if (c.command !== undefined) {
        for (const k of ['filter', 'interface', 'snaplen'] as const)
          if (c[k] !== undefined) problem(at('capture', k), `\`${k}\` comes from the command file \`${c.command}\`; leave it out`);
        if (!(def.submission?.files ?? []).includes(c.command))
          problem(at('capture', 'command'), `\`${c.command}\` is not listed under \`submission.files\`, so a student could not submit it`);
        const bad = labFileProblem(labDir, c.command);
        if (bad) problem(at('capture', 'command'), bad);
      }
    } else if (t.kind === 'probe') {
      const p = t.step.probe;
      const kind = p.kind ?? DEFAULTS.probeKind;
      node(at('probe', 'node'), p.node);
      if (names.probes.has(p.name))
        problem(at('probe', 'name'), `a probe named \`${p.name}\` is already taken at step ${(names.probes.get(p.name)?.step ?? 0) + 1}`);
      names.probes.set(p.name, { step: i, node: p.node, kind });
      const needsTarget = kind === 'ping' || kind === 'traceroute';
      if (needsTarget && p.target === undefined) problem(at('probe'), `a ${kind} probe needs \`target\`: the node to reach`);
      if (!needsTarget) {
        for (const k of ['target', 'network', 'family', 'count', 'size'] as const) {
          if (p[k] !== undefined) problem(at('probe', k), `\`${k}\` is only for ping and traceroute probes`);
        }
      }
      if (p.port !== undefined && kind !== 'lsof') problem(at('probe', 'port'), '`port` is only for lsof probes');
      if (kind !== 'ping' && (p.count !== undefined || p.size !== undefined) && needsTarget)
        problem(at('probe'), '`count` and `size` are only for ping probes');
      node(at('probe', 'target'), p.target);
      if (p.target !== undefined && p.network !== undefined && nodes.includes(p.target) && !networksOf(p.target).includes(p.network)) {
        problem(
          at('probe', 'network'),
          `node \`${p.target}\` is not on network \`${p.network}\`${suggest(p.network, networksOf(p.target))}`,
        );
      }
    } else if (t.kind === 'wait') {
      const w = t.step.wait;
      const socket = w.tcp !== undefined || w.udp !== undefined || w.unix !== undefined;
      const kinds = [socket, w.exit !== undefined, w.output !== undefined].filter(Boolean).length;
      if (kinds !== 1)
        problem(
          at('wait'),
          'wait for exactly one thing: a socket (`node` with `tcp`, `udp` or `unix`), a program ending (`exit`), or its output (`output` with `matches`)',
        );
      if (socket) {
        if ([w.tcp, w.udp, w.unix].filter((x) => x !== undefined).length > 1) problem(at('wait'), 'give one of `tcp`, `udp` or `unix`');
        if (w.node === undefined) problem(at('wait'), 'say in which node: `node: <name>`');
        node(at('wait', 'node'), w.node);
      } else if (w.node !== undefined || w.state !== undefined) {
        problem(at('wait'), '`node` and `state` go with a socket condition (`tcp`, `udp` or `unix`)');
      }
      for (const k of ['exit', 'output'] as const) {
        const v = w[k];
        if (v !== undefined && !started.has(v))
          problem(at('wait', k), `\`${v}\` is not a program started (and still running) at an earlier step${suggest(v, [...started])}`);
      }
      if (w.output !== undefined && w.matches === undefined) problem(at('wait'), 'say what to wait for: `matches: <regular expression>`');
      if (w.matches !== undefined) {
        if (w.output === undefined) problem(at('wait', 'matches'), '`matches` goes with `output: <program>`');
        const bad = regexProblem(w.matches);
        if (bad) problem(at('wait', 'matches'), bad);
      }
    } else if (t.kind === 'stop') {
      const isProgram = started.has(t.step.stop);
      const isCapture = names.captures.has(t.step.stop);
      if (!isProgram && !isCapture) {
        problem(
          at('stop'),
          `\`${t.step.stop}\` is neither a running program nor a capture started at an earlier step${suggest(t.step.stop, [...started, ...names.captures.keys()])}`,
        );
      }
      if (isCapture && t.step.signal !== undefined)
        problem(at('signal'), '`signal` is for programs; a capture is stopped with SIGINT so it flushes');
      started.delete(t.step.stop);
    }
  });

  const ids = new Set<string>();
  def.checks.forEach((c, i) => {
    if (ids.has(c.id)) problem(['checks', i, 'id'], `duplicate check id \`${c.id}\``);
    ids.add(c.id);
    checkProblems(c, ['checks', i], def, labDir, names, nodes, problem);
  });
  // What a student submits: the lab folder holds the reference of each (what `lab check` runs).
  (def.submission?.files ?? []).forEach((f, i) => {
    const bad = existsSync(resolve(labDir, f))
      ? labFileProblem(labDir, f)
      : `\`${f}\` is not in the lab folder: it holds the reference version of every file a student submits (and \`starter/\` the student's starting point)`;
    if (bad) problem(['submission', 'files', i], bad);
  });
  return out;
}

function checkProblems(
  c: CheckDef,
  base: (string | number)[],
  def: LabDefinition,
  labDir: string,
  names: ExerciseNames,
  nodes: string[],
  problem: (path: (string | number)[], message: string) => void,
): void {
  const ref = (path: (string | number)[], value: string | undefined, known: string[], what: string): void => {
    if (value !== undefined && !known.includes(value)) problem(path, `unknown ${what} \`${value}\`${suggest(value, known)}`);
  };
  const node = (path: (string | number)[], value: string | undefined): void => ref(path, value, nodes, 'node');
  const captures = [...names.captures.keys()];
  const outputs = [...names.outputs.keys()];
  const probesOf = (kinds: ProbeKind[]): string[] => [...names.probes].filter(([, p]) => kinds.includes(p.kind)).map(([n]) => n);
  const probeOn = (path: (string | number)[], probe: string | undefined, onNode: string, kinds: ProbeKind[], what: string): void => {
    if (probe === undefined) return;
    const p = names.probes.get(probe);
    if (!p || !kinds.includes(p.kind)) problem(path, `unknown ${what} probe \`${probe}\`${suggest(probe, probesOf(kinds))}`);
    else if (p.node !== onNode) problem(path, `the probe \`${probe}\` reads node \`${p.node}\`, not \`${onNode}\``);
  };
  const regex = (path: (string | number)[], value: string | undefined): void => {
    if (value === undefined) return;
    const bad = regexProblem(value);
    if (bad) problem(path, bad);
  };
  const networkOf = (path: (string | number)[], n: string, network: string | undefined): void => {
    const nets = Object.keys(def.nodes[n]?.interfaces ?? {});
    if (network !== undefined && def.nodes[n] && !nets.includes(network))
      problem(path, `node \`${n}\` is not on network \`${network}\`${suggest(network, nets)}`);
  };
  const submitted = (path: (string | number)[], file: string): void => {
    if (!(def.submission?.files ?? []).includes(file))
      problem(path, `\`${file}\` is not listed under \`submission.files\`, so a student could not submit it`);
    const bad = labFileProblem(labDir, file);
    if (bad) problem(path, bad);
  };
  const portRef = (path: (string | number)[], r: { node: string; tcp?: number; udp?: number; probe?: string }): void => {
    node([...path, 'node'], r.node);
    if ((r.tcp === undefined) === (r.udp === undefined)) problem(path, 'say which port: `tcp: <port>` or `udp: <port>`');
    probeOn([...path, 'probe'], r.probe, r.node, ['sockets', 'lsof'], 'sockets or lsof');
  };

  const kind = CHECK_KINDS.find((k) => k.name in c) as CheckKind | undefined;
  if (!kind?.lint) return;
  const at = (path: (string | number)[]): (string | number)[] => [...base, kind.name, ...path];
  const ctx: LintContext = {
    problem: (path, message) => problem(at(path), message),
    ref: (path, value, known, what) => ref(at(path), value, known, what),
    node: (path, value) => node(at(path), value),
    probeOn: (path, probe, onNode, kinds, what) => probeOn(at(path), probe, onNode, kinds, what),
    probesOf,
    regex: (path, value) => regex(at(path), value),
    networkOf: (path, n, network) => networkOf(at(path), n, network),
    submitted: (path, file) => submitted(at(path), file),
    portRef: (path, r) => portRef(at(path), r),
    suggest,
    captures,
    outputs,
    names,
  };
  kind.lint((c as Record<string, unknown>)[kind.name], ctx);
}
