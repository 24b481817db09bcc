import type { CaptureObservation, Observations, ProgramObservation } from '../exercise/observations.js';
import type { Verdict } from './types.js';

/** The capture a check names, or a failing verdict saying why there is none. */
export function captureOf(obs: Observations, name: string): CaptureObservation | Verdict {
  const cap = obs.captures[name];
  if (!cap) return { passed: false, message: `the capture \`${name}\` was not taken: an earlier step failed.` };
  if (cap.error) return { passed: false, message: `the capture \`${name}\` failed: ${cap.error}` };
  return cap;
}

export function programOf(obs: Observations, name: string): ProgramObservation | Verdict {
  const p = obs.programs[name];
  if (!p) return { passed: false, message: `${name} did not run: an earlier step failed.` };
  if (p.error) return { passed: false, message: `${name} did not run: ${p.error}` };
  return p;
}

export function nodeAddresses(obs: Observations, node: string): string[] {
  return obs.addresses[node] ?? [];
}

export function isVerdict(x: object): x is Verdict {
  return 'passed' in x && 'message' in x;
}
