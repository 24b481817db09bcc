import type { CheckDef } from '../lab/model.js';
import type { Observations, ProgramObservation } from '../exercise/observations.js';
import { checkAnswer } from './answer.js';
import { checkHandshake } from './handshake.js';
import { checkIcmp } from './icmp.js';
import { checkInterface } from './interface.js';
import { checkError, checkExit, checkOutput } from './output.js';
import { checkRoute } from './route.js';
import { checkCaptureAnswer, checkCaptureMatch, checkTcpdumpCommand } from './capture-match.js';
import { checkProcIo } from './proc-io.js';
import { checkSockaddr } from './sockaddr.js';
import { checkTopTalker } from './top-talker.js';
import { checkSocket } from './socket.js';
import { checkTcpData } from './tcp-data.js';
import { formatBytes } from '../util/bytes.js';
import { checkTeardown } from './teardown.js';
import { checkUdp } from './udp.js';
import { checkWindow } from './window.js';
import type { CheckResult, Verdict } from './types.js';

function verdictFor(check: CheckDef, obs: Observations): { kind: string; verdict: Verdict } {
  if ('handshake' in check) return { kind: 'handshake', verdict: checkHandshake(check.handshake, obs) };
  if ('teardown' in check) return { kind: 'teardown', verdict: checkTeardown(check.teardown, obs) };
  if ('tcp-data' in check) return { kind: 'tcp-data', verdict: checkTcpData(check['tcp-data'], obs) };
  if ('udp' in check) return { kind: 'udp', verdict: checkUdp(check.udp, obs) };
  if ('icmp' in check) return { kind: 'icmp', verdict: checkIcmp(check.icmp, obs) };
  if ('route' in check) return { kind: 'route', verdict: checkRoute(check.route, obs) };
  if ('socket' in check) return { kind: 'socket', verdict: checkSocket(check.socket, obs) };
  if ('output' in check) return { kind: 'output', verdict: checkOutput(check.output, obs) };
  if ('exit' in check) return { kind: 'exit', verdict: checkExit(check.exit, obs) };
  if ('error' in check) return { kind: 'error', verdict: checkError(check.error, obs) };
  if ('interface' in check) return { kind: 'interface', verdict: checkInterface(check.interface, obs) };
  if ('window' in check) return { kind: 'window', verdict: checkWindow(check.window, obs) };
  if ('answer' in check) return { kind: 'answer', verdict: checkAnswer(check.answer, obs) };
  if ('sockaddr' in check) return { kind: 'sockaddr', verdict: checkSockaddr(check.sockaddr, obs) };
  if ('capture-match' in check) return { kind: 'capture-match', verdict: checkCaptureMatch(check['capture-match'], obs) };
  if ('capture-answer' in check) return { kind: 'capture-answer', verdict: checkCaptureAnswer(check['capture-answer'], obs) };
  if ('proc-io' in check) return { kind: 'proc-io', verdict: checkProcIo(check['proc-io'], obs) };
  if ('top-talker' in check) return { kind: 'top-talker', verdict: checkTopTalker(check['top-talker'], obs) };
  if ('tcpdump-command' in check) return { kind: 'tcpdump-command', verdict: checkTcpdumpCommand(check['tcpdump-command'], obs) };
  throw new Error(`check ${(check as CheckDef).id} has no known kind`);
}

const MAX_EVIDENCE = 6;

/** The capture a check reads, when tcpdump reported dropping packets of it. */
function lostPackets(check: CheckDef, obs: Observations): { capture: string; dropped: number } | undefined {
  for (const [key, value] of Object.entries(check)) {
    if (key === 'id' || key === 'points' || key === 'title' || key === 'hint' || typeof value !== 'object' || value === null) continue;
    const name = (value as { capture?: unknown }).capture;
    const dropped = typeof name === 'string' ? obs.captures[name]?.dropped : undefined;
    if (typeof name === 'string' && dropped) return { capture: name, dropped };
  }
  return undefined;
}

/** Evaluates every check; pure. A check function that throws is a bug in toplab, reported as that check's failure with the reason. */
export function evaluateChecks(checks: CheckDef[], obs: Observations): CheckResult[] {
  return checks.map((check) => {
    let kind = 'unknown';
    let verdict: Verdict;
    try {
      ({ kind, verdict } = verdictFor(check, obs));
    } catch (e) {
      verdict = { passed: false, message: `toplab could not evaluate this check: ${e instanceof Error ? e.message : String(e)}` };
    }
    let message = !verdict.passed && check.hint ? `${verdict.message} Hint: ${check.hint}` : verdict.message;
    const lost = verdict.passed ? undefined : lostPackets(check, obs);
    // What the limits stopped is said whatever the verdict: a pass under a full disk or a flood is still worth knowing.
    for (const note of [...(obs.sandbox ?? []), ...floodNotes(obs.programs)]) message += ` Note: ${note}.`;
    if (lost) message += ` Note: the capture \`${lost.capture}\` lost ${lost.dropped} packet(s) in the kernel (tcpdump could not keep up: the machine was busy), so this failure may not be yours; run the check again.`;
    return {
      id: check.id,
      kind,
      title: check.title ?? check.id,
      status: verdict.passed ? 'passed' : 'failed',
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
