import type { CheckDef } from '../lab/model.js';
import type { Observations } from '../exercise/observations.js';
import { checkHandshake } from './handshake.js';
import { checkExit, checkOutput } from './output.js';
import { checkSocket } from './socket.js';
import { checkTeardown } from './teardown.js';
import type { CheckResult, Verdict } from './types.js';

function verdictFor(check: CheckDef, obs: Observations): { kind: string; verdict: Verdict } {
  if ('handshake' in check) return { kind: 'handshake', verdict: checkHandshake(check.handshake, obs) };
  if ('teardown' in check) return { kind: 'teardown', verdict: checkTeardown(check.teardown, obs) };
  if ('socket' in check) return { kind: 'socket', verdict: checkSocket(check.socket, obs) };
  if ('output' in check) return { kind: 'output', verdict: checkOutput(check.output, obs) };
  if ('exit' in check) return { kind: 'exit', verdict: checkExit(check.exit, obs) };
  throw new Error(`check ${(check as CheckDef).id} has no known kind`);
}

/** Evaluates every check; pure. */
export function evaluateChecks(checks: CheckDef[], obs: Observations): CheckResult[] {
  return checks.map((check) => {
    const { kind, verdict } = verdictFor(check, obs);
    return {
      id: check.id,
      kind,
      title: check.title ?? check.id,
      status: verdict.passed ? 'passed' : 'failed',
      points: verdict.passed ? check.points : 0,
      maxPoints: check.points,
      message: verdict.message,
      evidence: verdict.evidence ?? [],
    };
  });
}
