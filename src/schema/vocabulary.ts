/**
 * The few schema builders the lab format is written with, on top of TypeBox (https://github.com/sinclairzx81/typebox):
 * each returns plain JSON Schema (draft 2020-12, as ajv reads it) and carries its TypeScript type, so the
 * published schema (schema/lab.schema.json) and the model's types (src/lab/model.ts) come from one source.
 */
import { Type, type SchemaOptions, type Static, type TProperties, type TSchema, type TUnsafe } from '@sinclair/typebox';

export { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';

const defNames = new Map<TSchema, string>();

/** A shared definition, published under `$defs/<name>` and used through `ref`. */
export function def<T extends TSchema>(name: string, schema: T): T {
  defNames.set(schema, name);
  return schema;
}

/** `{ $ref: '#/$defs/<name>' }` of a definition made with `def`, typed as the definition. */
export function ref<T extends TSchema>(schema: T, options: SchemaOptions = {}): TUnsafe<Static<T>> {
  const name = defNames.get(schema);
  if (name === undefined) throw new Error('ref() of a schema that def() did not name');
  return Type.Unsafe<Static<T>>({ $ref: `#/$defs/${name}`, ...options });
}

/** `{ enum: [...] }`: ajv's message for it lists the allowed values (TypeBox's union of literals would not). */
export function Enum<const V extends readonly (string | number)[]>(values: V, options: SchemaOptions = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ enum: [...values], ...options });
}

/** A map of names to values: `{ type: object, additionalProperties: <value> }` plus `propertyNames` and the like. */
export function MapOf<T extends TSchema>(value: T, options: SchemaOptions = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', ...options, additionalProperties: value });
}

/** A schema TypeBox has no builder for (a `type` list, `anyOf` of formats), with the type it validates. */
export function Raw<T>(schema: SchemaOptions): TUnsafe<T> {
  return Type.Unsafe<T>(schema);
}

/** The schema as published: plain JSON, without TypeBox's symbols. */
export function toJson(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema)) as unknown;
}

/** One of the keys, alone: `{ a: A } | { b: B } | ...`. */
export type OneKeyOf<P extends TProperties> = { [K in keyof P]: { [Q in K]: Static<P[K]> } }[keyof P];

/**
 * An object holding exactly one of `properties` (a choice written as its key, like `expect: { hops: ... }`):
 * `oneOf` of `required` lists, typed as the union of one-key objects.
 */
export function ExactlyOne<P extends TProperties>(properties: P, options: SchemaOptions = {}): TUnsafe<OneKeyOf<P>> {
  return Type.Unsafe<OneKeyOf<P>>({
    type: 'object',
    ...options,
    properties,
    oneOf: Object.keys(properties).map((k) => ({ required: [k] })),
  });
}
