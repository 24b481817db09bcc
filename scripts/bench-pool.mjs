#!/usr/bin/env node
// `npm run bench:pool`: one class of submissions graded over an engine pool of 3 engines, against the same
// class over a pool of 1 engine, with the same total parallelism. The engines are Docker engines in
// containers on this machine (test/helpers/engines.ts): all share one CPU, so this shows the pool's
// overhead, not a speed-up. Rounds alternate A B A B; medians are reported.
//
// Everything it creates is removed at the end, also on failure: the test engines (by their run label) and
// the temporary folders.
//
// Options: --submissions N (default 40)  --rounds N (default 2)  --parallel N (total at once, default 6)
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { timed } from './bench/proc.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    submissions: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '2' },
    parallel: { type: 'string', default: '6' },
  },
});
const N = Number(opt.submissions);
const ROUNDS = Number(opt.rounds);
const PARALLEL = Number(opt.parallel);
if (PARALLEL % 3 !== 0) throw new Error('--parallel must be a multiple of 3 (split evenly over three engines)');

// The helper is TypeScript: bundle it (with the lab image's tag) into dist/ for this run.
const work = mkdtempSync(join(tmpdir(), 'toplab-bench-pool-'));
const helper = join(ROOT, 'dist', `.bench-engines-${process.pid}.mjs`);
await build({
  stdin: {
    contents: "export { startTestEngines } from './test/helpers/engines.ts'; export { labImageTag } from './src/runtime/docker/image.ts';",
    resolveDir: ROOT,
    loader: 'ts',
  },
  outfile: helper,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const { startTestEngines, labImageTag } = await import(pathToFileURL(helper).href);
rmSync(helper, { force: true });

// A class of N: the quick fixture submissions (passing and failing ones), repeated.
const FIXTURES = [
  'ok-reference',
  'ok-client-async',
  'ok-server-manual',
  'ok-both-alt',
  'no-echo',
  'client-prints-wrong',
  'server-closes-first',
  'wrong-port',
];
const subs = join(work, 'class');
for (let i = 0; i < N; i++) {
  const f = FIXTURES[i % FIXTURES.length];
  cpSync(join(ROOT, 'test/fixtures/submissions/batch-tcp-handshake', f), join(subs, `s${String(i).padStart(3, '0')}-${f}`), {
    recursive: true,
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let engines;
try {
  engines = await startTestEngines(3, labImageTag());
  // One engine: e1 alone, with all the parallelism; three engines: a third each.
  const all = readFileSync(engines.writeEnginesFile({ capacity: [PARALLEL, 1, 1] }), 'utf8').split('\n');
  const oneFile = join(work, 'one.yaml');
  writeFileSync(
    oneFile,
    all
      .slice(
        0,
        all.findIndex((l, i) => i > 1 && l.startsWith('  - name:')),
      )
      .join('\n') + '\n',
  );
  const three = engines.writeEnginesFile({ capacity: [PARALLEL / 3, PARALLEL / 3, PARALLEL / 3] });
  const times = { one: [], three: [] };
  const run = async (label, file) => {
    const out = join(work, `${label}-${times[label].length}`);
    const r = await timed(
      process.execPath,
      ['bin/lab.js', 'grade', 'test/fixtures/labs/tcp-handshake-basic', '--submissions', subs, '--output', out],
      { cwd: ROOT, env: { TOPLAB_ENGINES: file }, timeoutMs: 1_800_000 },
    );
    if (r.code !== 0) throw new Error(`${label}: exit ${r.code}\n${r.stderr.slice(-3000)}`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const errors = summary.students.filter((s) => s.status === 'error').length;
    if (errors > 0) throw new Error(`${label}: ${errors} submission(s) could not be graded`);
    times[label].push(r.ms);
    process.stderr.write(
      `[bench-pool] ${label === 'one' ? '1 engine ' : '3 engines'}: ${N} graded in ${(r.ms / 1000).toFixed(1)}s (load ${loadavg()[0].toFixed(1)})\n`,
    );
    rmSync(out, { recursive: true, force: true });
  };
  for (let i = 0; i < ROUNDS; i++) {
    await run('one', oneFile);
    await run('three', three);
  }
  const m1 = median(times.one);
  const m3 = median(times.three);
  const line = `${N} submissions, ${PARALLEL} at a time, ${cpus().length} cores, ${ROUNDS} round(s): 1 engine ${(m1 / 1000).toFixed(1)}s, 3 engines ${(m3 / 1000).toFixed(1)}s (ratio 3/1 = ${(m3 / m1).toFixed(2)})`;
  process.stdout.write(
    line + '\n' + JSON.stringify({ submissions: N, parallel: PARALLEL, rounds: ROUNDS, oneMs: times.one, threeMs: times.three }) + '\n',
  );
} finally {
  await engines?.stop();
  rmSync(work, { recursive: true, force: true });
}
