import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import type { Packet } from '../observe/types.js';
import { captureOf, isVerdict, nodeAddresses, who } from './observed.js';
import type { Verdict } from './types.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { NodeListSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

type IcmpPacket = Packet & { ip: NonNullable<Packet['ip']>; icmp: NonNullable<Packet['icmp']> };

function icmpPackets(packets: Packet[], family: 4 | 6 | undefined): IcmpPacket[] {
  const seen = new Set<string>();
  return packets.filter((p): p is IcmpPacket => {
    if (!p.ip || !p.icmp || (family !== undefined && p.icmp.version !== family)) return false;
    const key = `${p.ip.src}>${p.ip.dst}/${p.icmp.type}/${p.icmp.code}/${p.icmp.id ?? ''}/${p.icmp.seq ?? ''}/${p.icmp.payloadLength}/${p.ip.id ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function checkIcmp(spec: IcmpCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const all = icmpPackets(cap.packets, spec.family);
  return spec.echo
    ? echo(spec.echo, spec.family ?? 4, all, obs)
    : timeExceeded(spec.timeExceeded ?? { from: [], to: '' }, spec.family ?? 4, all, obs);
}

function echo(e: NonNullable<IcmpCheck['echo']>, family: 4 | 6, all: IcmpPacket[], obs: Observations): Verdict {
  const [REQ, REP] = family === 6 ? [128, 129] : [8, 0];
  const v = family === 6 ? 'ICMPv6 ' : '';
  const from = nodeAddresses(obs, e.from);
  const to = nodeAddresses(obs, e.to);
  const allRequests = all.filter((p) => from.includes(p.ip.src) && to.includes(p.ip.dst) && p.icmp.type === REQ);
  // One ping run uses one identifier: judge the run that best fits (the right size, then the most requests),
  // so other echo traffic (a traceroute -I, a second ping) does not count against it.
  const byId = new Map<number, IcmpPacket[]>();
  for (const q of allRequests) byId.set(q.icmp.id ?? -1, [...(byId.get(q.icmp.id ?? -1) ?? []), q]);
  const fits = (g: IcmpPacket[]): number => (e.size !== undefined && g.every((q) => q.icmp.payloadLength === e.size) ? 1 : 0);
  const requests = [...byId.values()].sort((a, b) => fits(b) - fits(a) || b.length - a.length)[0] ?? [];
  if (requests.length === 0) {
    const any = all.find((p) => from.includes(p.ip.src));
    return {
      passed: false,
      message: `no ${v}echo request (type ${REQ}) from ${e.from} to ${e.to} in the capture${any ? `; ${e.from} sent type ${any.icmp.type} to ${who(obs, any.ip.dst)} instead` : ''}.`,
      evidence: all.slice(0, 2).map(formatPacket),
    };
  }
  const problems: string[] = [];
  const answered = requests.filter((q) =>
    all.some(
      (r) =>
        r.index > q.index &&
        r.icmp.type === REP &&
        r.ip.src === q.ip.dst &&
        r.ip.dst === q.ip.src &&
        r.icmp.id === q.icmp.id &&
        r.icmp.seq === q.icmp.seq,
    ),
  );
  const unanswered = requests.filter((q) => !answered.includes(q));
  if (e.count !== undefined && requests.length !== e.count) problems.push(`${requests.length} echo request(s), expected ${e.count}`);
  const min = e.minCount ?? (e.count === undefined ? 1 : e.count);
  const nearestEvidence: string[] = [];
  if (unanswered.length > 0 && (e.count !== undefined || answered.length < min)) {
    const q = unanswered[0] as IcmpPacket;
    // What came back nearest to its reply: a reply with another id or seq, or an ICMP error for it.
    const back = all.filter((r) => r.index > q.index && r.ip.dst === q.ip.src && r.icmp.type !== REQ);
    const reply = back.find((r) => r.icmp.type === REP && r.ip.src === q.ip.dst);
    const other = back[0];
    const nearest = reply
      ? `; the nearest reply from ${e.to} has id ${reply.icmp.id ?? '?'} seq ${reply.icmp.seq ?? '?'}`
      : other
        ? `; instead ${who(obs, other.ip.src)} sent ${v}type ${other.icmp.type} code ${other.icmp.code}`
        : `; nothing came back to ${e.from} after it`;
    problems.push(
      `the request with id ${q.icmp.id ?? '?'} seq ${q.icmp.seq ?? '?'} got no echo reply (type ${REP}) with the same id and seq${nearest}`,
    );
    nearestEvidence.push(formatPacket(q), ...((reply ?? other) ? [formatPacket((reply ?? other) as IcmpPacket)] : []));
  }
  if (e.size !== undefined) {
    const wrong = requests.find((q) => q.icmp.payloadLength !== e.size);
    if (wrong) problems.push(`the requests carry ${wrong.icmp.payloadLength} bytes of data, expected ${e.size} (ping -s ${e.size})`);
  }
  const evidence = [...requests.slice(0, 2), ...all.filter((r) => r.icmp.type === REP && from.includes(r.ip.dst)).slice(0, 2)]
    .sort((a, b) => a.index - b.index)
    .map(formatPacket);
  if (problems.length > 0)
    return { passed: false, message: problems.join('; ') + '.', evidence: [...new Set([...nearestEvidence, ...evidence])] };
  return {
    passed: true,
    message: `${requests.length} ${v}echo request(s) (type ${REQ}) from ${e.from}, each answered by a reply (type ${REP}) with the same id and seq${e.size !== undefined ? `, ${e.size} bytes of data each` : ''}.`,
    evidence,
  };
}

function timeExceeded(t: NonNullable<IcmpCheck['timeExceeded']>, family: 4 | 6, all: IcmpPacket[], obs: Observations): Verdict {
  const TYPE = family === 6 ? 3 : 11;
  const to = nodeAddresses(obs, t.to);
  const msgs = all.filter((p) => p.icmp.type === TYPE && to.includes(p.ip.dst));
  const missing = t.from.filter((r) => !msgs.some((m) => nodeAddresses(obs, r).includes(m.ip.src)));
  const evidence = t.from.flatMap((r) => msgs.filter((m) => nodeAddresses(obs, r).includes(m.ip.src)).slice(0, 1)).map(formatPacket);
  if (missing.length > 0) {
    return {
      passed: false,
      message: `no ICMP time-exceeded (type ${TYPE}) to ${t.to} from ${missing.join(', ')}${msgs.length > 0 ? `; it came only from ${[...new Set(msgs.map((m) => who(obs, m.ip.src)))].join(', ')}` : ''}. Each router sends one when a packet's TTL runs out there.`,
      evidence,
    };
  }
  return { passed: true, message: `time-exceeded (type ${TYPE}) came back to ${t.to} from ${t.from.join(', ')}.`, evidence };
}

