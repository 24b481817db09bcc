// Writes schema/lab.schema.json from the lab format's one source, LabSchema in src/lab/lab-schema.ts (TypeBox).
// Run after changing the format: `node scripts/gen-schema.mjs` (test/unit/schema-source.test.ts fails until then).
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
try {
  const { labSchemaJson } = await import(helper.href);
  text = labSchemaJson();
} finally {
  rmSync(helper, { force: true });
}
const file = new URL('../schema/lab.schema.json', import.meta.url);
if (process.argv.includes('--check')) {
  const current = readFileSync(file, 'utf8');
  if (current !== text) {
    process.stderr.write('schema/lab.schema.json is not what src/lab/lab-schema.ts generates: run node scripts/gen-schema.mjs\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
