import type { Observations, ProgramObservation } from '../exercise/observations.js';
import { formatBytes } from '../util/bytes.js';
import { CHECK_KINDS, type ResolvedCheck } from './registry.js';
import type { CheckKind } from './kind.js';
import type { CheckResult, Verdict } from './types.js';

const BY_NAME = new Map<string, CheckKind>(CHECK_KINDS.map((k) => [k.name, k as CheckKind]));

function verdictFor(check: ResolvedCheck, obs: Observations): Verdict {
  const kind = BY_NAME.get(check.kind);
  if (!kind) throw new Error(`check ${check.id} has no known kind`);
  return kind.evaluate(check.spec, obs);
}

const MAX_EVIDENCE = 6;

/** The capture a check reads, when tcpdump reported dropping packets of it. */
function lostPackets(check: ResolvedCheck, obs: Observations): { capture: string; dropped: number } | undefined {
  const name = (check.spec as { capture?: unknown }).capture;
  const dropped = typeof name === 'string' ? obs.captures[name]?.dropped : undefined;
  return typeof name === 'string' && dropped ? { capture: name, dropped } : undefined;
}

/** Evaluates every check; pure. A verdict that could not observe what it judges (`unobserved`) is `skipped`, with no points. A check function that throws is a bug in toplab, reported as that check's failure with the reason. */
export function evaluateChecks(checks: ResolvedCheck[], obs: Observations): CheckResult[] {
  return checks.map((check) => {
    let verdict: Verdict;
    try {
      verdict = verdictFor(check, obs);
    } catch (e) {
      verdict = { passed: false, message: `toplab could not evaluate this check: ${e instanceof Error ? e.message : String(e)}` };
    }
    const failed = !verdict.passed && verdict.unobserved !== true;
    let message = failed && check.hint ? `${verdict.message} Hint: ${check.hint}` : verdict.message;
    const lost = failed ? lostPackets(check, obs) : undefined;
    // What the limits stopped is said whatever the verdict: a pass under a full disk or a flood is still worth knowing.
    for (const note of [...(obs.sandbox ?? []), ...floodNotes(obs.programs)]) message += ` Note: ${note}.`;
    if (lost)
      message += ` Note: the capture \`${lost.capture}\` lost ${lost.dropped} packet(s) in the kernel (tcpdump could not keep up: the machine was busy), so this failure may not be yours; run the check again.`;
    return {
      id: check.id,
      kind: check.kind,
      title: check.title,
      // Not observed is neither passed nor failed (the student is not marked down for what the tool did not see).
      status: verdict.passed ? 'passed' : failed ? 'failed' : 'skipped',
      points: verdict.passed ? check.points : 0,
      maxPoints: check.points,
      message,
      evidence: (verdict.evidence ?? []).slice(0, MAX_EVIDENCE).map((e) => (e.length > 240 ? e.slice(0, 240) + '…' : e)),
    };
  });
}

/** "client wrote 1.0 GiB of output; 1.0 MiB kept" for each program whose output went past what is kept. */
export function floodNotes(programs: Record<string, ProgramObservation>): string[] {
  return Object.entries(programs)
    .filter(([, p]) => p.droppedBytes > 0)
    .map(([name, p]) => {
      const kept = Buffer.byteLength(p.stdout) + Buffer.byteLength(p.stderr);
      return `${name} wrote ${formatBytes(kept + p.droppedBytes)} of output; ${formatBytes(kept)} kept`;
    });
}
