import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { explainSchemaErrors } from './schema-errors.js';
import { compileValidator, prebuiltValidator, type Validate } from './schema-validator.js';
import { LabValidationError, UsageError, type LabProblem } from '../errors.js';
import { labsDir, projectRoot } from '../paths.js';
import type { Lab, LabDefinition } from './model.js';
import { resolveLab } from './resolve.js';
import { semanticProblems } from './semantics.js';
import { suggestion } from './suggest.js';
import { yamlModule, yamlPosition } from './yaml-source.js';

const MAX_LAB_FILE_BYTES = 256 * 1024;

let validator: Validate | undefined;

let schemaText: string | undefined;
let schemaCache: object | undefined;

function labSchemaText(): string {
  return (schemaText ??= readFileSync(join(projectRoot(), 'schema', 'lab.schema.json'), 'utf8'));
}

/** The lab file's JSON Schema (schema/lab.schema.json), the source of truth for lab files. */
export function labSchema(): object {
  return (schemaCache ??= JSON.parse(labSchemaText()) as object);
}

/** The build's precompiled validator when it matches the schema on disk (see scripts/build.mjs), else compiled now. */
function schemaValidator(): Validate {
  return (validator ??=
    prebuiltValidator(join(projectRoot(), 'dist', 'lab-validator.cjs'), labSchemaText()) ?? compileValidator(labSchema()));
}

/** Finds a lab by name (a folder under labs/) or by path (a folder or a lab.yaml). */
export function resolveLabFile(ref: string): string {
  const candidates = [ref, join(ref, 'lab.yaml'), join(labsDir(), ref, 'lab.yaml')];
  for (const c of candidates) {
    const p = isAbsolute(c) ? c : resolve(c);
    if (existsSync(p) && statSync(p).isFile() && /\.ya?ml$/i.test(p)) return p;
  }
  // A lab's program or README given instead of its lab file: say so rather than read it as YAML.
  const p = resolve(ref);
  if (existsSync(p) && statSync(p).isFile()) {
    throw new UsageError(`${ref} is not a lab file: a lab file is YAML (lab.yaml, or a name ending in .yaml or .yml)`, {
      hint: `give the lab's folder (${dirname(ref) === '' ? '.' : dirname(ref)}) or its lab.yaml`,
    });
  }
  throw new UsageError(`no lab named '${ref}'${suggestion(ref, labNamesIn(labsDir()), true)}`, {
    hint: 'run `lab list` to see the labs, or give the path of a lab.yaml',
  });
}

/** The lab folders of `dir` (those holding a lab.yaml): what a mistyped lab name is compared with. */
function labNamesIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((d) => existsSync(join(dir, d, 'lab.yaml')));
  } catch {
    return [];
  }
}

/** A lab's name as the schema allows it (its `dnsLabel`). */
const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * The `name:` of a lab file (a path from resolveLabFile), read without validating the rest: what `lab down`
 * needs, the name `lab up` gave the instance, without loading the validator. A block mapping's one top-level
 * `name:` line is read as it stands; anything else (a flow mapping, an anchor, a name spread over lines) is
 * parsed as YAML. Undefined when the file has no such name or cannot be read.
 */