/** The fields of a `icmp` check (its schema fragment, in schema/lab.schema.json under checks[].icmp). */
export const IcmpCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    family: Type.Optional(Enum([4, 6], { description: 'IP version: 4 (default) or 6.' })),
    echo: Type.Optional(
      Type.Object(
        {
          from: Type.String(),
          to: Type.String(),
          count: Type.Optional(Type.Integer({ minimum: 1, description: 'Exactly this many requests.' })),
          minCount: Type.Optional(Type.Integer({ minimum: 1, description: 'At least this many answered requests (default 1).' })),
          size: Type.Optional(
            Type.Integer({ minimum: 0, description: 'Payload bytes after the 8-byte ICMP header (what `ping -s` sets).' }),
          ),
        },
        {
          additionalProperties: false,
          description: 'Echo requests from `from` to `to`, each answered by a reply with the same identifier and sequence number.',
        },
      ),
    ),
    timeExceeded: Type.Optional(
      Type.Object(
        {
          from: ref(NodeListSchema),
          to: Type.String(),
        },
        { additionalProperties: false, description: 'Time-exceeded messages sent by each of `from` (routers) to `to`.' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'ICMP seen in a capture: echo request/reply pairs (type 8/0; ICMPv6 128/129) with matching identifier and sequence, or time-exceeded (type 11; ICMPv6 3) from routers.',
    oneOf: [{ required: ['echo'] }, { required: ['timeExceeded'] }],
  },
);
export type IcmpCheck = Static<typeof IcmpCheckSchema>;
export const icmpKind = defineCheckKind({
  name: 'icmp',
  schema: IcmpCheckSchema,
  reads: ['captures'],
  evaluate: checkIcmp,
  lint(spec, ctx) {
    const m = spec;
    ctx.ref(['capture'], m.capture, ctx.captures, 'capture');
    if (m.echo) {
      ctx.node(['echo', 'from'], m.echo.from);
      ctx.node(['echo', 'to'], m.echo.to);
      if (m.echo.count !== undefined && m.echo.minCount !== undefined) ctx.problem(['echo'], 'give `count` or `minCount`, not both');
    }
    if (m.timeExceeded) {
      m.timeExceeded.from.forEach((n, j) => ctx.node(['timeExceeded', 'from', j], n));
      ctx.node(['timeExceeded', 'to'], m.timeExceeded.to);
    }
  },
});
