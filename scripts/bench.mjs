#!/usr/bin/env node
// `npm run bench`: toplab against Docker Compose v1 on this machine, in one run.
//
// Each figure alternates the contenders A B A B for several rounds (so drift in the machine's load hits
// both alike) after one untimed warm-up round, and reports medians and the ratio toplab/Compose. The CLI
// runs as a user runs it (`node bin/lab.js ...`), so its start-up counts; Compose runs the same
// containers (same image, internal networks, addresses, init, command, capabilities and limits).
//
// Everything it creates is labelled and removed at the end, also on failure or Ctrl-C: toplab instances
// named bench-<run>-..., and Compose projects tlbench<run>... whose containers and networks carry
// org.toplab.bench.run=<run>. It never touches anything else on the engine.
//
// Options: --rounds N (2-node figures, default 5)  --rounds20 N (20-node, default 3)  --grades N (default 3)
//          --instances N (default 20)  --batch N (class size, default 100)
//          --only start,up2,up20,grade,wrong,batch,many  --trace (keep engine-call traces of
//          every toplab run in bench/results/traces/)  --write-docs (put the table in docs/benchmarks.md)
//          --out FILE (default bench/results/latest.json)
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readLab, SubnetPool, writeComposeFile } from './bench/compose.mjs';
import { containersWith, docker, memoryBytes, sweep, usedSubnets } from './bench/engine.mjs';
import { killChildren, must, tail, timed } from './bench/proc.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    rounds20: { type: 'string', default: '3' },
    grades: { type: 'string', default: '3' },
    batch: { type: 'string', default: '100' },
    instances: { type: 'string', default: '20' },
    only: { type: 'string' },
    starts: { type: 'string', default: '15' },
    trace: { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'latest.json') },
  },
});
const ROUNDS = Number(opt.rounds);
const ROUNDS20 = Number(opt.rounds20);
const GRADES = Number(opt.grades);
const BATCH = Number(opt.batch);
const INSTANCES = Number(opt.instances);
const STARTS = Number(opt.starts);
const ONLY = new Set((opt.only ?? 'start,up2,up20,grade,wrong,batch,many').split(','));

const RUN = Date.now().toString(36).slice(-5) + Math.random().toString(36).slice(2, 4);
const INSTANCE_PREFIX = `bench-${RUN}`;
const LAB2 = 'tcp-handshake';
const LAB2_FILE = join(ROOT, 'labs', LAB2, 'lab.yaml');
const LAB20_FILE = join(ROOT, 'bench', 'labs', 'bench-20', 'lab.yaml');
const WORK = mkdtempSync(join(tmpdir(), `toplab-bench-${RUN}-`));
const TRACES = join(ROOT, 'bench', 'results', 'traces');

const log = (line) => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Clean-up: by name for what we know we made, then a sweep by label for anything left.

const openInstances = new Map(); // instance -> lab ref
const openProjects = new Map(); // project -> compose file
let cleaning;