export function readLabName(file: string): string | undefined {
  let text: string;
  try {
    if (statSync(file).size > MAX_LAB_FILE_BYTES) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // Column 0 is the top level of a block mapping: a block scalar's or nested map's lines are indented.
  const lines = [...text.matchAll(/^name:[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s#'"][^\s#]*))[ \t]*(?:#.*)?$(?!\n[ \t]+[^\s#])/gm)];
  const simple = !/^(?:---|%|[{[])/m.test(text) && lines.length === 1 ? lines[0] : undefined;
  const quick = simple?.[1] ?? simple?.[2] ?? simple?.[3];
  if (quick !== undefined && LAB_NAME.test(quick)) return quick;
  try {
    const doc: unknown = yamlModule().parse(text, { uniqueKeys: true, merge: true });
    const name = doc !== null && typeof doc === 'object' ? (doc as { name?: unknown }).name : undefined;
    return typeof name === 'string' && LAB_NAME.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}

/** Reads, parses and validates a lab file; throws LabValidationError listing every problem found. */
export function loadLab(ref: string): Lab {
  const file = resolveLabFile(ref);
  const size = statSync(file).size;
  // Never read a huge file into memory just to say it is too big.
  const text = size > MAX_LAB_FILE_BYTES ? 'x'.repeat(MAX_LAB_FILE_BYTES + 1) : readFileSync(file, 'utf8');
  const shown = relative(process.cwd(), file);
  const def = parseLabText(text, file, shown.startsWith('..') || isAbsolute(shown) ? file : shown, size);
  return { def, dir: dirname(file), file, ...resolveLab(def) };
}

/** Parses and validates lab text; `file` locates program sources, `shownAs` is the name problems carry. */
export function parseLabText(text: string, file: string, shownAs = file, sizeOnDisk?: number): LabDefinition {
  const name = shownAs;
  const bytes = sizeOnDisk ?? Buffer.byteLength(text);
  if (bytes > MAX_LAB_FILE_BYTES) {
    throw new LabValidationError([
      {
        file: name,
        line: 1,
        col: 1,
        path: '',
        message: `the file is ${bytes} bytes; a lab file may be at most ${MAX_LAB_FILE_BYTES} bytes (${MAX_LAB_FILE_BYTES / 1024} KiB)`,
      },
    ]);
  }
  const yaml = yamlModule();
  const lineCounter = new yaml.LineCounter();
  // merge: YAML 1.1 merge keys (`<<: *defaults`), which lab authors use to share a node's or program's settings.
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const problems: LabProblem[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    problems.push({ file: name, line: pos.line, col: pos.col, path: '', message: yamlMessage(e.code, e.message, text, e.pos[0]) });
  }
  if (problems.length > 0) throw new LabValidationError(problems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // An alias bomb or a similar abuse of anchors: say so instead of expanding it.
    throw new LabValidationError([
      {
        file: name,
        line: 1,
        col: 1,
        path: '',
        message: `YAML: the file could not be read as data (${firstLine(e instanceof Error ? e.message : String(e))})`,
      },
    ]);
  }
  if (data === null || data === undefined) {
    throw new LabValidationError([
      {
        file: name,
        line: 1,
        col: 1,
        path: '',
        message: 'the file is empty; a lab file is a map with name, title, networks, nodes, exercise and checks',
      },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    const pos = yamlPosition(doc, lineCounter, [], undefined);
    throw new LabValidationError([
      {
        file: name,
        line: pos.line ?? 1,
        col: pos.col ?? 1,
        path: '',
        message: `a lab file must be a map of keys (name, title, networks, ...), not ${Array.isArray(data) ? 'a list' : typeof data === 'string' ? 'a line of text' : 'a ' + typeof data}`,
      },
    ]);
  }
  const validate = schemaValidator();
  if (!validate(data)) {
    const schemaProblems = explainSchemaErrors(validate.errors ?? [], labSchema());
    for (const p of schemaProblems) {
      problems.push({ file: name, ...yamlPosition(doc, lineCounter, p.path, p.key), path: p.path.join('.'), message: p.message });
    }
    // The rest of the file may hold problems of meaning too: report them now rather than on the next run,
    // except where the shape is already wrong (the checks assume the schema's shape, so guard them).
    try {
      const broken = schemaProblems.map((p) => p.path.join('.'));
      for (const p of semanticProblems(data as LabDefinition, dirname(file))) {
        const at = p.path.join('.');
        if (broken.some((b) => b === '' || at === b || at.startsWith(b + '.') || b.startsWith(at + '.'))) continue;
        problems.push({ file: name, ...yamlPosition(doc, lineCounter, p.path, p.key), path: at, message: p.message });
      }
    } catch {
      // A shape the checks cannot walk: the schema problems already say what to fix first.
    }
    throw new LabValidationError(sortProblems(problems));
  }
  const def = data as LabDefinition;
  // The one default the model fills in: a lab may have no programs (a lab of tools and commands only).
  def.programs ??= {};
  for (const p of semanticProblems(def, dirname(file))) {
    problems.push({ file: name, ...yamlPosition(doc, lineCounter, p.path, p.key), path: p.path.join('.'), message: p.message });
  }
  if (problems.length > 0) throw new LabValidationError(sortProblems(problems));
  return def;
}

/** In the order they appear in the file, so a reader can go down the file fixing them. */
function sortProblems(problems: LabProblem[]): LabProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.col ?? 0) - (b.p.col ?? 0) || a.i - b.i)
    .map((x) => x.p);
}

function yamlMessage(code: string, message: string, text: string, offset: number): string {
  if (code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(text.slice(offset))?.[0]?.trim();
    return `YAML: the key ${key ? '`' + key + '` ' : ''}appears twice in the same map`;
  }
  if (code === 'TAB_AS_INDENT') return 'YAML: a tab is used for indentation; indent with spaces';
  return 'YAML syntax: ' + firstLine(message).replace(/ at line \d+, column \d+$/, '');
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
