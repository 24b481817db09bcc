/**
 * Checks JSON against the API's schemas (src/server/api.ts) with ajv: the request bodies the server accepts,
 * and in the tests the answers it sends.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Static, TSchema } from '@sinclair/typebox';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function validator(schema: TSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(schema)));
  return v;
}

/** What keeps `value` from fitting `schema`, one `<JSON pointer> <message>` each; empty when it fits. */
export function apiProblems(schema: TSchema, value: unknown): string[] {
  const v = validator(schema);
  if (v(value)) return [];
  return (v.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
    return `${e.instancePath || '/'} ${e.message ?? 'does not fit'}${extra}`;
  });
}

/** `value` typed by its schema when it fits; else `onProblems` is called with what is wrong (and must throw). */
export function checked<T extends TSchema>(schema: T, value: unknown, onProblems: (problems: string[]) => never): Static<T> {
  const problems = apiProblems(schema, value);
  if (problems.length > 0) onProblems(problems);
  return value as Static<T>;
}