function cleanup() {
  cleaning ??= (async () => {
    killChildren();
    await Promise.all([
      ...[...openInstances].map(([instance, ref]) => timed('node', ['bin/lab.js', 'down', ref, '--instance', instance], { cwd: ROOT })),
      ...[...openProjects].map(([project, file]) => timed('docker-compose', ['-p', project, '-f', file, 'down', '-t', '0'], { cwd: WORK })),
    ]);
    const left = await sweep(RUN, INSTANCE_PREFIX).catch(
      (e) => (log(`clean-up sweep failed: ${e.message}`), { containers: 0, networks: 0, stuck: [] }),
    );
    if (left.containers + left.networks > 0)
      log(`clean-up: removed ${left.containers} container(s) and ${left.networks} network(s) left behind`);
    for (const n of left.stuck) {
      log(
        `clean-up: the engine refuses to remove network ${n} ("active endpoints" with no container: an Engine 20.10 bug under load); it is internal and labelled org.toplab.bench.run=${RUN}; \`docker network rm ${n}\` after the engine restarts`,
      );
    }
    rmSync(WORK, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`\n${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// The contenders

let traceCount = 0;
function labCli(args, timeoutMs = 300_000) {
  const env = {};
  const node = ['bin/lab.js', ...args];
  if (opt.trace) {
    mkdirSync(TRACES, { recursive: true });
    const lab = args[1]?.endsWith('lab.yaml') ? args[1].split('/').at(-2) : args[1];
    env.TOPLAB_BENCH_TRACE = join(TRACES, `${RUN}-${String(++traceCount).padStart(3, '0')}-${args[0]}-${lab}.json`);
    node.unshift('--import', './scripts/bench/trace.mjs');
  }
  return timed('node', node, { cwd: ROOT, env, timeoutMs });
}

async function labUp(ref, instance) {
  openInstances.set(instance, ref);
  const r = await labCli(['up', ref, '--instance', instance]);
  if (r.code !== 0) throw new Error(`lab up ${ref} --instance ${instance} failed (exit ${r.code}):\n${tail(r.stderr + r.stdout)}`);
  return r.ms;
}

async function labDown(ref, instance) {
  const r = await labCli(['down', ref, '--instance', instance]);
  if (r.code !== 0) throw new Error(`lab down ${ref} --instance ${instance} failed (exit ${r.code}):\n${tail(r.stderr + r.stdout)}`);
  openInstances.delete(instance);
  return r.ms;
}

async function composeUp(project, file) {
  openProjects.set(project, file);
  const r = await timed('docker-compose', ['-p', project, '-f', file, 'up', '-d'], { cwd: WORK });
  if (r.code !== 0) throw new Error(`docker-compose up -d (${project}) failed (exit ${r.code}):\n${tail(r.stderr + r.stdout)}`);
  return r.ms;
}

/**
 * `docker-compose down`, timed. Under heavy load Engine 20.10 sometimes refuses to remove a network that
 * a container has just left ("has active endpoints"); then it is tried again and the time counts them all.
 */
async function composeDown(project, file) {
  let ms = 0;
  for (let attempt = 1; ; attempt++) {
    const r = await timed('docker-compose', ['-p', project, '-f', file, 'down'], { cwd: WORK });
    ms += r.ms;
    if (r.code === 0) break;
    if (attempt >= 3) throw new Error(`docker-compose down (${project}) failed (exit ${r.code}):\n${tail(r.stderr + r.stdout)}`);
    results.notes.push(`docker-compose down (${project}) failed once and was run again: ${tail(r.stderr + r.stdout, 1)}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  openProjects.delete(project);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const round1 = (ms) => Math.round(ms);
const secs = (ms) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) + ' s' : '—');

const results = { figures: {}, many: undefined, notes: [] };

function figure(key, label, toplab, compose, target) {
  const t = median(toplab);
  const c = compose === undefined ? NaN : median(compose);
  const ratio = t / c;
  results.figures[key] = {
    label,
    toplab: { samplesMs: toplab.map(round1), medianMs: round1(t) },
    ...(compose ? { compose: { samplesMs: compose.map(round1), medianMs: round1(c) } } : {}),
    ...(Number.isFinite(ratio) ? { ratio: Math.round(ratio * 100) / 100 } : {}),
    ...(target !== undefined ? { target, met: ratio <= target } : {}),
  };
  log(`  ${label}: toplab ${secs(t)}${compose ? `, baseline ${secs(c)}, ratio ${ratio.toFixed(2)}` : ''}`);
}

function table() {
  const rows = [['figure', 'toplab', 'baseline', 'ratio', 'target', '']];
  const st = results.start;
  if (st) {
    const met = (ms) => (ms <= 150 ? 'met' : 'MISSED');
    rows.push([`command start: \`lab --version\` (median of ${st.runs})`, `${st.versionMs} ms`, '', '', '≤ 150 ms', met(st.versionMs)]);
    rows.push([`command start: \`lab status\` (median of ${st.runs})`, `${st.statusMs} ms`, '', '', '≤ 150 ms', met(st.statusMs)]);
    rows.push(["command start: node's own (`node -e 0`)", `${st.nodeMs} ms`, '', '', '', '']);
  }
  for (const f of Object.values(results.figures)) {
    rows.push([
      f.label,
      f.label.startsWith('marginal') ? `${f.toplab.medianMs} ms/node` : secs(f.toplab.medianMs),
      f.compose ? (f.label.startsWith('marginal') ? `${f.compose.medianMs} ms/node` : secs(f.compose.medianMs)) : '',
      f.ratio !== undefined ? `${f.ratio.toFixed(2)}×` : '',
      f.target !== undefined ? `≤ ${f.target}×` : '',
      f.target !== undefined ? (f.met ? 'met' : 'MISSED') : '',
    ]);
  }
  const b = results.batch;
  if (b) {
    rows.push([
      `batch: ${b.students} ${LAB2} submissions, default options (wall)`,
      secs(b.wallMs),
      '',
      '',
      '≤ 120 s',
      b.wallMs <= 120_000 ? 'met' : 'MISSED',
    ]);
    rows.push(['batch: submissions per minute', `${b.perMinute}/min`, '', '', '', '']);
    rows.push(['batch: per submission, p50 / p95', `${secs(b.p50Ms)} / ${secs(b.p95Ms)}`, '', '', '', '']);
    rows.push([
      'batch: verdicts as each graded alone',
      `${b.identical}/${b.students}`,
      '',
      '',
      'all',
      b.identical === b.students ? 'met' : 'MISSED',
    ]);
    rows.push([
      'batch: containers / networks left behind',
      `${b.leftContainers} / ${b.leftNetworks}`,
      '',
      '',
      'none',
      b.leftContainers + b.leftNetworks === 0 ? 'met' : 'MISSED',
    ]);
  }
  const m = results.many;
  if (m) {
    rows.push([
      `${m.instances} × ${LAB2} up at once (wall)`,
      secs(m.toplab.upMs),
      m.compose ? secs(m.compose.upMs) : '',
      m.compose ? `${(m.toplab.upMs / m.compose.upMs).toFixed(2)}×` : '',
      'no failures',
      m.toplab.failures === 0 ? 'met' : `MISSED (${m.toplab.failures} failed)`,
    ]);
    rows.push([
      `${m.instances} × ${LAB2} down at once (wall)`,
      secs(m.toplab.downMs),
      m.compose ? secs(m.compose.downMs) : '',
      m.compose ? `${(m.toplab.downMs / m.compose.downMs).toFixed(2)}×` : '',
      '',
      '',
    ]);
    rows.push([
      'memory per instance (median)',
      `${m.toplab.memoryPerInstanceMiB.median.toFixed(1)} MiB`,
      m.compose ? `${m.compose.memoryPerInstanceMiB.median.toFixed(1)} MiB` : '',
      '',
      'reported',
      'met',
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Set-up

async function ensureCompose() {
  let v = await timed('docker-compose', ['version', '--short']);
  if (v.code !== 0) {
    const debian = existsSync('/etc/debian_version');
    if (!debian || process.getuid?.() !== 0) {
      throw new Error('docker-compose (Compose v1) is not installed: on Debian, as root, `apt-get install -y docker-compose`');
    }
    log("installing Docker Compose v1 (Debian's docker-compose) for the baseline …");
    await must('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], {
      timeoutMs: 600_000,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
    }).catch(async () => {
      await must('apt-get', ['update'], { timeoutMs: 600_000 });
      return must('apt-get', ['install', '-y', '--no-install-recommends', 'docker-compose'], {
        timeoutMs: 600_000,
        env: { DEBIAN_FRONTEND: 'noninteractive' },
      });
    });
    v = await timed('docker-compose', ['version', '--short']);
  }
  return v.stdout.trim();
}

async function machine() {
  const v = await docker.version();
  const info = await docker.info();
  return {
    cpu: `${cpus()[0]?.model ?? '?'} × ${cpus().length}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    os: existsSync('/etc/debian_version') ? `Debian ${readFileSync('/etc/debian_version', 'utf8').trim()}` : process.platform,
    node: process.version,
    engine: `Docker Engine ${v.Version} (API ${v.ApiVersion}), ${info.Driver}, cgroup v${info.CgroupVersion ?? '1'}`,
  };
}

// ---------------------------------------------------------------------------------------------
// The figures

/** A B A B: toplab up, toplab down, compose up, compose down, per round; the first round is a warm-up. */
async function upDown(ref, labFile, rounds, pool, image, tag) {
  const lab = readLab(labFile);
  const samples = { labUp: [], labDown: [], composeUp: [], composeDown: [] };
  for (let r = 0; r <= rounds; r++) {
    const warm = r === 0;
    const instance = `${INSTANCE_PREFIX}-${tag}${r}`;
    const up = await labUp(ref, instance);
    const down = await labDown(ref, instance);
    const project = `tlbench${RUN}${tag}${r}`.replace(/[^a-z0-9]/g, '');
    const file = writeComposeFile({ dir: WORK, project, lab, image, runId: RUN, pool });
    const cup = await composeUp(project, file);
    const cdown = await composeDown(project, file);
    log(
      `  ${warm ? 'warm-up' : `round ${r}/${rounds}`}: lab up ${secs(up)}, lab down ${secs(down)}, compose up -d ${secs(cup)}, compose down ${secs(cdown)}`,
    );
    if (warm) continue;
    samples.labUp.push(up);
    samples.labDown.push(down);
    samples.composeUp.push(cup);
    samples.composeDown.push(cdown);
  }
  return samples;
}

async function gradeRuns(n) {
  const submission = join(WORK, 'correct');
  mkdirSync(submission);
  for (const f of ['server.ts', 'client.ts']) cpSync(join(ROOT, 'labs', LAB2, f), join(submission, f));
  const out = [];
  for (let i = 0; i <= n; i++) {
    const r = await labCli(['grade', LAB2, '--submission', submission, '--format', 'json', '--results', join(WORK, 'results')]);
    let status = 'unreadable';
    try {
      status = JSON.parse(r.stdout).status;
    } catch {
      // the status stays 'unreadable'
    }
    log(`  ${i === 0 ? 'warm-up' : `grade ${i}/${n}`}: ${secs(r.ms)}, exit ${r.code}, ${status}`);
    if (r.code !== 0 || status !== 'passed')
      results.notes.push(`lab grade of the reference solution gave exit ${r.code}, status ${status}: ${tail(r.stderr, 4)}`);
    if (i > 0) out.push(r.ms);
  }
  return out;
}

async function memoryOf(filterLabels, groupBy) {
  const list = await containersWith(filterLabels);
  const groups = new Map();
  await Promise.all(
    list.map(async (c) => {
      const key = groupBy(c.Labels);
      if (key === undefined) return;
      const bytes = await memoryBytes(c.Id).catch(() => 0);
      groups.set(key, (groups.get(key) ?? 0) + bytes);
    }),
  );
  const mib = [...groups.values()].map((b) => b / 2 ** 20);
  return { instances: mib.length, median: median(mib), max: Math.max(...mib), totalMiB: mib.reduce((a, b) => a + b, 0) };
}

async function many(n, pool, image) {
  log(`${n} instances of ${LAB2} at once`);
  const names = Array.from({ length: n }, (_, i) => `${INSTANCE_PREFIX}-m${i}`);
  for (const i of names) openInstances.set(i, LAB2);
  const t0 = process.hrtime.bigint();
  // A generous bound: on a saturated 2-core host 20 parallel `lab up` have taken over 3 minutes.
  const ups = await Promise.all(names.map((i) => labCli(['up', LAB2, '--instance', i], 900_000)));
  const upMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const failed = ups.map((r, i) => ({ r, i: names[i] })).filter(({ r }) => r.code !== 0);
  if (failed.length > 0) {
    const { r, i } = failed[0];
    const how = r.code === null ? `killed by the benchmark after ${Math.round(r.ms / 1000)} s` : `exit ${r.code}`;
    results.notes.push(`${failed.length} of ${n} \`lab up\` at once failed; the first, --instance ${i} (${how}): ${tail(r.stderr, 3)}`);
  }
  // Every node of every instance must be running, not just the CLI happy.
  const running = await containersWith(['org.toplab.managed=true', `org.toplab.lab=${LAB2}`, 'org.toplab.role=node']);
  const runningNodes = running.filter((c) => names.includes(c.Labels['org.toplab.instance']) && c.State === 'running').length;
  const memory = await memoryOf(['org.toplab.managed=true', `org.toplab.lab=${LAB2}`], (l) =>
    names.includes(l['org.toplab.instance']) ? l['org.toplab.instance'] : undefined,
  );
  const t1 = process.hrtime.bigint();
  const downs = await Promise.all(names.map((i) => labCli(['down', LAB2, '--instance', i], 900_000)));
  const downMs = Number(process.hrtime.bigint() - t1) / 1e6;
  downs.forEach((r, k) => r.code === 0 && openInstances.delete(names[k]));
  const toplab = {
    upMs: round1(upMs),
    downMs: round1(downMs),
    failures: failed.length + downs.filter((r) => r.code !== 0).length,
    runningNodes,
    expectedNodes: n * 2,
    memoryPerInstanceMiB: memory,
  };
  log(
    `  toplab: up ${secs(upMs)} (${failed.length} failed, ${runningNodes}/${n * 2} nodes running), down ${secs(downMs)}, memory per instance ${memory.median.toFixed(1)} MiB (max ${memory.max.toFixed(1)})`,
  );

  // The same with Compose, for scale: 20 projects at once.
  const lab = readLab(LAB2_FILE);
  const projects = names.map((_, k) => {
    const project = `tlbench${RUN}m${k}`.replace(/[^a-z0-9]/g, '');
    return { project, file: writeComposeFile({ dir: WORK, project, lab, image, runId: RUN, pool }) };
  });
  const t2 = process.hrtime.bigint();
  const cups = await Promise.all(
    projects.map(
      ({ project, file }) => (
        openProjects.set(project, file),
        timed('docker-compose', ['-p', project, '-f', file, 'up', '-d'], { cwd: WORK, timeoutMs: 900_000 })
      ),
    ),
  );
  const cupMs = Number(process.hrtime.bigint() - t2) / 1e6;
  const cmem = await memoryOf([`org.toplab.bench.run=${RUN}`], (l) => l['com.docker.compose.project']);
  const t3 = process.hrtime.bigint();
  const cdowns = await Promise.all(
    projects.map(({ project, file }) => timed('docker-compose', ['-p', project, '-f', file, 'down'], { cwd: WORK, timeoutMs: 900_000 })),
  );
  const cdownMs = Number(process.hrtime.bigint() - t3) / 1e6;
  cdowns.forEach((r, k) => r.code === 0 && openProjects.delete(projects[k].project));
  const compose = {
    upMs: round1(cupMs),
    downMs: round1(cdownMs),
    failures: cups.filter((r) => r.code !== 0).length + cdowns.filter((r) => r.code !== 0).length,
    memoryPerInstanceMiB: cmem,
  };
  log(`  compose: up ${secs(cupMs)} (${compose.failures} failed), down ${secs(cdownMs)}, memory per project ${cmem.median.toFixed(1)} MiB`);
  results.many = { instances: n, toplab, compose };
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Wrong submissions and a whole class: bench/batch/<lab>.json and its variant folders

const BATCH_ROOT = join(ROOT, 'bench', 'batch');
const readMix = () => JSON.parse(readFileSync(join(BATCH_ROOT, `${LAB2}.json`), 'utf8'));

/** `passed`, or the status and the failed checks in the lab's order: what must be the same alone and in a batch. */
const verdictOf = (status, failed) => (status === 'passed' ? 'passed' : `${status}: ${failed.join(' ')}`);
const expectedVerdict = (e) => (e === 'passed' ? 'passed' : `failed: ${e.join(' ')}`);

/** One `lab grade --submission DIR` as typed: its time and its verdict. */
async function gradeOnce(dir) {
  const r = await labCli(['grade', LAB2, '--submission', dir, '--format', 'json', '--results', join(WORK, 'results')]);
  let verdict = `unreadable (exit ${r.code}): ${tail(r.stderr, 2)}`;
  try {
    const j = JSON.parse(r.stdout);
    verdict = verdictOf(
      j.status,
      j.checks.filter((c) => c.status === 'failed').map((c) => c.id),
    );
  } catch {
    // the verdict stays unreadable
  }
  return { ms: r.ms, verdict };
}

/**
 * Wrong submissions against a right one, alternated per round (the first a warm-up): a server that never
 * listens and a client that never sends (so never prints, and never exits on its own), graded alone.
 */
async function wrongRuns(n) {
  const mix = readMix();
  const kinds = ['reference', 'never-listens', 'silent-client'];
  const ms = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i <= n; i++) {
    const line = [];
    for (const k of kinds) {
      const g = await gradeOnce(join(BATCH_ROOT, LAB2, k));
      if (g.verdict !== expectedVerdict(mix.expect[k]))
        results.notes.push(`${k} graded alone gave "${g.verdict}", expected "${expectedVerdict(mix.expect[k])}"`);
      if (i > 0) ms[k].push(g.ms);
      line.push(`${k} ${secs(g.ms)}`);
    }
    log(`  ${i === 0 ? 'warm-up' : `round ${i}/${n}`}: ${line.join(', ')}`);
  }
  figure('wrongServer', `${LAB2}: grade of a server that never listens, vs the reference's grade`, ms['never-listens'], ms.reference, 1.5);
  figure('wrongClient', `${LAB2}: grade of a client that never sends, vs the reference's grade`, ms['silent-client'], ms.reference, 1.5);
}

/** The class: `n` students, the mix's variants in proportion, in an order fixed by a seeded shuffle. */
function classOrder(mix, n) {
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  const list = [];
  for (const [v, count] of Object.entries(mix))
    if (v !== 'reference') for (let k = 0; k < Math.round((count * n) / total); k++) list.push(v);
  while (list.length < n) list.push('reference');
  let seed = 14;
  for (let i = list.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list.slice(0, n);
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/**
 * `lab grade tcp-handshake --submissions CLASS` with default options, as an instructor types it: wall time,
 * per-submission times, each verdict against the same variant graded alone, and what is left on the engine.
 */
async function batchRun(n) {
  const mix = readMix();
  log(`  each variant graded alone first (${Object.keys(mix.mix).length} grades)`);
  const alone = {};
  for (const v of Object.keys(mix.mix)) {
    const g = await gradeOnce(join(BATCH_ROOT, LAB2, v));
    alone[v] = g.verdict;
    if (g.verdict !== expectedVerdict(mix.expect[v]))
      results.notes.push(`${v} graded alone gave "${g.verdict}", expected "${expectedVerdict(mix.expect[v])}"`);
    log(`    ${v}: ${secs(g.ms)}, ${g.verdict}`);
  }
  const order = classOrder(mix.mix, n);
  const dir = join(WORK, 'class');
  const students = order.map((v, i) => ({ name: `s${String(i).padStart(3, '0')}`, variant: v }));
  for (const s of students) cpSync(join(BATCH_ROOT, LAB2, s.variant), join(dir, s.name), { recursive: true });
  const out = join(WORK, 'class-graded');
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  log(`  lab grade ${LAB2} --submissions <${n} students> (default options)`);
  const r = await labCli(['grade', LAB2, '--submissions', dir, '--format', 'json', '--output', out], 3_600_000);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const rows = new Map(summary.students.map((s) => [s.student, s]));
  const mismatches = [];
  const instances = [];
  for (const s of students) {
    const row = rows.get(s.name);
    const got = row ? verdictOf(row.status, row.failedChecks) : 'missing';
    if (got !== alone[s.variant]) mismatches.push(`${s.name} (${s.variant}): "${got}" in the batch, "${alone[s.variant]}" alone`);
    try {
      instances.push(JSON.parse(readFileSync(join(out, s.name, 'report.json'), 'utf8')).instance);
    } catch {
      // no report: counted as a mismatch above
    }
  }
  let leftContainers = 0;
  let leftNetworks = 0;
  for (const inst of instances.filter(Boolean)) {
    const labels = ['org.toplab.managed=true', `org.toplab.lab=${LAB2}`, `org.toplab.instance=${inst}`];
    const c = (await containersWith(labels)).length;
    const nets = (await docker.listNetworks({ filters: { label: labels } })).length;
    if (c + nets > 0) {
      leftContainers += c;
      leftNetworks += nets;
      await timed('node', ['bin/lab.js', 'down', LAB2, '--instance', inst], { cwd: ROOT });
    }
  }
  const times = summary.students.map((s) => s.durationMs);
  const byVariant = {};
  for (const s of students) (byVariant[s.variant] ??= []).push(rows.get(s.name)?.durationMs ?? NaN);
  results.batch = {
    students: n,
    exit: r.code,
    wallMs: round1(r.ms),
    perMinute: Math.round((n / (r.ms / 60_000)) * 10) / 10,
    p50Ms: round1(percentile(times, 50)),
    p95Ms: round1(percentile(times, 95)),
    medianMsByVariant: Object.fromEntries(Object.entries(byVariant).map(([v, xs]) => [v, round1(median(xs))])),
    mix: Object.fromEntries(Object.keys(mix.mix).map((v) => [v, order.filter((x) => x === v).length])),
    identical: n - mismatches.length,
    mismatches,
    leftContainers,
    leftNetworks,
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  for (const m of mismatches.slice(0, 5)) results.notes.push(`batch verdict differs: ${m}`);
  log(
    `  ${n} graded in ${secs(r.ms)} (exit ${r.code}): ${results.batch.perMinute}/min, p50 ${secs(results.batch.p50Ms)}, p95 ${secs(results.batch.p95Ms)}, ${results.batch.identical}/${n} verdicts as alone, left behind ${leftContainers} containers and ${leftNetworks} networks`,
  );
}

// ---------------------------------------------------------------------------------------------
// Command start: `lab --version` and `lab status`, as typed (the `lab` on PATH that scripts/setup.sh links)

/** The `lab` that PATH finds when it is this clone's bin/lab.js; otherwise undefined. */
function labOnPath() {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      if (realpathSync(join(dir, 'lab')) === realpathSync(join(ROOT, 'bin', 'lab.js'))) return join(dir, 'lab');
    } catch {
      // no lab in this folder
    }
  }
  return undefined;
}

/** Medians of `n` runs (after one warm-up) of `lab --version`, `lab status` and node's own start, interleaved. */
async function commandStart(n) {
  const lab = labOnPath();
  const cmd = lab ? ['lab'] : ['node', 'bin/lab.js'];
  if (!lab)
    results.notes.push('`lab` on PATH is not this clone (run `bash scripts/setup.sh`): command start measured as `node bin/lab.js`');
  const runs = { version: [], status: [], node: [] };
  let shown = 0;
  for (let i = 0; i <= n; i++) {
    const v = await timed(cmd[0], [...cmd.slice(1), '--version'], { cwd: ROOT });
    const st = await timed(cmd[0], [...cmd.slice(1), 'status'], { cwd: ROOT });
    const bare = await timed('node', ['-e', '0'], { cwd: ROOT });
    if (v.code !== 0 || st.code !== 0)
      throw new Error(`\`${cmd.join(' ')} --version\` or \`status\` failed: ${tail(v.stderr + st.stderr, 3)}`);
    if (i === 0) continue;
    runs.version.push(v.ms);
    runs.status.push(st.ms);
    runs.node.push(bare.ms);
    shown = st.stdout.split('\n').filter((l) => l.includes('(instance ')).length;
  }
  results.start = {
    command: cmd.join(' '),
    runs: n,
    versionMs: round1(median(runs.version)),
    statusMs: round1(median(runs.status)),
    nodeMs: round1(median(runs.node)),
    statusInstancesShown: shown,
    samplesMs: { version: runs.version.map(round1), status: runs.status.map(round1), node: runs.node.map(round1) },
  };
  log(
    `  ${cmd.join(' ')} --version ${results.start.versionMs} ms, status ${results.start.statusMs} ms (${shown} instances on the engine), node -e 0 ${results.start.nodeMs} ms`,
  );
}

async function main() {
  const started = Date.now();
  try {
    await docker.ping();
  } catch (e) {
    throw new Error(
      `no Docker engine answers (${e.message}): on Debian as root, \`bash scripts/ensure-docker.sh\` installs and starts one`,
    );
  }
  if (!existsSync(join(ROOT, 'dist', 'cli.js')))
    throw new Error('toplab is not built: run `npm run bench` (it builds first) or `npm run build`');
  const composeVersion = await ensureCompose();
  log(`baseline: docker-compose ${composeVersion}`);
  log('lab image: `lab image build` (builds it once when missing; not timed)');
  const image = (await must('node', ['bin/lab.js', 'image', 'build'], { cwd: ROOT, timeoutMs: 900_000 })).stdout.trim().split('\n').pop();
  const pool = new SubnetPool(await usedSubnets());
  results.machine = await machine();
  results.compose = `docker-compose ${composeVersion}`;
  results.image = image;
  results.command = `npm run bench${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`;
  results.date = new Date().toISOString();
  results.loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  results.rounds = { twoNode: ROUNDS, twentyNode: ROUNDS20, grades: GRADES };

  if (ONLY.has('start')) {
    log(`command start: lab --version, lab status, and node -e 0 for node's own start, ${STARTS} runs each after a warm-up`);
    await commandStart(STARTS);
  }
  let s2;
  if (ONLY.has('up2') || ONLY.has('grade')) {
    log(`${LAB2} (2 nodes): lab up/down vs docker-compose up -d/down, ${ROUNDS} rounds after a warm-up`);
    s2 = await upDown(LAB2, LAB2_FILE, ROUNDS, pool, image, 's');
    figure('up2', `${LAB2} (2 nodes): up`, s2.labUp, s2.composeUp, 1.0);
    figure('down2', `${LAB2} (2 nodes): down`, s2.labDown, s2.composeDown, 0.5);
  }
  if (ONLY.has('up20')) {
    log(`bench-20 (20 nodes, 3 networks): ${ROUNDS20} rounds after a warm-up`);
    const ref = 'bench/labs/bench-20/lab.yaml';
    const s20 = await upDown(ref, LAB20_FILE, ROUNDS20, pool, image, 'l');
    figure('up20', 'bench-20 (20 nodes, 3 networks): up', s20.labUp, s20.composeUp, 0.8);
    figure('down20', 'bench-20 (20 nodes, 3 networks): down', s20.labDown, s20.composeDown);
    if (s2) {
      const per = (a, b) => [(median(a) - median(b)) / 18];
      figure('marginalUp', 'marginal cost per node: up', per(s20.labUp, s2.labUp), per(s20.composeUp, s2.composeUp));
      figure('marginalDown', 'marginal cost per node: down', per(s20.labDown, s2.labDown), per(s20.composeDown, s2.composeDown));
    }
  }
  if (ONLY.has('grade')) {
    log(`lab grade of a correct ${LAB2} submission (fresh instance, compile, run, capture, check, down): ${GRADES} runs after a warm-up`);
    const g = await gradeRuns(GRADES);
    figure('grade', `${LAB2}: full lab grade vs compose up -d`, g, s2.composeUp, 1.5);
  }
  if (ONLY.has('wrong')) {
    log(`wrong submissions vs a right one, graded alone: ${GRADES} rounds after a warm-up`);
    await wrongRuns(GRADES);
  }
  if (ONLY.has('batch')) {
    log(`a class of ${BATCH} ${LAB2} submissions (bench/batch/${LAB2}.json), graded with default options`);
    await batchRun(BATCH);
  }
  if (ONLY.has('many')) await many(INSTANCES, pool, image);

  results.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  results.durationS = Math.round((Date.now() - started) / 1000);
  const text = table();
  process.stdout.write(`\n${text}\n\n`);
  process.stdout.write(
    `compared against ${results.compose}; ${results.machine.cpu}, ${results.machine.memoryGiB} GiB, ${results.machine.engine}; load average ${results.loadAverageAtStart.join(' ')} → ${results.loadAverageAtEnd.join(' ')}; ${results.durationS} s\n`,
  );
  for (const n of results.notes) process.stdout.write(`note: ${n}\n`);
  results.table = text;
  mkdirSync(dirname(opt.out), { recursive: true });
  writeFileSync(opt.out, JSON.stringify(results, null, 2) + '\n');
  log(`wrote ${opt.out}`);
  if (opt['write-docs']) writeDocs(text);
}

function writeDocs(text) {
  const file = join(ROOT, 'docs', 'benchmarks.md');
  const m = results.machine;
  const block = [
    '<!-- bench:begin (written by `npm run bench -- --write-docs`) -->',
    `Run on ${results.date.slice(0, 16).replace('T', ' ')} UTC with \`${results.command}\`: ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, kernel ${m.kernel}, Node ${m.node}, ${m.engine}; baseline ${results.compose}. Load average ${results.loadAverageAtStart.join(' ')} at the start, ${results.loadAverageAtEnd.join(' ')} at the end (2 cores shared with other work); ${results.durationS} s in all. Medians of ${ROUNDS} rounds (2 nodes), ${ROUNDS20} rounds (20 nodes), ${GRADES} grades.`,
    '',
    text,
    ...(results.notes.length ? ['', ...results.notes.map((n) => `- note: ${n.replace(/\n/g, ' ')}`)] : []),
    '<!-- bench:end -->',
  ].join('\n');
  const doc = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const re = /<!-- bench:begin[\s\S]*?<!-- bench:end -->/;
  writeFileSync(file, re.test(doc) ? doc.replace(re, block) : `${doc}\n${block}\n`);
  log(`updated ${file}`);
}

main()
  .then(
    () => cleanup().then(() => 0),
    (e) =>
      cleanup().then(() => {
        log(`bench failed: ${e.message}`);
        return 1;
      }),
  )
  .then((code) => {
    process.exitCode = code;
  });
