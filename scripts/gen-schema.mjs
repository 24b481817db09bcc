// Writes schema/lab.schema.json from the lab format's one source, LabSchema in src/lab/lab-schema.ts (TypeBox),
// and the table of check kinds in docs/lab-format.md from the check registry (src/checks/registry.ts).
// Run after changing the format: `node scripts/gen-schema.mjs` (test/unit/lab/schema-source.test.ts fails until then).
// `--check` only says whether the committed file is current (exit 1 when it is not).
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const helper = new URL('../dist/.lab-schema-build.mjs', import.meta.url);
await build({
  entryPoints: [new URL('../src/lab/lab-schema.ts', import.meta.url).pathname],
  outfile: helper.pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(pkg.dependencies ?? {}),
  logLevel: 'warning',
});
let text;
let withTable;
try {
  const mod = await import(helper.href);
  text = mod.labSchemaJson();
  withTable = mod.withGeneratedTables;
} finally {
  rmSync(helper, { force: true });
}
const file = new URL('../schema/lab.schema.json', import.meta.url);
const docFile = new URL('../docs/lab-format.md', import.meta.url);
const doc = readFileSync(docFile, 'utf8');
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text || withTable(doc) !== doc) {
    process.stderr.write(
      'schema/lab.schema.json or the check-kind table of docs/lab-format.md is not what src/lab/lab-schema.ts generates: run node scripts/gen-schema.mjs\n',
    );
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
  writeFileSync(docFile, withTable(doc));
}
