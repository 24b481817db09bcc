/**
 * What a lab's exercise steps say about themselves: the setup steps `lab up` runs, and the one-line
 * description of each step shown in progress and in reports.
 */
import type { ResolvedStep, StepOfKind } from '../lab/resolve.js';

/** A step `lab up` runs: a start, or one of the lab's own commands. */
export type SetupStep = StepOfKind<'start'> | StepOfKind<'command'>;

/**
 * What `lab up` runs so the lab is ready to poke at, as the README says: the exercise's leading `start` steps
 * and the lab's own `command` steps (`run:`, never a student's command file) among them, up to the first other
 * step. Captures among them are skipped (they record a graded run; `lab up` records nothing), so a `start`
 * after a capture runs too.
 */
export function setupSteps(steps: readonly ResolvedStep[]): SetupStep[] {
  const out: SetupStep[] = [];
  for (const s of steps) {
    if (s.kind === 'capture') continue;
    if (s.kind === 'start' || (s.kind === 'command' && s.file === undefined)) out.push(s);
    else break;
  }
  return out;
}

export function describeStep(step: ResolvedStep): string {
  switch (step.kind) {
    case 'start': {
      const r = step.ready;
      const conds = [
        r?.tcp !== undefined ? `tcp ${r.tcp} listening` : '',
        r?.udp !== undefined ? `udp ${r.udp} bound` : '',
        r?.unix ? `unix ${r.unix} listening` : '',
        r?.stdout ? `stdout /${r.stdout}/` : '',
      ].filter(Boolean);
      return `start ${step.program}${step.name !== step.program ? ` as ${step.name}` : ''}${conds.length ? ` (ready: ${conds.join(', ')})` : ''}`;
    }
    case 'run':
      return `run ${step.program}${step.name !== step.program ? ` as ${step.name}` : ''}`;
    case 'command':
      return `command ${step.name} on ${step.node}${step.privileged ? ' (privileged)' : ''}`;
    case 'capture':
      return `capture ${step.name} on ${step.node}${step.command ? ` (the command in ${step.command})` : step.filter ? ` (${step.filter})` : ''}`;
    case 'probe':
      return `probe ${step.name}: ${step.probe} on ${step.node}${step.target ? ` to ${step.target}` : ''}`;
    case 'wait':
      return `wait ${describeWait(step)}`;
    case 'stop':
      return `stop ${step.target}`;
  }
}

/** `for server to end`, `for tcp 9000 LISTEN in server` ... */
export function describeWait(w: Omit<StepOfKind<'wait'>, 'kind' | 'index'>): string {
  if (w.exit !== undefined) return `for ${w.exit} to end`;
  if (w.output !== undefined) return `for ${w.output} to print /${w.matches ?? ''}/`;
  const what = w.tcp !== undefined ? `tcp ${w.tcp}` : w.udp !== undefined ? `udp ${w.udp}` : `unix ${w.unix ?? ''}`;
  // resolveStep gave every socket wait its state.
  return `for ${what} ${w.state ?? ''} in ${w.node ?? '?'}`;
}

/** Seconds (a resolved step's timeout) in milliseconds. */
export const ms = (seconds: number): number => seconds * 1000;
