import type { ProgramDef } from '../lab/model.js';
import type { CompiledProgram } from '../programs/compile.js';
import { containerOf, type RunningLab } from '../deploy/running-lab.js';
import type { ExecResult } from '../runtime/runtime.js';

/** Programs run as this unprivileged user (created in the lab image), never as root. */
export const PROGRAM_USER = '1000:1000';
export const PROGRAMS_DIR = '/opt/toplab/programs';
/** Per-program state inside the node: pid, stdout, stderr, exit. A tmpfs, capped in size. */
export const RUN_DIR = '/run/toplab';

export function programFile(name: string): string {
  return `${PROGRAMS_DIR}/${name}.cjs`;
}

export function programFiles(programs: CompiledProgram[]): { path: string; content?: string; mode?: number }[] {
  return [
    { path: 'toplab/' },
    { path: 'toplab/programs/' },
    ...programs.map((p) => ({ path: `toplab/programs/${p.name}.cjs`, content: p.code, mode: 0o644 })),
  ];
}

/** Installs compiled programs into their nodes (replacing earlier versions). */
export async function installPrograms(running: RunningLab, programs: CompiledProgram[]): Promise<void> {
  const byNode = new Map<string, CompiledProgram[]>();
  for (const p of programs) {
    const def = running.lab.def.programs[p.name];
    if (!def) continue;
    byNode.set(def.node, [...(byNode.get(def.node) ?? []), p]);
  }
  await Promise.all([...byNode].map(([node, list]) => running.runtime.copyFiles(containerOf(running, node), '/opt', programFiles(list))));
}

function envFor(running: RunningLab, def: ProgramDef): Record<string, string> {
  return { HOME: '/home/student', NODE_NO_WARNINGS: '1', TOPLAB_LAB: running.plan.lab, TOPLAB_INSTANCE: running.plan.instance, ...(def.env ?? {}) };
}

function programDef(running: RunningLab, name: string): ProgramDef {
  const def = running.lab.def.programs[name];
  if (!def) throw new Error(`unknown program ${name}`);
  return def;
}

/** Starts a program in the background; its output and exit code go to files under RUN_DIR/<name>. */
export async function startProgram(running: RunningLab, name: string): Promise<void> {
  const def = programDef(running, name);
  const dir = `${RUN_DIR}/${name}`;
  // The shell records node's pid, waits for it and writes its exit code, so a crash is seen at once.
  const script = `mkdir -p ${dir} && cd /home/student 2>/dev/null; rm -f ${dir}/exit ${dir}/pid; node ${programFile(name)} "$@" >${dir}/stdout 2>${dir}/stderr </dev/null & echo $! >${dir}/pid; wait $!; echo $? >${dir}/exit`;
  await running.runtime.execDetached(containerOf(running, def.node), ['sh', '-c', script, name, ...(def.args ?? [])], {
    user: PROGRAM_USER,
    env: envFor(running, def),
  });
}

export interface ReadyCondition {
  proto: 'tcp' | 'udp';
  /** Ready when a socket of this protocol is listening (TCP) or bound (UDP) on this port; absent: once started. */
  port?: number;
  timeoutMs: number;
}

export type StartOutcome = 'ready' | 'timeout' | `exited:${string}`;

/**
 * Ends an earlier run of the program, starts it in the background and waits until it is ready, all in
 * one exec: the wait is a loop inside the node that reads /proc/net/{tcp,udp}{,6} (no tools or
 * privileges needed) every 20 ms and sees a crash through the exit file. The program keeps running
 * after the exec ends (its output goes to files under RUN_DIR, not to the exec's streams).
 *
 * Why not poll from here: every exec costs the engine a runc exec (about 150 ms on a 2-core machine,
 * several times that under load), and stop + start + polls took four or more of them.
 */
