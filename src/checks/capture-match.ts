/**
 * Checks on a capture the student wrote (a `capture` step with `command:`): did it catch exactly the packets
 * asked for? "Asked for" is a rule on the lab's own packets (one client's TCP segments to the server's port,
 * those with some flags set); the lab's own full capture of the same run says which packets there were.
 */
import { parseTcpdumpCommand, TcpdumpCommandError } from '../exercise/tcpdump-command.js';
import type { Observations } from '../exercise/observations.js';
import { formatPacket } from '../observe/pcap.js';
import type { Packet } from '../observe/types.js';
import { answerValue, unanswered } from './answer.js';
import { typedInteger } from '../util/typed-text.js';
import { captureOf, isVerdict, nodeAddresses, nodeOf, show } from './observed.js';
import { dedupe, flagString, tcpPackets, type TcpPacket } from './tcp.js';
import type { Verdict } from './types.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/** The rule: a TCP segment between `client` and `server` on `port`, with any of `flags` set (any segment if none). */
function askedFor(
  spec: { client: string; server: string; port: number; flags?: TcpFlagName[] },
  obs: Observations,
): (p: Packet) => boolean {
  const clients = nodeAddresses(obs, spec.client);
  const servers = nodeAddresses(obs, spec.server);
  return (p) => {
    if (!p.ip || !p.tcp) return false;
    const t = p.tcp;
    const toServer = clients.includes(p.ip.src) && servers.includes(p.ip.dst) && t.dstPort === spec.port;
    const toClient = servers.includes(p.ip.src) && clients.includes(p.ip.dst) && t.srcPort === spec.port;
    if (!toServer && !toClient) return false;
    if (!spec.flags || spec.flags.length === 0) return true;
    return spec.flags.some((f) => t.flags[f.toLowerCase() as Lowercase<TcpFlagName>]);
  };
}

const key = (p: TcpPacket): string =>
  `${p.ip.src}:${p.tcp.srcPort}>${p.ip.dst}:${p.tcp.dstPort}/${p.tcp.seq}/${p.tcp.ack}/${flagString(p)}/${p.tcp.payload.length}`;

function describeRule(spec: CaptureMatchCheck): string {
  const flags = spec.flags && spec.flags.length > 0 ? ` with ${spec.flags.join(' or ')} set` : '';
  return `the TCP segments between ${spec.client} and ${spec.server} port ${spec.port}${flags}`;
}

/** A packet, with the node names of its addresses, for evidence. */
function shown(p: Packet, obs: Observations): string {
  const names = [p.ip?.src, p.ip?.dst].map((a) => (a ? nodeOf(obs, a) : undefined));
  return `${formatPacket(p)}${names[0] || names[1] ? `  (${names[0] ?? '?'} > ${names[1] ?? '?'})` : ''}`;
}

/** `expect: all`: every asked-for packet of the reference capture is in the student's; `only`: nothing else is. */
export function checkCaptureMatch(spec: CaptureMatchCheck, obs: Observations): Verdict {
  const mine = captureOf(obs, spec.capture);
  if (isVerdict(mine)) return mine;
  const asked = askedFor(spec, obs);
  const rule = describeRule(spec);
  if (spec.expect === 'only') {
    if (mine.packets.length === 0)
      return {
        passed: false,
        message: `your capture holds no packet at all, so it did not catch ${rule}. Which interface did tcpdump listen on?`,
      };
    const extra = mine.packets.filter((p) => !asked(p));
    if (extra.length === 0)
      return { passed: true, message: `all ${mine.packets.length} packet(s) of your capture are ${rule}: nothing else.` };
    return {
      passed: false,
      message: `your capture also holds ${extra.length} packet(s) that are not ${rule}: the filter lets other traffic through.`,
      evidence: extra.slice(0, 4).map((p) => shown(p, obs)),
    };
  }
  const ref = captureOf(obs, spec.reference);
  if (isVerdict(ref)) return ref;
  const wanted = dedupe(tcpPackets(ref.packets.filter(asked)));
  if (wanted.length === 0)
    return {
      passed: false,
      message: `the lab's own capture \`${spec.reference}\` has none of ${rule}: the exchange did not happen, so there is nothing to compare.`,
    };
  const have = new Set(tcpPackets(mine.packets).map(key));
  const missing = wanted.filter((p) => !have.has(key(p)));
  if (missing.length === 0)
    return {
      passed: true,
      message: `your capture holds all ${wanted.length} of ${rule}.`,
      evidence: wanted.slice(0, 4).map((p) => shown(p, obs)),
    };
  return {
    passed: false,
    message: `your capture misses ${missing.length} of the ${wanted.length} packets asked for (${rule})${mine.packets.length === 0 ? ': it caught nothing. Which interface did tcpdump listen on? (-i any listens on all of them)' : ''}.`,
    evidence: missing.slice(0, 4).map((p) => `missing: ${shown(p, obs)}`),
  };
}

