import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_KINDS } from '../../../src/checks/registry.js';
import { labSchemaJson, withGeneratedTables } from '../../../src/lab/lab-schema.js';
import { STEP_KINDS } from '../../../src/exercise/step-kinds/registry.js';
import { ROOT } from '../../helpers/cli.js';

describe('the lab format has one source (src/lab/lab-schema.ts)', () => {
  it('schema/lab.schema.json is exactly what it generates (run `node scripts/gen-schema.mjs` after changing the format)', () => {
    expect(readFileSync(join(ROOT, 'schema', 'lab.schema.json'), 'utf8')).toBe(labSchemaJson());
  });

  it("docs/lab-format.md's tables of check kinds and probe kinds are the registries' (run `node scripts/gen-schema.mjs` after adding a kind)", () => {
    const doc = readFileSync(join(ROOT, 'docs', 'lab-format.md'), 'utf8');
    expect(withGeneratedTables(doc)).toBe(doc);
    // Each kind also has its own section, with an example.
    for (const k of CHECK_KINDS)
      expect(
        doc.split('\n').some((l) => l.startsWith('#### ') && l.includes(`\`${k.name}\``)),
        k.name,
      ).toBe(true);
  });

  it('publishes every check kind of the registry and every step kind, each with a description', () => {
    const schema = JSON.parse(labSchemaJson()) as {
      $defs: Record<string, { properties: Record<string, { description?: string }>; oneOf: { required: string[] }[] }>;
    };
    const check = schema.$defs.check!;
    expect(check.oneOf.map((o) => o.required[0])).toEqual(CHECK_KINDS.map((k) => k.name));
    for (const k of CHECK_KINDS) expect(check.properties[k.name]?.description, k.name).toMatch(/\w{3,}/);
    const step = schema.$defs.step!;
    expect(step.oneOf.map((o) => o.required[0])).toEqual(STEP_KINDS.map((k) => k.key));
  });
});
