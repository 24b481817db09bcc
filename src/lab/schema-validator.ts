import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020.js';

export type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

// ajv is loaded only when a validator has to be compiled or generated (~60 ms of start-up otherwise).
const load = createRequire(import.meta.url);

function newAjv(source: boolean): Ajv2020 {
  const { Ajv2020: Ajv } = load('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const { _ } = load('ajv') as typeof import('ajv');
  const formats = load('ajv-formats') as { default?: (a: Ajv2020) => void } & ((a: Ajv2020) => void);
  const addFormats = formats.default ?? formats;
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    // Generated code names the formats it needs by where to load them from.
    ...(source ? { code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` } } : {}),
  });
  // A plain-words description of what a value should look like, used in error messages.
  ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
  addFormats(ajv);
  return ajv;
}

export function schemaHash(schemaText: string): string {
  return createHash('sha256').update(schemaText).digest('hex');
}

/** Compiles the lab schema now (about 250 ms: ajv generates and evaluates the validator's code). */
export function compileValidator(schema: object): Validate {
  return newAjv(false).compile(schema) as Validate;
}

/**
 * The validator as a CommonJS module, for the build to write next to the CLI (dist/lab-validator.cjs), marked
 * with the hash of the schema text it came from. Loading it costs a few milliseconds instead of a compile.
 */
export function standaloneValidatorSource(schemaText: string): string {
  const ajv = newAjv(true);
  const validate = ajv.compile(JSON.parse(schemaText) as object);
  const standalone = load('ajv/dist/standalone/index.js') as { default?: (a: Ajv2020, v: unknown) => string } & ((
    a: Ajv2020,
    v: unknown,
  ) => string);
  const standaloneCode = standalone.default ?? standalone;
  return `${standaloneCode(ajv, validate)}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schemaText))};\n`;
}

/** The prebuilt validator at `file`, when it exists and was built from exactly this schema text. */
export function prebuiltValidator(file: string, schemaText: string): Validate | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const mod = load(file) as Validate & { schemaHash?: string };
    return mod.schemaHash === schemaHash(schemaText) ? mod : undefined;
  } catch {
    return undefined;
  }
}
