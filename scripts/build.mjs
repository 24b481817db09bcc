// Bundles the CLI into dist/cli.js (ESM, Node 20). Runtime dependencies stay external.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: Object.keys(pkg.dependencies ?? {}),
  // `lab --version` prints package.json's version without reading a file at start-up.
  define: { TOPLAB_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

// The workshop server (`lab serve`, `lab workshop`): its own bundle, loaded only by those commands, so
// Fastify and SQLite cost the other commands nothing at start-up.
await build({
  entryPoints: ['src/server/serve.ts'],
  outfile: 'dist/server.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  external: Object.keys(pkg.dependencies ?? {}),
  logLevel: 'warning',
});

// The lab schema's validator, generated now rather than compiled by ajv on every command (~250 ms of each
// `lab up`, `lab check`, `lab validate`). src/lab/load.ts uses it only while its hash matches the schema file.
const helper = 'dist/.schema-validator-build.mjs';
await build({
  entryPoints: ['src/lab/schema-validator.ts'],
  outfile: helper,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(pkg.dependencies ?? {}),
  logLevel: 'warning',
});
try {
  const { standaloneValidatorSource } = await import(new URL(`../${helper}`, import.meta.url).href);
  writeFileSync('dist/lab-validator.cjs', standaloneValidatorSource(readFileSync('schema/lab.schema.json', 'utf8')));
} finally {
  rmSync(helper, { force: true });
}
