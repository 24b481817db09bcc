// Bundles the CLI into dist/cli.js (ESM, Node 20). Runtime dependencies stay external.
import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// The chunks of an earlier build (their names carry a content hash) go first.
for (const f of existsSync('dist') ? readdirSync('dist') : []) if (/^cli-.+\.js(\.map)?$/.test(f)) rmSync(`dist/${f}`);
await build({
  // Split: dist/cli.js is the entry; the commands and the help are chunks it imports when a command needs
  // them, so `lab --version` starts without parsing the rest.
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  splitting: true,
  // Chunks sit beside cli.js: the code finds its files relative to import.meta.url, the same from every chunk.
  chunkNames: 'cli-[name]-[hash]',
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

// The sh scripts toplab runs in nodes and on engine hosts (src/sh/*.sh): read at run time from dist/sh, beside
// the bundles (src/sh/scripts.ts finds them there).
rmSync('dist/sh', { recursive: true, force: true });
cpSync('src/sh', 'dist/sh', { recursive: true, filter: (f) => !f.endsWith('.ts') });

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
