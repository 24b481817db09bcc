#!/usr/bin/env node
// A bounded load test of the workshop server, on loopback only: `node scripts/bench-workshop.mjs`.
//
// Starts `lab serve --warm W` on a random 127.0.0.1 port with a temp data dir, creates a workshop of the
// tcp-handshake lab, waits for the warm pool, then N students join at once. For each it measures
// join→first prompt: POST /api/join, wait until the instance is ready, open the server node's terminal
// and see the shell's prompt. Then C students save the reference and press Check, one after the other
// (Check→result), and the same lab's `lab check` from the CLI is timed on its own instance for
// comparison. The server's RSS is sampled from /proc all along. Everything is removed at the end (the
// workshop is ended, the server stopped, the temp dir deleted), also on failure.
//
// The machine's load average is printed at the start and the end, and the time each instance took to warm
// (from the server's log) with the burst's throughput, so runs on a busy machine can be compared by ratios:
// a queued join's wait is about its place in the queue × the instance time ÷ the instances made at once.
//
// Options: --students N (default 30)  --warm W (default 5)  --checks C (default 5; 0 skips Check and the CLI)
//          --parallel P (the server's --parallel; default: the server's own)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    students: { type: 'string', default: '30' },
    warm: { type: 'string', default: '5' },
    checks: { type: 'string', default: '5' },
    parallel: { type: 'string' },
  },
});
const N = Math.min(60, Number(opt.students));
const W = Number(opt.warm);
const C = Math.min(N, Number(opt.checks));
const data = mkdtempSync(join(tmpdir(), 'toplab-bench-serve-'));
const token = `bench-token-${process.pid}-0123456789abcdef`;
const say = (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadAtStart = load();
const child = spawn(
  process.execPath,
  [
    'bin/lab.js',
    'serve',
    '--port',
    '0',
    '--data',
    data,
    '--warm',
    String(W),
    '--idle',
    '0',
    ...(opt.parallel ? ['--parallel', opt.parallel] : []),
  ],
  { cwd: ROOT, env: { ...process.env, TOPLAB_ADMIN_TOKEN: token } },
);
let out = '';
child.stdout.on('data', (c) => (out += c));
child.stderr.on('data', (c) => (out += c));
let rssMax = 0;
const rssSamples = [];
const sampler = setInterval(() => {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
    rssSamples.push(kb);
    rssMax = Math.max(rssMax, kb);
  } catch {}
}, 250);