export async function startProgramAndWait(running: RunningLab, name: string, ready: ReadyCondition): Promise<StartOutcome> {
  const def = programDef(running, name);
  const dir = `${RUN_DIR}/${name}`;
  const { port, proto } = ready;
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new Error(`bad port ${port}`);
  const ms = Math.max(0, Math.round(ready.timeoutMs));
  // /proc/net rows: "  sl: local-hex:PORT remote-hex:PORT state ..."; LISTEN is 0A (TCP), an unconnected UDP socket 07.
  const row = port === undefined ? '' : `^ *[0-9]+: [0-9A-F]+:${port.toString(16).toUpperCase().padStart(4, '0')} [0-9A-F]+:0000 ${proto === 'tcp' ? '0A' : '07'} `;
  const script = [
    `d=${dir}; mkdir -p $d || exit 90`,
    // An earlier run still going: end it by the pid it recorded, and let its wrapper write its exit first.
    `if p=$(cat $d/pid 2>/dev/null) && [ ! -e $d/exit ]; then kill -KILL "$p" 2>/dev/null; i=0; while [ ! -e $d/exit ] && [ $i -lt 100 ]; do sleep 0.01; i=$((i+1)); done; fi`,
    `rm -f $d/exit $d/pid; cd /home/student 2>/dev/null`,
    // The same wrapper as startProgram's: records node's pid, waits for it and writes its exit code.
    `sh -c 'node ${programFile(name)} "$@" >${dir}/stdout 2>${dir}/stderr </dev/null & echo $! >${dir}/pid; wait $!; echo $? >${dir}/exit' "$0" "$@" >/dev/null 2>&1 </dev/null &`,
    row === ''
      ? 'echo ready'
      : [
          `end=$(( $(date +%s%N) / 1000000 + ${ms} ))`,
          'while :; do',
          `  if grep -qE '${row}' /proc/net/${proto} /proc/net/${proto}6 2>/dev/null; then echo ready; exit 0; fi`,
          '  if [ -e $d/exit ]; then echo "exited:$(cat $d/exit)"; exit 0; fi',
          '  if [ $(( $(date +%s%N) / 1000000 )) -ge $end ]; then echo timeout; exit 0; fi',
          '  sleep 0.02',
          'done',
        ].join('\n'),
  ].join('\n');
  const r = await running.runtime.exec(containerOf(running, def.node), ['sh', '-c', script, name, ...(def.args ?? [])], {
    user: PROGRAM_USER,
    env: envFor(running, def),
    // A backstop only: the loop above ends itself at the deadline.
    timeoutMs: ms + 10_000,
  });
  const out = r.stdout.toString().trim().split('\n').pop() ?? '';
  if (out === 'ready' || out === 'timeout' || out.startsWith('exited:')) return out as StartOutcome;
  return 'timeout';
}

export interface ProgramState {
  pid?: number;
  /** Present once the program has ended. */
  exitCode?: number;
  stdout: string;
  stderr: string;
}

/** Reads what a background program has done so far, in one exec. */
export async function programState(running: RunningLab, name: string, maxBytes = 1024 * 1024): Promise<ProgramState> {
  const def = programDef(running, name);
  const dir = `${RUN_DIR}/${name}`;
  const sep = '\n@@toplab@@\n';
  const r = await running.runtime.exec(
    containerOf(running, def.node),
    ['sh', '-c', `cat ${dir}/pid 2>/dev/null; printf '${sep.replace(/\n/g, '\\n')}'; cat ${dir}/exit 2>/dev/null; printf '${sep.replace(/\n/g, '\\n')}'; head -c ${maxBytes} ${dir}/stdout 2>/dev/null; printf '${sep.replace(/\n/g, '\\n')}'; head -c ${maxBytes} ${dir}/stderr 2>/dev/null`],
    { maxBytes: 2 * maxBytes + 1024 },
  );
  const [pid = '', exit = '', stdout = '', stderr = ''] = r.stdout.toString('utf8').split(sep);
  const state: ProgramState = { stdout, stderr };
  if (/^\d+/.test(pid.trim())) state.pid = Number(pid.trim());
  if (/^\d+/.test(exit.trim())) state.exitCode = Number(exit.trim());
  return state;
}

/** Ends a program this tool started, by the pid it recorded. */
export async function stopProgram(running: RunningLab, name: string): Promise<void> {
  const def = programDef(running, name);
  const dir = `${RUN_DIR}/${name}`;
  await running.runtime.exec(
    containerOf(running, def.node),
    ['sh', '-c', `p=$(cat ${dir}/pid 2>/dev/null) && [ ! -e ${dir}/exit ] && kill -KILL "$p" 2>/dev/null; true`],
    { user: PROGRAM_USER, timeoutMs: 5000 },
  );
}

/** Runs a program to completion (or until the timeout, when it is killed by its pid). */
export async function runProgram(running: RunningLab, name: string, opts: { timeoutMs: number; stdin?: string }): Promise<ExecResult> {
  const def = programDef(running, name);
  const container = containerOf(running, def.node);
  const dir = `${RUN_DIR}/${name}`;
  const script = `mkdir -p ${dir} && cd /home/student 2>/dev/null; echo $$ >${dir}/pid; exec node ${programFile(name)} "$@"`;
  const result = await running.runtime.exec(container, ['sh', '-c', script, name, ...(def.args ?? [])], {
    user: PROGRAM_USER,
    env: envFor(running, def),
    timeoutMs: opts.timeoutMs,
    stdin: opts.stdin ?? '',
  });
  if (result.timedOut) {
    await running.runtime.exec(container, ['sh', '-c', `p=$(cat ${dir}/pid 2>/dev/null) && kill -KILL "$p" 2>/dev/null; true`], { user: PROGRAM_USER, timeoutMs: 5000 });
  }
  return result;
}
