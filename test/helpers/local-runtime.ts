import { spawn } from 'node:child_process';
import type { RunningLab } from '../../src/deploy/running-lab.js';
import type { ExecOptions, ExecResult, Runtime } from '../../src/runtime/runtime.js';

/**
 * A Runtime whose `exec` runs the command on this machine with sh (the container and user are ignored): the
 * in-node shell toplab sends to a node runs for real, against real files, without an engine. Listing finds
 * nothing; every other method throws.
 */
export function localRuntime(): Runtime {
  const no = (what: string) => (): never => {
    throw new Error(`the local runtime has no ${what}`);
  };
  return {
    copyFiles: no('copyFiles'),
    ping: no('ping'),
    usedSubnets: no('usedSubnets'),
    ensureHostRules: no('ensureHostRules'),
    removeHostRules: no('removeHostRules'),
    createNetwork: no('createNetwork'),
    createContainer: no('createContainer'),
    createPlaceholder: no('createPlaceholder'),
    execAttached: no('execAttached'),
    readFile: no('readFile'),
    // No engine, so no containers or networks: a run over localLab (no nodes) finds nothing gone.
    listContainers: () => Promise.resolve([]),
    listNetworks: () => Promise.resolve([]),
    removeContainers: no('removeContainers'),
    removeNetworks: no('removeNetworks'),
    exec: (_container: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> => {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const [file = 'true', ...args] = cmd;
        const child = spawn(file, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (c: Buffer) => out.push(c));
        child.stderr.on('data', (c: Buffer) => err.push(c));
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({
            exitCode: timedOut ? null : code,
            stdout: Buffer.concat(out),
            stderr: Buffer.concat(err),
            droppedStdout: 0,
            droppedStderr: 0,
            timedOut,
            durationMs: Date.now() - started,
          });
        });
      });
    },
  };
}

/** A RunningLab over the local runtime, for the pieces of the exercise that only exec (no lab, no plan). */
export function localLab(): RunningLab {
  return {
    lab: { name: 'local', dir: '/', programs: {}, submissionFiles: [], steps: [], checks: [], passMark: 1, maxScore: 0 },
    plan: { lab: 'local', instance: 'local', nodes: [] },
    runtime: localRuntime(),
    containers: new Map(),
  } as unknown as RunningLab;
}
