/** A `start` step: launch a program in its node and wait, in the node, until it is ready (or has exited). */
import { StepError } from '../errors.js';
import type { StepOfKind } from './step-kinds/registry.js';
import { defaultSocketState } from './step-kinds/wait.js';
import type { SocketEntry } from '../observe/types.js';
import { parseSocketTables, socketTablesScript, waitInNodeScript, type RunRef } from './readiness.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { launchThen, outputMatches, processState, programLaunch, runDirOf, type LaunchSpec, type ProcessState } from './programs.js';
import { relevantLines } from './output-lines.js';
import { ms } from './step-kinds/kind.js';

/**
 * A node's socket tables from /proc (no tools or privileges needed) in one exec; with a run, also its exit code
 * once that run (not an earlier one of the same name) has ended.
 */
export async function procSockets(
  running: RunningLab,
  container: string,
  run?: RunRef,
): Promise<{ sockets: SocketEntry[]; exited?: string }> {
  const r = await running.runtime.exec(container, ['sh', '-c', socketTablesScript(run)], { timeoutMs: 15_000 });
  if (r.timedOut || r.exitCode === null) return { sockets: [] };
  return parseSocketTables(r.stdout.toString());
}

export function socketMatches(
  s: { proto: string; localPort?: number; path?: string; state: string; unixType?: string },
  want: { tcp?: number; udp?: number; unix?: string; state?: string },
): boolean {
  const state = (want.state ?? defaultSocketState(want))
    .toUpperCase()
    .replace(/-/g, '_')
    .replace(/^ESTAB$/, 'ESTABLISHED');
  if (want.tcp !== undefined) return s.proto === 'tcp' && s.localPort === want.tcp && s.state === state;
  if (want.udp !== undefined)
    return s.proto === 'udp' && s.localPort === want.udp && (s.state === state || (state === 'UNCONN' && s.state === 'CLOSE'));
  if (want.unix !== undefined)
    return s.proto === 'unix' && s.path === want.unix && (s.state === state || (state === 'ESTABLISHED' && s.state === 'CONNECTED'));
  return false;
}

export function startLaunch(running: RunningLab, step: StepOfKind<'start'>): LaunchSpec {
  return programLaunch(running, step.program, {
    name: step.name,
    ...(step.args ? { args: step.args } : {}),
    ...(step.env ? { env: step.env } : {}),
  });
}

/**
 * Starts a program and waits until it is ready; throws StepError naming what it waited for. `fresh`: the
 * node has never run this program (a new instance), so there is no earlier run to stop first.
 */
export async function startAndWait(
  running: RunningLab,
  step: StepOfKind<'start'>,
  spec = startLaunch(running, step),
  fresh = false,
): Promise<void> {
  const node = running.lab.programs[step.program]?.node ?? '';
  // The wrapper ends an earlier run of the same name (and waits until it is gone) before it starts this one.
  if (fresh) spec.fresh = true;
  const ready = step.ready ?? {};
  // Readiness returns as soon as it holds; the default (DEFAULTS.readyTimeoutS) leaves room for Node to start on a loaded machine.
  const timeoutMs = ms(step.readyTimeoutS);
  const deadline = Date.now() + timeoutMs;
  const run: RunRef = { dir: runDirOf(spec) };
  const want = {
    ...(ready.tcp !== undefined ? { tcp: ready.tcp } : {}),
    ...(ready.udp !== undefined ? { udp: ready.udp } : {}),
    ...(ready.unix !== undefined ? { unix: ready.unix } : {}),
  };
  const stdoutRe = ready.stdout !== undefined ? new RegExp(ready.stdout, 'm') : undefined;
  // Each wait in the node lasts at most this long (seconds, up to 5, never past the deadline), so a stuck engine
  // or node is noticed between them.
  const slice = (): number => Math.max(0.05, Math.min(5, (deadline - Date.now()) / 1000));
  const verdict = async (tables: string): Promise<string | undefined> => {
    const { sockets, exited } = parseSocketTables(tables);
    const conds: boolean[] = [];
    if (ready.tcp !== undefined) conds.push(sockets.some((s) => socketMatches(s, { tcp: ready.tcp })));
    if (ready.udp !== undefined) conds.push(sockets.some((s) => socketMatches(s, { udp: ready.udp })));
    if (ready.unix !== undefined) conds.push(sockets.some((s) => socketMatches(s, { unix: ready.unix })));
    if (stdoutRe) conds.push(outputMatches(stdoutRe, (await processState(running, spec, 64 * 1024)).stdout));
    if (conds.every(Boolean)) return 'ready';
    if (exited !== undefined) return `exited:${exited}`;
    return undefined;
  };
  let result = await verdict(await launchThen(running, spec, waitInNodeScript(want, run, slice()), (slice() + 10) * 1000));
  while (result === undefined && Date.now() < deadline) {
    // Output is awaited from here; sockets (and the end of the run) inside the node.
    if (stdoutRe) await new Promise((r) => setTimeout(r, 100));
    const r = await running.runtime.exec(spec.container, ['sh', '-c', waitInNodeScript(want, run, slice())], {
      timeoutMs: (slice() + 10) * 1000,
    });
    result = await verdict(r.stdout.toString());
  }
  // One last look: on a loaded host the program may have become ready while the last wait was returning.
  if (result === undefined) {
    const r = await running.runtime
      .exec(spec.container, ['sh', '-c', socketTablesScript(run)], { timeoutMs: 15_000 })
      .catch(() => undefined);
    if (r) result = await verdict(r.stdout.toString());
  }
  if (result === 'ready') return;
  const st = await processState(running, spec, 64 * 1024).catch(() => undefined);
  const tail = st ? said(st) : '';
  const wanted = [
    ready.tcp !== undefined ? `a TCP socket listening on port ${ready.tcp}` : '',
    ready.udp !== undefined ? `a UDP socket bound to port ${ready.udp}` : '',
    ready.unix !== undefined ? `a unix socket listening on ${ready.unix}` : '',
    stdoutRe ? `a line of output matching /${ready.stdout}/` : '',
  ].filter(Boolean);
  if (result?.startsWith('exited:')) {
    throw new StepError(
      `${spec.name} exited with code ${result.slice(7)} before it was ready${wanted.length ? ` (${wanted.join(', ')} in node ${node})` : ''}` +
        tail,
    );
  }
  throw new StepError(
    `${spec.name} was not ready after ${timeoutMs / 1000}s: there was still no ${wanted.map((w) => w.replace(/^an? /, '')).join(' and ') || 'start'} in node ${node}` +
      tail,
  );
}

/** `; it printed:` and the lines of its output that say what went wrong (stderr first), or nothing. */
export function said(st: Pick<ProcessState, 'stdout' | 'stderr'>): string {
  const lines = relevantLines(st.stderr.trim() ? st.stderr : st.stdout, 6);
  return lines.length > 0 ? `; it printed:\n${lines.map((l) => '    ' + l).join('\n')}` : '';
}