/** A value read from a capture: how many packets, a client's MSS, who closed first. */
function observedValue(
  spec: CaptureAnswerCheck,
  obs: Observations,
): { value: string | number; what: string; evidence: string[] } | Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  if (spec.value === 'packets')
    return { value: cap.packets.length, what: `the number of packets in the capture \`${spec.capture}\``, evidence: [] };
  const rule = { client: spec.client ?? '', server: spec.server ?? '', port: spec.port ?? 0 };
  const segs = dedupe(tcpPackets(cap.packets.filter(askedFor(rule, obs))));
  const clients = nodeAddresses(obs, rule.client);
  if (spec.value === 'mss') {
    const syn = segs.find((p) => p.tcp.flags.syn && !p.tcp.flags.ack && clients.includes(p.ip.src));
    if (!syn)
      return {
        passed: false,
        message: `the capture \`${spec.capture}\` has no SYN from ${rule.client} to ${rule.server} port ${rule.port}.`,
      };
    if (syn.tcp.options.mss === undefined) return { passed: false, message: `${rule.client}'s SYN carried no MSS option.` };
    return { value: syn.tcp.options.mss, what: `the MSS ${rule.client} announced in its SYN`, evidence: [formatPacket(syn)] };
  }
  const fin = segs.find((p) => p.tcp.flags.fin);
  if (!fin)
    return {
      passed: false,
      message: `the capture \`${spec.capture}\` has no FIN between ${rule.client} and ${rule.server} port ${rule.port}.`,
    };
  return {
    value: clients.includes(fin.ip.src) ? rule.client : rule.server,
    what: 'the side that sent the first FIN',
    evidence: [formatPacket(fin)],
  };
}

/** An answer (file, `key: value`) against a value this run's capture shows. */
export function checkCaptureAnswer(spec: CaptureAnswerCheck, obs: Observations): Verdict {
  const text = obs.files[spec.file];
  if (text === undefined) return { passed: false, message: `the answer file ${spec.file} is missing from the submission.` };
  const answer = answerValue(text, spec.key);
  if (answer === undefined || answer === '') return { passed: false, message: unanswered(spec.file, spec.key, answer) };
  const o = observedValue(spec, obs);
  if (isVerdict(o)) return o;
  const answered = `${spec.file} (${spec.key}): ${show(answer, 40)}`;
  const same =
    typeof o.value === 'number' ? typedInteger(answer) === o.value : answer.trim().toLowerCase() === String(o.value).toLowerCase();
  // What the capture shows goes with a right answer only: on a wrong one it would be the answer itself (the rule of
  // every answer check).
  return same
    ? {
        passed: true,
        message: `${show(answer, 30)} is right: it is ${o.what}.`,
        evidence: [answered, `observed: ${o.value}`, ...o.evidence],
      }
    : {
        passed: false,
        message: `${show(answer, 30)} is not ${o.what} in this run. Read it again from your capture.`,
        evidence: [answered],
      };
}

/** Options of the student's tcpdump command line itself: numeric output (-n), absolute sequence numbers (-S). */
export function checkTcpdumpCommand(spec: TcpdumpCommandCheck, obs: Observations): Verdict {
  const text = obs.files[spec.file];
  if (text === undefined) return { passed: false, message: `the command file ${spec.file} is missing from the submission.` };
  let cmd;
  try {
    cmd = parseTcpdumpCommand(text);
  } catch (e) {
    if (e instanceof TcpdumpCommandError) return { passed: false, message: `${spec.file}: ${e.message}` };
    throw e;
  }
  const evidence = [`${spec.file}: ${show(text.trim(), 160)}`];
  if (spec.numeric && cmd.numeric === 0) {
    return {
      passed: false,
      message:
        'without -n tcpdump turns every address into a host name (a reverse DNS query for each) and ports into service names (80 prints as http): slow, traffic of its own, and not what the packets say. Add -n (or -nn).',
      evidence,
    };
  }
  if (spec.absoluteSeq && !cmd.absoluteSeq)
    return {
      passed: false,
      message: 'without -S tcpdump prints sequence numbers relative to the ISN; add -S to see the real (absolute) ones.',
      evidence,
    };
  const what = [spec.numeric ? 'numeric addresses and ports (-n)' : '', spec.absoluteSeq ? 'absolute sequence numbers (-S)' : '']
    .filter(Boolean)
    .join(' and ');
  return { passed: true, message: `the command prints ${what || 'what was asked'}.`, evidence };
}

