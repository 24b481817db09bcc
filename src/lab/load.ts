import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { LabValidationError, UsageError, type LabProblem } from '../errors.js';
import { labsDir, projectRoot } from '../paths.js';
import type { Lab, LabDefinition } from './model.js';
import { semanticProblems } from './semantics.js';

const MAX_LAB_FILE_BYTES = 256 * 1024;

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let validator: Validate | undefined;

function schemaValidator(): Validate {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(join(projectRoot(), 'schema', 'lab.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false, allowUnionTypes: true });
  // ajv-formats is CommonJS; its default export arrives as a namespace under NodeNext.
  const addFormats = (addFormatsModule as unknown as { default: (a: Ajv2020) => void }).default ?? addFormatsModule;
  addFormats(ajv);
  validator = ajv.compile(schema) as Validate;
  return validator;
}

/** Finds a lab by name (a folder under labs/) or by path (a folder or a lab.yaml). */
export function resolveLabFile(ref: string): string {
  const candidates = [ref, join(ref, 'lab.yaml'), join(labsDir(), ref, 'lab.yaml')];
  for (const c of candidates) {
    const p = isAbsolute(c) ? c : resolve(c);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  throw new UsageError(`no lab named '${ref}'`, { hint: 'run `lab list` to see the labs, or give the path of a lab.yaml' });
}

/** Reads, parses and validates a lab file; throws LabValidationError listing every problem found. */
export function loadLab(ref: string): Lab {
  const file = resolveLabFile(ref);
  const text = readFileSync(file, 'utf8');
  const def = parseLabText(text, file);
  return { def, dir: dirname(file), file };
}

export function parseLabText(text: string, file: string): LabDefinition {
  const name = file;
  if (Buffer.byteLength(text) > MAX_LAB_FILE_BYTES) {
    throw new LabValidationError([{ file: name, path: '', message: `the file is ${Buffer.byteLength(text)} bytes; a lab file may be at most ${MAX_LAB_FILE_BYTES}` }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: LabProblem[] = [];
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    problems.push({ file: name, line: pos.line, col: pos.col, path: '', message: 'YAML syntax: ' + firstLine(e.message) });
  }
  if (problems.length > 0) throw new LabValidationError(problems);
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  if (data === null || data === undefined) {
    throw new LabValidationError([{ file: name, line: 1, col: 1, path: '', message: 'the file is empty; a lab file is a map with name, title, networks, nodes, exercise and checks' }]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new LabValidationError([{ file: name, line: 1, col: 1, path: '', message: `a lab file must be a map of keys (name, title, networks, ...), not ${Array.isArray(data) ? 'a list' : 'a ' + typeof data}` }]);
  }
  const validate = schemaValidator();
  if (!validate(data)) {
    for (const e of simplifyErrors(explainOneOf(validate.errors ?? []))) {
      const path = pointerToPath(e.instancePath);
      problems.push({ file: name, ...position(doc, lineCounter, path, e), path: path.join('.'), message: describe(e) });
    }
    throw new LabValidationError(problems);
  }
  const def = data as LabDefinition;
  for (const p of semanticProblems(def, dirname(file))) {
    problems.push({ file: name, ...position(doc, lineCounter, p.path, undefined), path: p.path.join('.'), message: p.message });
  }
  if (problems.length > 0) throw new LabValidationError(problems);
  return def;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function position(doc: Document, lc: LineCounter, path: (string | number)[], e: ErrorObject | undefined): { line?: number; col?: number } {
  let target: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
  // Point at the unknown key itself, not at its parent map.
  if (e?.keyword === 'additionalProperties' || e?.keyword === 'unevaluatedProperties') {
    const extra = (e.params as { additionalProperty?: string; unevaluatedProperty?: string });
    const key = extra.additionalProperty ?? extra.unevaluatedProperty;
    if (isMap(target) && key !== undefined) {
      const pair = target.items.find((it) => isScalar(it.key) && it.key.value === key);
      if (pair && isNode(pair.key)) target = pair.key;
    }
  }
  for (let p = path; !isNode(target) && p.length > 0; ) {
    p = p.slice(0, -1);
    target = p.length === 0 ? doc.contents : doc.getIn(p, true);
  }
  if (isNode(target) && target.range) {
    const pos = lc.linePos(target.range[0]);
    return { line: pos.line, col: pos.col };
  }
  return {};
}

/** The key each branch of a `oneOf: [{required: [k]}, ...]` requires, or undefined for other oneOfs. */
function oneOfKeys(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches)) return undefined;
  const keys = branches.map((b: unknown) => {
    const req = b !== null && typeof b === 'object' ? (b as { required?: unknown }).required : undefined;
    return Array.isArray(req) && req.length === 1 && typeof req[0] === 'string' ? req[0] : undefined;
  });
  return keys.every((k): k is string => k !== undefined) ? keys : undefined;
}

/**
 * A `oneOf` of "exactly one of these keys" (step kinds, check kinds) fails with one `required` error per
 * branch; say it once, in words: which keys are possible, or which of them are given together.
 */
function explainOneOf(errors: ErrorObject[]): ErrorObject[] {
  const kindOneOfs = errors
    .filter((e) => e.keyword === 'oneOf')
    .map((e) => ({ e, keys: oneOfKeys(e.schema) }))
    .filter((x): x is { e: ErrorObject; keys: string[] } => x.keys !== undefined);
  const covered = (e: ErrorObject): boolean =>
    e.keyword === 'required' && kindOneOfs.some(({ e: o }) => o.instancePath === e.instancePath && e.schemaPath.startsWith(o.schemaPath + '/'));
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (covered(e)) continue;
    const keys = e.keyword === 'oneOf' ? oneOfKeys(e.schema) : undefined;
    if (!keys) {
      out.push(e);
      continue;
    }
    const value: unknown = e.data;
    const present = value !== null && typeof value === 'object' ? keys.filter((k) => k in value) : [];
    if (present.length === 1) continue; // the branch that applies reports its own problems
    const list = keys.map((k) => `\`${k}\``).join(', ');
    const message = present.length > 1 ? `give only one of ${list}; found ${present.map((k) => `\`${k}\``).join(' and ')}` : `needs exactly one of ${list}`;
    out.push({ ...e, keyword: 'explained', message, params: {} });
  }
  return out;
}

/** Drops errors that only restate another: oneOf branches that failed because a sibling branch was meant. */
function simplifyErrors(errors: ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of specific) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const out: ErrorObject[] = [];
  const seen = new Set<string>();
  for (const e of specific) {
    const key = e.instancePath + '|' + describe(e);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  if (out.length === 0) return errors.slice(0, 1);
  return out;
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key \`${String(p.additionalProperty)}\``;
    case 'unevaluatedProperties':
      return `unknown key \`${String(p.unevaluatedProperty)}\``;
    case 'required':
      return `missing \`${String(p.missingProperty)}\``;
    case 'type':
      return `should be ${String(p.type)}`;
    case 'enum':
      return `should be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return `\`${'value'}\` does not have the expected form (${String(p.pattern)})`;
    case 'format':
      return `should be ${p.format === 'ipv4' ? 'an IPv4 address like 10.0.1.10' : 'a valid ' + String(p.format)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `should be ${String(p.comparison)} ${String(p.limit)}`;
    case 'minProperties':
      return `should have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}`;
    case 'minItems':
      return `should have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'propertyNames':
      return `the name \`${String(p.propertyName)}\` is not a valid name (lower-case letters, digits, hyphens)`;
    default:
      return e.message ?? e.keyword;
  }
}
