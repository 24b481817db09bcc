import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { CheckDef, LabDefinition, ProbeKind, StepDef } from './model.js';
import { stepKindOfDef } from '../exercise/step-kinds/registry.js';
import type { StepLintContext } from '../exercise/step-kinds/kind.js';
import { CHECK_KINDS } from '../checks/registry.js';
import type { CheckKind, ExerciseNames, LintContext } from '../checks/kind.js';
import type { SemanticProblem } from './semantic-problem.js';
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
    const at = (p: (string | number)[]): (string | number)[] => ['exercise', i, ...p];
    // A step of no known kind is the schema's to report; the rest of the file is still checked.
    const kind = stepKindOfDef(step);
    if (!kind?.lint) return;
    const ctx: StepLintContext = {
      index: i,
      problem: (path, message) => problem(at(path), message),
      node: (path, value) => node(at(path), value),
      programs,
      programNode: (program) => def.programs?.[program]?.node ?? '',
      networksOf,
      nodes,
      submissionFiles: def.submission?.files ?? [],
      labFileProblem: (file) => labFileProblem(labDir, file),
      regexProblem,
      addOutput: (name, kind, onNode, path) => {
        const prev = names.outputs.get(name);
        if (prev) problem(at(path), `the name \`${name}\` is already used by step ${prev.step + 1}; give each run its own \`name\``);
        else if (names.captures.has(name)) problem(at(path), `the name \`${name}\` is already a capture's name`);
        names.outputs.set(name, { step: i, kind, node: onNode });
      },
      suggest,
      names,
      started,
    };
    (kind.lint as (step: StepDef, ctx: StepLintContext) => void)(step, ctx);
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
    if (p && !kinds.includes(p.kind)) {
      const known = probesOf(kinds);
      problem(
        path,
        `the probe \`${probe}\` is a ${p.kind} probe; this needs a ${what} probe${known.length > 0 ? ` (${known.map((k) => `\`${k}\``).join(', ')})` : ''}`,
      );
    } else if (!p) problem(path, `unknown ${what} probe \`${probe}\`${suggest(probe, probesOf(kinds))}`);
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
