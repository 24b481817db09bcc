import type { ErrorObject } from 'ajv';
import { closest, suggestion } from './suggest.js';

/** One schema problem in plain words, with where it is. */
export interface SchemaProblem {
  path: (string | number)[];
  message: string;
  /** The problem is about this key of the map at `path` (unknown keys, bad names): point at the key. */
  key?: string;
}

type SchemaNode = Record<string, unknown>;

/**
 * Turns ajv's raw errors (allErrors, verbose) into one plain sentence per real problem. Alternatives
 * (`anyOf`/`oneOf`) are reduced to the branch the author evidently meant, so a typo in a step gives one
 * message, not one per kind of step.
 */
export function explainSchemaErrors(errors: ErrorObject[], root: object): SchemaProblem[] {
  const kept = reduceAlternatives(
    errors.map((e) => withRootSchemas(e, root as SchemaNode)),
    root as SchemaNode,
  ).filter(
    (e) =>
      // A bad map key raises its own error and then `propertyNames`; the first says more.
      !(
        e.keyword === 'propertyNames' &&
        errors.some((x) => x !== e && x.propertyName === (e.params as { propertyName?: string }).propertyName)
      ) &&
      // A key whose value failed its own schema is also "unevaluated" (a failed subschema evaluates nothing):
      // the error inside the value is the one that helps.
      !(
        e.keyword === 'unevaluatedProperties' &&
        errors.some((x) =>
          isUnder(x.instancePath, `${e.instancePath}/${(e.params as { unevaluatedProperty?: string }).unevaluatedProperty ?? ''}`),
        )
      ),
  );
  const explained = kept.map(explain);
  // "needs `title`" says nothing new next to "unknown key `titel`; did you mean `title`?".
  const meant = new Set(explained.filter((p) => p.meant !== undefined).map((p) => `${p.path.join('/')}|${p.meant}`));
  const hasUnknownKey = new Set(
    explained.filter((p) => p.key !== undefined && p.message.startsWith('unknown key')).map((p) => p.path.join('/')),
  );
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const raw of explained) {
    if (raw.missing !== undefined && meant.has(`${raw.path.join('/')}|${raw.missing}`)) continue;
    const p: SchemaProblem = {
      path: raw.path,
      message: raw.alternatives && hasUnknownKey.has(raw.path.join('/')) ? raw.message.replace(/; unknown key .*$/, '') : raw.message,
      ...(raw.key !== undefined ? { key: raw.key } : {}),
    };
    const id = JSON.stringify([p.path, p.key, p.message]);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function isUnder(path: string, parent: string): boolean {
  return path === parent || path.startsWith(parent + '/');
}

/**
 * For each failed alternative, keeps the errors of the most plausible branch only: the one whose errors lie
 * deepest in the data (it matched the shape and failed inside), then the one with fewest errors. When no
 * branch matched even its required key, a single combined message is made instead.
 */
function reduceAlternatives(errors: ErrorObject[], root: SchemaNode): ErrorObject[] {
  let list = errors.filter((e) => e.keyword !== 'if');
  const alternatives = list.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  // Innermost first, so nested alternatives are settled before the ones around them.
  alternatives.sort((a, b) => b.instancePath.length - a.instancePath.length);
  for (const alt of alternatives) {
    if (!list.includes(alt)) continue;
    const branches = Array.isArray(alt.schema) ? (alt.schema as SchemaNode[]) : [];
    // An error belongs to a branch when the schema that raised it can be reached from the branch.
    const byBranch = branches.map((branch) => {
      const deep = reachable(branch, root, false);
      const here = reachable(branch, root, true);
      return list.filter(
        (e) =>
          e !== alt &&
          isUnder(e.instancePath, alt.instancePath) &&
          (e.instancePath === alt.instancePath ? here : deep).has(e.parentSchema as object),
      );
    });
    const inAlt = new Set(byBranch.flat());
    const rest = list.filter((e) => !inAlt.has(e) && e !== alt);
    const scored = byBranch
      .map((errs, i) => ({ errs, i, score: branchScore(errs, alt.instancePath) }))
      .filter((b) => b.errs.length > 0)
      .sort((a, b) => a.score - b.score);
    const best = scored[0];
    const sameScore = scored.filter((b) => best !== undefined && b.score === best.score);
    if (best && sameScore.length === 1 && best.score < 100) {
      list = [...rest, ...best.errs];
    } else {
      // No branch is clearly meant: say what the alternatives are, once.
      list = [
        ...rest,
        {
          ...alt,
          keyword: 'alternatives',
          params: { branches: branches.map((b) => resolve(b, root)), errors: scored.flatMap((b) => b.errs) },
        },
      ];
    }
  }
  return list;
}

const rootIndexes = new WeakMap<object, Map<string, object>>();

/** Every object and array in the schema by its JSON text; the first of identical ones wins. */
function rootIndex(root: SchemaNode): Map<string, object> {
  let index = rootIndexes.get(root);
  if (index) return index;
  index = new Map();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object') return;
    const key = JSON.stringify(v);
    if (!index?.has(key)) index?.set(key, v);
    for (const child of Array.isArray(v) ? v : Object.values(v)) walk(child);
  };
  walk(root);
  rootIndexes.set(root, index);
  return index;
}

