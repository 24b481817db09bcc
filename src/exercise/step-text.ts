/**
 * What a lab's exercise steps say about themselves: the setup steps `lab up` runs, and the one-line
 * description of each step shown in progress and in reports.
 */
import { join } from 'node:path';
import type { CommandStep, StartStep, StepDef, WaitStep } from '../lab/model.js';

/**
 * What `lab up` runs so the lab is ready to poke at, as the README says: the exercise's leading `start` steps
 * and the lab's own `command` steps (`run:`, never a student's command file) among them, up to the first other
 * step. Captures among them are skipped (they record a graded run; `lab up` records nothing), so a `start`
 * after a capture runs too.
 */
export function setupSteps(steps: StepDef[]): (StartStep | CommandStep)[] {
  const out: (StartStep | CommandStep)[] = [];
  for (const s of steps) {
    if ('capture' in s) continue;
    if (!('start' in s) && !('command' in s && s.command.file === undefined)) break;
    out.push(s);
  }
  return out;
}

export function describeStep(step: StepDef): string {
  if ('start' in step) {
    const r = step.ready;
    const conds = [r?.tcp !== undefined ? `tcp ${r.tcp} listening` : '', r?.udp !== undefined ? `udp ${r.udp} bound` : '', r?.unix ? `unix ${r.unix} listening` : '', r?.stdout ? `stdout /${r.stdout}/` : ''].filter(Boolean);
    return `start ${step.start}${step.name && step.name !== step.start ? ` as ${step.name}` : ''}${conds.length ? ` (ready: ${conds.join(', ')})` : ''}`;
  }
  if ('run' in step) return `run ${step.run}${step.name && step.name !== step.run ? ` as ${step.name}` : ''}`;
  if ('command' in step) return `command ${step.command.name} on ${step.command.node}${step.command.privileged ? ' (privileged)' : ''}`;
  if ('capture' in step) return `capture ${step.capture.name} on ${step.capture.node}${step.capture.command ? ` (the command in ${step.capture.command})` : step.capture.filter ? ` (${step.capture.filter})` : ''}`;
  if ('probe' in step) return `probe ${step.probe.name}: ${step.probe.kind ?? 'sockets'} on ${step.probe.node}${step.probe.target ? ` to ${step.probe.target}` : ''}`;
  if ('wait' in step) return `wait ${describeWait(step.wait)}`;
  return `stop ${step.stop}`;
}

export function describeWait(w: WaitStep['wait']): string {
  if (w.exit !== undefined) return `for ${w.exit} to end`;
  if (w.output !== undefined) return `for ${w.output} to print /${w.matches ?? ''}/`;
  const what = w.tcp !== undefined ? `tcp ${w.tcp}` : w.udp !== undefined ? `udp ${w.udp}` : `unix ${w.unix ?? ''}`;
  return `for ${what} ${w.state ?? defaultState(w)} in ${w.node ?? '?'}`;
}

export function defaultState(w: { udp?: number }): string {
  return w.udp !== undefined ? 'UNCONN' : 'LISTEN';
}

/** A step's timeout in seconds (or the default) in milliseconds. */
export const seconds = (s: number | undefined, fallback: number): number => (s ?? fallback) * 1000;
