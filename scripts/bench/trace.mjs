// Profiling preload for the benchmark: `node --import ./scripts/bench/trace.mjs bin/lab.js ...`.
// Records every Docker engine call (method, path, start and end relative to process start) and writes them as JSON to $TOPLAB_BENCH_TRACE when the process exits. It only
// observes: no toplab code is changed, so what it measures is what a user runs.
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const out = process.env.TOPLAB_BENCH_TRACE;
const require = createRequire(new URL('../../package.json', import.meta.url));
const events = [];
const now = () => Math.round(performance.now() * 10) / 10;

const Modem = require('docker-modem');
const dial = Modem.prototype.dial;
Modem.prototype.dial = function (options, callback) {
  const ev = { kind: 'engine', what: `${options.method} ${String(options.path).replace(/\?.*$/, '')}`, start: now() };
  // Which command an exec runs: the start of its script, enough to tell the steps apart.
  const cmd = options.options?.Cmd;
  if (Array.isArray(cmd)) ev.cmd = cmd.map(String).join(' ').replace(/\s+/g, ' ').slice(0, 90);
  events.push(ev);
  return dial.call(this, options, (err, data) => {
    ev.end = now();
    if (err) ev.error = String(err.statusCode ?? err.message ?? err);
    callback(err, data);
  });
};

events.push({ kind: 'mark', what: 'preload done', start: now() });
process.on('exit', () => {
  events.push({ kind: 'mark', what: 'exit', start: now() });
  if (out) writeFileSync(out, JSON.stringify(events));
});