let url = '';
let wid = '';
const api = async (method, path, body, cookie) => {
  const r = await fetch(url + path, {
    method,
    headers: { ...(cookie ? { cookie } : { authorization: `Bearer ${token}` }), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(120_000),
  });
  const text = await r.text();
  return {
    status: r.status,
    body: text ? JSON.parse(text) : null,
    cookie: r.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; '),
  };
};

function prompt(sid, cookie) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/students/${sid}/terminals/server`, { headers: { cookie } });
    let text = '';
    const t = setTimeout(() => reject(new Error('no prompt')), 60_000);
    ws.on('message', (d, bin) => {
      if (bin) text += d.toString();
      if (text.includes('$ ')) {
        clearTimeout(t);
        ws.close();
        resolve();
      }
    });
    ws.on('error', reject);
  });
}

async function main() {
  const started = Date.now();
  while (!/listening on (\S+)/.test(out)) {
    if (child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`server did not start: ${out}`);
    await sleep(50);
  }
  url = /listening on (\S+)/.exec(out)[1];
  const w = await api('POST', '/api/workshops', { labs: ['tcp-handshake'], capacity: N, warm: W });
  wid = w.body.id;
  const poolStart = Date.now();
  while ((await api('GET', `/api/workshops/${wid}`)).body.counts.warmInstances < W) await sleep(200);
  const poolMs = Date.now() - poolStart;
  say(`${W} warm instances in ${(poolMs / 1000).toFixed(1)} s; ${N} students join now (load average ${load()})`);
  const burstStart = Date.now();
  let prompts = 0;
  const rssIdle = rssSamples.at(-1);
  const joins = await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const t0 = Date.now();
      const j = await api('POST', '/api/join', { code: w.body.code, name: `student-${i}` });
      if (j.status !== 200) throw new Error(`join ${i}: ${j.status} ${JSON.stringify(j.body)}`);
      const sid = j.body.student.id;
      const warm = j.body.student.state === 'ready';
      let maxQueue = j.body.student.queuePosition ?? 0;
      for (;;) {
        const s = await api('GET', `/api/students/${sid}`, undefined, j.cookie);
        if (s.body.state === 'ready') break;
        if (s.body.state === 'failed') throw new Error(`student ${i} failed: ${s.body.message}`);
        maxQueue = Math.max(maxQueue, s.body.queuePosition ?? 0);
        await sleep(250);
      }
      await prompt(sid, j.cookie);
      say(`prompt ${++prompts}/${N}: student-${i} after ${((Date.now() - t0) / 1000).toFixed(1)} s${warm ? ' (warm)' : ''}`);
      return { i, sid, cookie: j.cookie, warm, ms: Date.now() - t0, maxQueue };
    }),
  );
  const rssAfterJoins = rssSamples.at(-1);
  const burstMs = Date.now() - burstStart;
  const loadAfterJoins = load();
  const ref = {
    'server.ts': readFileSync(join(ROOT, 'labs/tcp-handshake/server.ts'), 'utf8'),
    'client.ts': readFileSync(join(ROOT, 'labs/tcp-handshake/client.ts'), 'utf8'),
  };
  const checkMs = [];
  for (const s of C > 0 ? joins.slice(0, C) : []) {
    for (const [name, content] of Object.entries(ref)) await api('PUT', `/api/students/${s.sid}/files/${name}`, { content }, s.cookie);
    const t0 = Date.now();
    const c = await api('POST', `/api/students/${s.sid}/check`, undefined, s.cookie);
    for (;;) {
      const a = await api('GET', `/api/students/${s.sid}/attempts/${c.body.attemptId}`, undefined, s.cookie);
      if (a.body.status !== 'running') {
        if (a.body.status !== 'passed') throw new Error(`check of the reference: ${a.body.status}`);
        break;
      }
      await sleep(50);
    }
    checkMs.push(Date.now() - t0);
    say(`check ${checkMs.length}/${C}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  // The CLI on the same lab, same machine, same moment (its own instance, brought up first, not timed).
  const inst = `benchws-${process.pid}`;
  const cliMs = [];
  if (C > 0)
    try {
      spawnSync(process.execPath, ['bin/lab.js', 'up', 'tcp-handshake', '--instance', inst], { cwd: ROOT });
      for (let k = 0; k < C; k++) {
        const t0 = Date.now();
        const r = spawnSync(
          process.execPath,
          ['bin/lab.js', 'check', 'tcp-handshake', '--instance', inst, '--results', join(data, 'cli')],
          { cwd: ROOT },
        );
        if (r.status !== 0) throw new Error(`lab check: ${r.stdout}${r.stderr}`);
        cliMs.push(Date.now() - t0);
        say(`lab check ${cliMs.length}/${C}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    } finally {
      spawnSync(process.execPath, ['bin/lab.js', 'down', 'tcp-handshake', '--instance', inst], { cwd: ROOT });
    }
  const students = (await api('GET', `/api/workshops/${wid}/students`)).body;
  const warmJ = joins.filter((j) => j.warm).map((j) => j.ms);
  const coldJ = joins.filter((j) => !j.warm).map((j) => j.ms);
  const all = joins.map((j) => j.ms);
  const f = (ms) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);
  // The server logs "instance NAME (LAB) is warm in 2.3s" for each instance it made.
  const warmLines = [...out.matchAll(/is warm in ([\d.]+)s(?: \(containers ([\d.]+)s, observers ([\d.]+)s)?/g)];
  const instanceMs = warmLines.map((m) => Number(m[1]) * 1000);
  const containersMs = warmLines.filter((m) => m[2] !== undefined).map((m) => Number(m[2]) * 1000);
  const observersMs = warmLines.filter((m) => m[3] !== undefined).map((m) => Number(m[3]) * 1000);
  const parallel = Number(/--parallel (\d+)/.exec(child.spawnargs.join(' '))?.[1] ?? 0) || null;
  const queued = coldLength(joins);
  const report = {
    students: N,
    warm: W,
    parallel: parallel ?? 'server default',
    loadAverage: { start: loadAtStart, afterJoins: loadAfterJoins, end: load() },
    instanceWarm: {
      n: instanceMs.length,
      p50: pct(instanceMs, 50),
      p95: pct(instanceMs, 95),
      containersP50: pct(containersMs, 50),
      observersP50: pct(observersMs, 50),
    },
    burst: { ms: burstMs, queuedPerSecond: queued > 0 ? Number((queued / (burstMs / 1000)).toFixed(2)) : null },
    poolReadyMs: poolMs,
    joinToPrompt: { p50: pct(all, 50), p95: pct(all, 95), max: Math.max(...all) },
    warmJoinToPrompt: warmJ.length ? { n: warmJ.length, p50: pct(warmJ, 50), p95: pct(warmJ, 95) } : null,
    queuedJoinToPrompt: coldJ.length
      ? { n: coldJ.length, p50: pct(coldJ, 50), p95: pct(coldJ, 95), longestQueue: Math.max(...joins.map((j) => j.maxQueue)) }
      : null,
    checkToResult: { n: checkMs.length, p50: pct(checkMs, 50), p95: pct(checkMs, 95) },
    cliCheck: { n: cliMs.length, p50: pct(cliMs, 50), p95: pct(cliMs, 95) },
    rssMB: { idle: Math.round(rssIdle / 1024), afterJoins: Math.round(rssAfterJoins / 1024), max: Math.round(rssMax / 1024) },
    lost: { studentsMissing: N - students.length, notReady: students.filter((s) => s.state !== 'ready').length },
  };
  console.log(JSON.stringify(report, null, 2));
  console.log(`\n| figure | value |\n|---|---|`);
  console.log(
    `| join→prompt, all ${N} (p50 / p95 / max) | ${f(report.joinToPrompt.p50)} / ${f(report.joinToPrompt.p95)} / ${f(report.joinToPrompt.max)} |`,
  );
  if (report.warmJoinToPrompt)
    console.log(
      `| join→prompt, the ${warmJ.length} with a warm instance (p50 / p95) | ${f(report.warmJoinToPrompt.p50)} / ${f(report.warmJoinToPrompt.p95)} |`,
    );
  if (report.queuedJoinToPrompt)
    console.log(
      `| join→prompt, the ${coldJ.length} queued (p50 / p95) | ${f(report.queuedJoinToPrompt.p50)} / ${f(report.queuedJoinToPrompt.p95)} |`,
    );
  console.log(`| Check→result, reference, ${C} in a row (p50 / p95) | ${f(report.checkToResult.p50)} / ${f(report.checkToResult.p95)} |`);
  console.log(`| \`lab check\` from the CLI, same lab (p50 / p95) | ${f(report.cliCheck.p50)} / ${f(report.cliCheck.p95)} |`);
  console.log(
    `| server RSS: pool ready / after ${N} joins / max | ${report.rssMB.idle} / ${report.rssMB.afterJoins} / ${report.rssMB.max} MB |`,
  );
  console.log(`| students lost / not ready | ${report.lost.studentsMissing} / ${report.lost.notReady} |`);
  console.log(
    `| instance made (warm) in, ${instanceMs.length} instances (p50 / p95; p50 of its containers / observers) | ${f(report.instanceWarm.p50)} / ${f(report.instanceWarm.p95)}; ${f(report.instanceWarm.containersP50)} / ${f(report.instanceWarm.observersP50)} |`,
  );
  console.log(
    `| burst: all ${N} prompts in / queued students served per second | ${f(burstMs)} / ${report.burst.queuedPerSecond ?? '–'} |`,
  );
  console.log(
    `| load average (1/5/15 min) at start / after joins / end | ${report.loadAverage.start} / ${report.loadAverage.afterJoins} / ${report.loadAverage.end} |`,
  );
}

function coldLength(joins) {
  return joins.filter((j) => !j.warm).length;
}

try {
  await main();
} catch (e) {
  console.error(`bench failed: ${e.message}\n${out.slice(-2000)}`);
  process.exitCode = 1;
} finally {
  clearInterval(sampler);
  if (wid) await api('POST', `/api/workshops/${wid}/end`).catch(() => undefined);
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  rmSync(data, { recursive: true, force: true });
}
