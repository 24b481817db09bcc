import type { Observations } from '../exercise/observations.js';
import { programOf } from './observed.js';
import type { Verdict } from './types.js';

export interface OutputSpec {
  program: string;
  stream?: 'stdout' | 'stderr';
  equals?: string;
  contains?: string;
  matches?: string;
}

function show(s: string, max = 120): string {
  const one = JSON.stringify(s.length > max ? s.slice(0, max) + '…' : s);
  return one;
}

export function checkOutput(spec: OutputSpec, obs: Observations): Verdict {
  const p = programOf(obs, spec.program);
  if ('message' in p) return p;
  const stream = spec.stream ?? 'stdout';
  const text = p[stream];
  const evidence = [`${spec.program} ${stream}: ${show(text)}`];
  if (p.exitCode !== undefined && p.exitCode !== 0 && p.stderr.trim() !== '' && stream === 'stdout') {
    evidence.push(`${spec.program} stderr: ${show(p.stderr.trim().split('\n').slice(-1)[0] ?? '')}`);
  }
  if (spec.equals !== undefined) {
    const got = text.replace(/\r?\n$/, '');
    return got === spec.equals
      ? { passed: true, message: `${spec.program} printed ${show(spec.equals)}.`, evidence }
      : { passed: false, message: `${spec.program} should print exactly ${show(spec.equals)} on ${stream}, but printed ${got === '' ? 'nothing' : show(got)}.`, evidence };
  }
  if (spec.contains !== undefined) {
    return text.includes(spec.contains)
      ? { passed: true, message: `${spec.program}'s ${stream} contains ${show(spec.contains)}.`, evidence }
      : { passed: false, message: `${spec.program}'s ${stream} should contain ${show(spec.contains)}.`, evidence };
  }
  const re = new RegExp(spec.matches ?? '');
  return re.test(text)
    ? { passed: true, message: `${spec.program}'s ${stream} matches /${re.source}/.`, evidence }
    : { passed: false, message: `${spec.program}'s ${stream} should match /${re.source}/.`, evidence };
}

export function checkExit(spec: { program: string; code: number }, obs: Observations): Verdict {
  const p = programOf(obs, spec.program);
  if ('message' in p) return p;
  if (p.timedOut) return { passed: false, message: `${spec.program} did not finish in time, so it has no exit code.` };
  if (p.exitCode === undefined) return { passed: false, message: `${spec.program} was still running at the end of the exercise.` };
  return p.exitCode === spec.code
    ? { passed: true, message: `${spec.program} exited with code ${spec.code}.`, evidence: [`exit code ${p.exitCode}`] }
    : { passed: false, message: `${spec.program} exited with code ${p.exitCode}, expected ${spec.code}.`, evidence: [`exit code ${p.exitCode}`, ...(p.stderr ? [`stderr: ${p.stderr.trim().split('\n').slice(-1)[0] ?? ''}`] : [])] };
}