/** The fields of a `capture-match` check (its schema fragment, in schema/lab.schema.json under checks[].capture-match). */
export const CaptureMatchCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "The student's capture step's name." }),
    reference: Type.String({ description: "The lab's own capture of the same traffic." }),
    client: Type.String({ description: 'The client node.' }),
    server: Type.String({ description: 'The server node.' }),
    port: ref(PortSchema, { description: "The server's port." }),
    flags: Type.Optional(
      Type.Array(Enum(['SYN', 'FIN', 'RST', 'ACK', 'PSH']), {
        description: 'Only segments with any of these flags set (default: every segment between them).',
      }),
    ),
    expect: Enum(['all', 'only'], {
      description: 'all: every asked-for packet of `reference` is in `capture`; only: `capture` holds nothing else, and is not empty.',
    }),
  },
  {
    additionalProperties: false,
    description:
      "Did a capture the student wrote (a capture step with `command`) catch exactly the packets asked for: the TCP segments between `client` and `server` on `port` (with any of `flags` set)? The lab's own capture `reference` of the same run says which there were.",
  },
);
export type CaptureMatchCheck = Static<typeof CaptureMatchCheckSchema>;
export const captureMatchKind = defineCheckKind({
  name: 'capture-match',
  schema: CaptureMatchCheckSchema,
  reads: ['captures'],
  evaluate: checkCaptureMatch,
  lint(spec, ctx) {
    const m = spec;
    ctx.ref(['capture'], m.capture, ctx.captures, 'capture');
    ctx.ref(['reference'], m.reference, ctx.captures, 'capture');
    ctx.node(['client'], m.client);
    ctx.node(['server'], m.server);
  },
});

/** The fields of a `capture-answer` check (its schema fragment, in schema/lab.schema.json under checks[].capture-answer). */
export const CaptureAnswerCheckSchema = Type.Object(
  {
    file: Type.String({ description: 'An answer file listed under `submission.files`.' }),
    key: Type.String({ description: "The answer's key." }),
    capture: Type.String({ description: "A capture step's name." }),
    value: Enum(['packets', 'mss', 'first-fin'], {
      description:
        "packets: how many packets the capture holds; mss: the MSS option of client's SYN; first-fin: the node that sent the first FIN (client or server).",
    }),
    client: Type.Optional(Type.String({ description: 'The client node (mss, first-fin).' })),
    server: Type.Optional(Type.String({ description: 'The server node (mss, first-fin).' })),
    port: Type.Optional(ref(PortSchema, { description: "The server's port (mss, first-fin)." })),
  },
  {
    additionalProperties: false,
    description:
      "An answer file's `key: value` line against a value read from a capture of this run (answers typed with a Chinese input method read the same).",
  },
);
export type CaptureAnswerCheck = Static<typeof CaptureAnswerCheckSchema>;
export const captureAnswerKind = defineCheckKind({
  name: 'capture-answer',
  schema: CaptureAnswerCheckSchema,
  reads: ['files', 'captures'],
  evaluate: checkCaptureAnswer,
  lint(spec, ctx) {
    const a = spec;
    ctx.submitted(['file'], a.file);
    ctx.ref(['capture'], a.capture, ctx.captures, 'capture');
    ctx.node(['client'], a.client);
    ctx.node(['server'], a.server);
    if (a.value !== 'packets' && (a.client === undefined || a.server === undefined || a.port === undefined))
      ctx.problem([], `\`value: ${a.value}\` needs \`client\`, \`server\` and \`port\`: the connection to read it from`);
  },
});

/** The fields of a `tcpdump-command` check (its schema fragment, in schema/lab.schema.json under checks[].tcpdump-command). */
export const TcpdumpCommandCheckSchema = Type.Object(
  {
    file: Type.String({ description: 'The command file, listed under `submission.files`.' }),
    numeric: Type.Optional(Type.Boolean({ description: 'true: -n or -nn (no host or port name lookups).' })),
    absoluteSeq: Type.Optional(Type.Boolean({ description: 'true: -S (absolute sequence numbers).' })),
  },
  {
    additionalProperties: false,
    description: "Options of a student's tcpdump command line (a submission file): it must be one the lab would run, with these options.",
  },
);
export type TcpdumpCommandCheck = Static<typeof TcpdumpCommandCheckSchema>;
export const tcpdumpCommandKind = defineCheckKind({
  name: 'tcpdump-command',
  schema: TcpdumpCommandCheckSchema,
  reads: ['files'],
  evaluate: checkTcpdumpCommand,
  lint(spec, ctx) {
    ctx.submitted(['file'], spec.file);
    if (!spec.numeric && !spec.absoluteSeq) ctx.problem([], 'say what to check: `numeric: true` or `absoluteSeq: true`');
  },
});
export type TcpFlagName = NonNullable<CaptureMatchCheck['flags']>[number];
