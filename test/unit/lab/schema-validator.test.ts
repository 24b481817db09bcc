import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { labSchema } from '../../../src/lab/load.js';
import { explainSchemaErrors } from '../../../src/lab/schema-errors.js';
import { compileValidator, prebuiltValidator, standaloneValidatorSource, type Validate } from '../../../src/lab/schema-validator.js';
import { ROOT } from '../../helpers/cli.js';

const CORPUS = join(ROOT, 'test/fixtures/invalid-labs');
const schemaText = readFileSync(join(ROOT, 'schema/lab.schema.json'), 'utf8');
// Inside the project, so the generated module finds ajv's runtime parts in node_modules as dist/ does.
const cache = join(ROOT, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const work = mkdtempSync(join(cache, 'toplab-validator-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function explained(validate: Validate, data: unknown): string[] {
  if (validate(data)) return [];
  return explainSchemaErrors(validate.errors ?? [], labSchema()).map(
    (p) => `${p.path.join('.')}${p.key ? `[${p.key}]` : ''}: ${p.message}`,
  );
}

describe('the precompiled lab validator', () => {
  const file = join(work, 'lab-validator.cjs');
  writeFileSync(file, standaloneValidatorSource(schemaText));
  const prebuilt = prebuiltValidator(file, schemaText);
  const compiled = compileValidator(labSchema());

  it('is used only for the schema text it was built from', () => {
    expect(prebuilt).toBeDefined();
    expect(prebuiltValidator(file, schemaText.replace('"title"', '"title" '))).toBeUndefined();
    expect(prebuiltValidator(join(work, 'missing.cjs'), schemaText)).toBeUndefined();
  });

  it('explains every invalid lab of the corpus exactly as the validator compiled at run time does', () => {
    const cases = readdirSync(CORPUS).filter((d) => statSync(join(CORPUS, d)).isDirectory());
    let withSchemaErrors = 0;
    for (const c of cases) {
      const doc = parseDocument(readFileSync(join(CORPUS, c, 'lab.yaml'), 'utf8'), { uniqueKeys: false });
      if (doc.errors.length > 0) continue;
      let data: unknown;
      try {
        data = doc.toJS({ maxAliasCount: 100 });
      } catch {
        continue;
      }
      const want = explained(compiled, data);
      if (want.length > 0) withSchemaErrors++;
      expect(explained(prebuilt as Validate, data), c).toEqual(want);
    }
    expect(withSchemaErrors).toBeGreaterThanOrEqual(25); // the rest are YAML or meaning errors
    for (const lab of readdirSync(join(ROOT, 'labs'))) {
      const data = parseDocument(readFileSync(join(ROOT, 'labs', lab, 'lab.yaml'), 'utf8')).toJS() as unknown;
      expect((prebuilt as Validate)(data), lab).toBe(true);
    }
  });
});
