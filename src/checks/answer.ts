import type { Observations } from '../exercise/observations.js';
import type { AnswerCheck } from '../lab/model.js';
import { findInterface } from './interface.js';
import { isVerdict, probeOf, show } from './observed.js';
import { tracerouteOf } from './route.js';
import { hopCount } from '../observe/traceroute.js';
import type { Verdict } from './types.js';
import { joinDigitGroups, normalizeTyped } from '../util/typed-text.js';

/** Text as typed with any input method, in one form: see normalizeTyped (src/util/typed-text.ts). */
export const normalizeAnswer = normalizeTyped;

/**
 * The value of `key: value` / `key = value` (first match, case-insensitive key), or the whole text trimmed;
 * read after normalizeAnswer, so `mtu：１５００` is `1500`.
 */
export function answerValue(text: string, key: string | undefined): string | undefined {
  const t = normalizeAnswer(text);
  if (key === undefined) return t.trim();
  const k = normalizeAnswer(key);
  // [ \t], not \s: an empty answer must not take the next line as its value.
  const re = new RegExp(`^[ \\t]*${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*[:=][ \\t]*(.*?)[ \\t]*$`, 'im');
  return re.exec(t)?.[1];
}

/** The observed value, and how to name it in a message. */
function observed(spec: AnswerCheck['expect'], obs: Observations): { value: string | number; what: string } | Verdict {
  if ('value' in spec) return { value: spec.value, what: 'the expected answer' };
  if ('hops' in spec) {
    const r = tracerouteOf(obs, spec.hops);
    if ('passed' in r) return r;
    return { value: hopCount(r), what: 'the number of hops' };
  }
  if ('address' in spec) {
    const a = spec.address;
    const nets = obs.networks[a.node] ?? {};
    const addrs = a.network !== undefined ? [nets[a.network]] : Object.values(nets);
    const v = addrs.find((x): x is string => x !== undefined && (a.family === undefined || (a.family === 6) === x.includes(':')));
    if (v === undefined) return { passed: false, message: `${a.node} has no such address.` };
    return { value: v, what: `${a.node}'s address${a.network ? ` on ${a.network}` : ''}` };
  }
  if ('mtu' in spec) {
    const m = spec.mtu;
    const probe = probeOf(obs, m.probe, m.node, 'interfaces');
    if (isVerdict(probe)) return probe;
    const i = findInterface(obs, probe.interfaces ?? [], m);
    if (typeof i === 'string') return { passed: false, message: i + '.' };
    return { value: i.mtu, what: `the MTU of ${m.node}'s ${i.name}` };
  }
  const ref = 'pid' in spec ? spec.pid : spec.command;
  const port = ref.tcp ?? ref.udp;
  const proto = ref.tcp !== undefined ? 'tcp' : 'udp';
  const probeName = ref.probe;
  const probe = probeName !== undefined ? obs.probes[probeName] : probeOf(obs, undefined, ref.node, 'sockets');
  if (!probe) return { passed: false, message: `the probe \`${probeName ?? ''}\` was not taken: an earlier step failed.` };
  if (isVerdict(probe)) return probe;
  if (probe.error) return { passed: false, message: `could not see who holds ${proto} port ${port} in ${ref.node}: ${probe.error}` };
  let holder: { pid: number; command: string } | undefined;
  if (probe.lsof) {
    const e = probe.lsof.find((x) => x.proto === proto && x.localPort === port && (proto === 'udp' || x.state === 'LISTEN')) ?? probe.lsof.find((x) => x.proto === proto && x.localPort === port);
    if (e) holder = { pid: e.pid, command: e.command };
  } else {
    const e = (probe.sockets ?? []).find((x) => x.proto === proto && x.localPort === port && x.pid !== undefined && (proto === 'udp' || x.state === 'LISTEN'));
    if (e?.pid !== undefined) holder = { pid: e.pid, command: e.program ?? '' };
  }
  if (!holder) return { passed: false, message: `no process holds ${proto} port ${port} in ${ref.node}, so there is nothing to compare the answer with.` };
  return 'pid' in spec ? { value: holder.pid, what: `the PID holding ${proto} port ${port}` } : { value: holder.command, what: `the command holding ${proto} port ${port}` };
}

function same(answer: string, value: string | number, command: boolean): boolean {
  const a = normalizeAnswer(answer).trim();
  if (typeof value === 'number' || /^-?\d+(\.\d+)?$/.test(String(value))) {
    // Digit groups (`1,500`) are one number; a unit or word after it (`1500 bytes`) is left out.
    const n = Number(joinDigitGroups(a).replace(/[^\d.-]+$/, ''));
    return a !== '' && Number.isFinite(n) && n === Number(value);
  }
  const v = normalizeAnswer(String(value)).trim().toLowerCase();
  const got = a.toLowerCase();
  if (got === v) return true;
  // A command name matches a command line that starts with it, with or without its directory.
  return command && (got.split(/\s+/)[0] ?? '').split('/').pop() === v;
}

/** A student's answer (a submitted file or a command's output) against a value observed in this run. */
export function checkAnswer(spec: AnswerCheck, obs: Observations): Verdict {
  let text: string | undefined;
  let source: string;
  if (spec.file !== undefined) {
    source = spec.file;
    text = obs.files[spec.file];
    if (text === undefined) return { passed: false, message: `the answer file ${spec.file} is missing from the submission.` };
  } else {
    source = spec.from ?? '';
    const p = obs.programs[source];
    if (!p) return { passed: false, message: `${source} did not run: an earlier step failed.` };
    if (p.error) return { passed: false, message: `${source} did not run: ${p.error}` };
    text = p.stdout;
  }
  const answer = answerValue(text, spec.key);
  if (answer === undefined || answer === '') {
    return { passed: false, message: spec.key !== undefined ? `${source} has no line \`${spec.key}: <value>\`.` : `${source} is empty: write your answer in it.` };
  }
  const o = observed(spec.expect, obs);
  if ('passed' in o) return o;
  const read = `${source}${spec.key ? ` (${spec.key})` : ''}: ${show(answer, 60)}`;
  // The right answer is shown only to one who has it: a failure never gives it away.
  return same(answer, o.value, 'command' in spec.expect)
    ? { passed: true, message: `${show(answer, 40)} is right: it is ${o.what}.`, evidence: [read, `observed: ${o.value}`] }
    : { passed: false, message: `${show(answer, 40)} is not ${o.what} in this run. Look again${'hops' in spec.expect ? ' at the traceroute' : 'pid' in spec.expect || 'command' in spec.expect ? ' with lsof -i or netstat -p' : 'mtu' in spec.expect ? ' at ip addr / ifconfig' : ''}.`, evidence: [read] };
}