/**
 * The error with its `schema` and `parentSchema` replaced by the very objects of `root` they are equal to.
 * Alternatives are told apart by object identity with `root`'s parts, and a precompiled (standalone)
 * validator reports copies of them.
 */
function withRootSchemas(e: ErrorObject, root: SchemaNode): ErrorObject {
  const index = rootIndex(root);
  const same = <T>(v: T): T => (v !== null && typeof v === 'object' ? ((index.get(JSON.stringify(v)) as T | undefined) ?? v) : v);
  const schema: unknown = Array.isArray(e.schema) ? (e.schema as unknown[]).map(same) : same(e.schema);
  return { ...e, schema, parentSchema: same(e.parentSchema) };
}

function resolve(node: SchemaNode, root: SchemaNode): SchemaNode {
  const ref = node['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return node;
  let cur: unknown = root;
  for (const part of ref.slice(2).split('/')) cur = (cur as SchemaNode | undefined)?.[part];
  return cur && typeof cur === 'object' ? (cur as SchemaNode) : node;
}

const reachCache = new WeakMap<object, Map<boolean, Set<object>>>();
/** Keywords whose subschemas apply to the same value (not to its members). */
const IN_PLACE = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else'];

/**
 * Every schema object under `node`, following local $refs; with `samePlace`, only those that apply to the
 * value itself (not to its keys or items).
 */
function reachable(node: SchemaNode, root: SchemaNode, samePlace: boolean): Set<object> {
  let byMode = reachCache.get(node);
  const cached = byMode?.get(samePlace);
  if (cached) return cached;
  const seen = new Set<object>();
  const walk = (n: unknown): void => {
    if (!n || typeof n !== 'object' || seen.has(n)) return;
    seen.add(n);
    if (Array.isArray(n)) {
      n.forEach(walk);
      return;
    }
    const obj = n as SchemaNode;
    if (typeof obj['$ref'] === 'string') walk(resolve(obj, root));
    for (const [k, v] of Object.entries(obj)) {
      if (samePlace && !IN_PLACE.includes(k)) continue;
      walk(v);
    }
  };
  walk(node);
  if (!byMode) reachCache.set(node, (byMode = new Map()));
  byMode.set(samePlace, seen);
  return seen;
}

/** Lower is more plausible: errors deep inside the value beat a wrong type or a missing key at its top. */
function branchScore(errs: ErrorObject[], at: string): number {
  let score = 0;
  for (const e of errs) {
    if (e.instancePath === at && e.keyword === 'type') score += 1000;
    else if (e.instancePath === at && e.keyword === 'required') score += 100;
    else score += 1;
  }
  return score;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a map of keys',
  array: 'a list',
  null: 'empty',
};

function typeWords(t: unknown): string {
  const types = Array.isArray(t) ? t : String(t).split(',');
  return types.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

function actualType(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the text ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  return String(v);
}

/** Where a path is, in words: "node `server`", "interface `lan` of node `server`", "step 2". */
export function describePlace(path: (string | number)[]): string {
  const [a, b, c, d] = path;
  if (path.length === 0) return 'the lab';
  if (a === 'nodes' && typeof b === 'string') {
    if (c === 'interfaces' && typeof d === 'string')
      return `${path[4] === 'impair' ? '`impair` of ' : ''}interface \`${d}\` of node \`${b}\``;
    if (c === 'routes' && typeof d === 'number') return `route ${d + 1} of node \`${b}\``;
    if (c === 'interfaces') return `the interfaces of node \`${b}\``;
    return `node \`${b}\``;
  }
  if (a === 'networks' && typeof b === 'string') return `network \`${b}\``;
  if (a === 'programs' && typeof b === 'string') return `program \`${b}\``;
  if (a === 'exercise' && typeof b === 'number') return `step ${b + 1}`;
  if (a === 'checks' && typeof b === 'number') return `check ${b + 1}`;
  return `\`${path.join('.')}\``;
}

function knownKeys(schema: unknown): string[] {
  const s = schema as SchemaNode | undefined;
  const props = s?.['properties'];
  return props && typeof props === 'object' ? Object.keys(props) : [];
}

function hintOf(e: ErrorObject): string | undefined {
  const h = (e.parentSchema as SchemaNode | undefined)?.['x-hint'];
  return typeof h === 'string' ? h : undefined;
}

interface Explained extends SchemaProblem {
  /** An unknown key's close known key. */
  meant?: string;
  /** A missing required key. */
  missing?: string;
  alternatives?: boolean;
}

function explain(e: ErrorObject): Explained {
  const path = pointerToPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const place = describePlace(path);
  switch (e.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(p.additionalProperty ?? p.unevaluatedProperty);
      const known = knownKeys(e.parentSchema);
      const meant = closest(key, known);
      return {
        path,
        key,
        ...(meant !== undefined ? { meant } : {}),
        message: `unknown key \`${key}\` in ${place}${suggestion(key, known, true)}`,
      };
    }
    case 'required':
      return { path, missing: String(p.missingProperty), message: `${place} needs \`${String(p.missingProperty)}\`` };
    case 'type':
      return { path, message: `should be ${typeWords(p.type)}, not ${actualType(e.data)}` };
    case 'const':
      return { path, message: `should be ${hintOf(e) ?? JSON.stringify(p.allowedValue)}, not ${actualType(e.data)}` };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => (typeof v === 'string' ? `\`${v}\`` : JSON.stringify(v)));
      const values = (p.allowedValues as unknown[]).map(String);
      if (e.propertyName !== undefined) {
        return {
          path,
          key: e.propertyName,
          message: `\`${e.propertyName}\` is not ${hintOf(e) ?? 'allowed in ' + place}${suggestion(e.propertyName, values, true)}`,
        };
      }
      const near = typeof e.data === 'string' ? suggestion(e.data, values, true) : '';
      return { path, message: `${JSON.stringify(e.data)} is not allowed${near || `: use one of ${allowed.join(', ')}`}` };
    }
    case 'pattern': {
      const hint = hintOf(e) ?? `text matching ${String(p.pattern)}`;
      if (e.propertyName !== undefined) return { path, key: e.propertyName, message: `\`${e.propertyName}\` is not ${hint}` };
      return { path, message: `${JSON.stringify(e.data)} is not ${hint}` };
    }
    case 'format': {
      const words: Record<string, string> = { ipv4: 'an IPv4 address like 10.0.1.10', ipv6: 'an IPv6 address like fd00:0:0:1::10' };
      return { path, message: `${JSON.stringify(e.data)} is not ${words[String(p.format)] ?? 'a valid ' + String(p.format)}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const cmp: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'more than', '<': 'less than' };
      return {
        path,
        message: `${String(e.data)} is out of range: it should be ${cmp[String(p.comparison)] ?? String(p.comparison)} ${String(p.limit)}`,
      };
    }
    case 'minLength':
      return { path, message: 'should not be empty' };
    case 'minProperties':
      return { path, message: `${place} should have at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}` };
    case 'minItems':
      return { path, message: `should have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'uniqueItems':
      return { path, message: `lists the same value twice (items ${Number(p.j) + 1} and ${Number(p.i) + 1})` };
    case 'propertyNames':
      return { path, key: String(p.propertyName), message: `\`${String(p.propertyName)}\` is not a valid name here` };
    case 'alternatives':
      return { path, alternatives: true, message: alternativesMessage(e, place) };
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

/** "a step is one of: `start`, `run`, ..." plus an unknown-key hint against every branch's keys. */
function alternativesMessage(e: ErrorObject, place: string): string {
  const branches = ((e.params as { branches?: unknown[] }).branches ?? []).map((b) => b as SchemaNode);
  const required = branches.flatMap((b) => (Array.isArray(b['required']) ? (b['required'] as string[]) : []));
  const data = e.data;
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && required.length > 0) {
    const known = [...new Set([...branches.flatMap((b) => knownKeys(b)), ...knownKeys(e.parentSchema)])];
    const unknown = Object.keys(data).filter((k) => !known.includes(k));
    const firstUnknown = unknown[0];
    const present = required.filter((r) => r in data);
    const hint =
      present.length > 1
        ? `; found ${present.map((r) => `\`${r}\``).join(' and ')}`
        : firstUnknown !== undefined
          ? `; unknown key \`${firstUnknown}\`${suggestion(firstUnknown, required, true)}`
          : '';
    return `${place} should have exactly one of ${required.map((r) => `\`${r}\``).join(', ')}${hint}`;
  }
  const hint = hintOf(e);
  if (hint !== undefined) return `should be ${hint}, not ${actualType(data)}`;
  const branchErrors = (e.params as { errors?: ErrorObject[] }).errors ?? [];
  const types = [
    ...new Set(
      branchErrors
        .filter((x) => x.keyword === 'type' && x.instancePath === e.instancePath)
        .flatMap((x) => String((x.params as { type: unknown }).type).split(',')),
    ),
  ];
  if (types.length > 0) return `should be ${typeWords(types)}, not ${actualType(data)}`;
  return `${place} does not match any of the allowed forms`;
}
