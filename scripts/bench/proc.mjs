// Timed child processes for the benchmark. Every child is tracked by its pid so that an interrupted run
// ends exactly the processes it started, and nothing else.
import { spawn } from 'node:child_process';

const children = new Set();

/**
 * Runs a command and resolves with its exit code, output and wall time (spawn to exit, in ms). Never
 * rejects on a non-zero exit: the caller decides what a failure means.
 */
export function timed(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: '1', ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    const done = (code, error) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr: error ? `${stderr}${error}` : stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    };
    child.on('error', (e) => done(null, String(e)));
    child.on('close', (code) => done(code));
  });
}

/** Runs a command; throws with its output when it fails. */
export async function must(cmd, args, opts = {}) {
  const r = await timed(cmd, args, opts);
  if (r.code !== 0) throw new Error(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.code}):\n${tail(r.stderr || r.stdout)}`);
  return r;
}

/** Ends the children this process started and that are still running, by their pids. */
export function killChildren() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function tail(text, lines = 12) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
