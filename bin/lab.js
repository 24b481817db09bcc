#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('toplab is not built yet: run `npm ci` (or `npm run build`) in the toplab folder first.\n');
  process.exit(2);
}
await import(entry.href);
