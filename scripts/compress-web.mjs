// Writes a Brotli (.br) and a gzip (.gz) copy next to each built page asset in dist/web/assets, so the
// server sends them compressed (@fastify/static `preCompressed`) without compressing on every request.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dir = new URL('../dist/web/assets/', import.meta.url).pathname;
let raw = 0;
let br = 0;
for (const name of readdirSync(dir)) {
  if (!/\.(js|css|svg|json)$/.test(name)) continue;
  const data = readFileSync(join(dir, name));
  const b = brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } });
  writeFileSync(join(dir, `${name}.br`), b);
  writeFileSync(join(dir, `${name}.gz`), gzipSync(data, { level: 9 }));
  raw += data.length;
  br += b.length;
}
console.log(`web assets: ${(raw / 1024).toFixed(0)} KiB, ${(br / 1024).toFixed(0)} KiB with Brotli`);
