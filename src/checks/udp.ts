import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import type { Packet } from '../observe/types.js';
import { captureOf, isVerdict, nodeAddresses, notObserved, show } from './observed.js';
import type { Verdict } from './types.js';
import { Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

type UdpPacket = Packet & { ip: NonNullable<Packet['ip']>; udp: NonNullable<Packet['udp']> };

/** Whole datagrams only (first fragments carry the UDP header), each kept once. */
function datagrams(packets: Packet[]): UdpPacket[] {
  const seen = new Set<string>();
  return packets.filter((p): p is UdpPacket => {
    if (!p.ip || !p.udp || (p.ip.fragmentOffset ?? 0) > 0) return false;
    const key = `${p.ip.src}:${p.udp.srcPort}>${p.ip.dst}:${p.udp.dstPort}/${p.ip.id ?? ''}/${p.udp.payload.toString('hex')}`;
    if (seen.has(key) && p.ip.version === 4 && p.ip.id !== undefined && p.ip.id !== 0) return false;
    if (seen.has(key) && p.link.direction === 'in') return false;
    seen.add(key);
    return true;
  });
}

/** UDP datagrams from one node to another's port: count, payloads (boundaries kept), echoed to the sender's own port, no TCP. */
export function checkUdp(spec: UdpCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const from = nodeAddresses(obs, spec.from);
  const to = nodeAddresses(obs, spec.to);
  const all = datagrams(cap.packets);
  const sent = all.filter((p) => from.includes(p.ip.src) && to.includes(p.ip.dst) && p.udp.dstPort === spec.port);
  const payloadOf = (p: UdpPacket): string => p.udp.payload.toString('utf8');
  const evidence = sent.slice(0, 4).map((p) => `${formatPacket(p)} ${show(payloadOf(p), 40)}`);
  const problems: string[] = [];
  if (sent.length === 0 && spec.count === 0) {
    // "Nothing sent" read from a capture that caught nothing at all would be a pass on no evidence.
    if (cap.packets.length === 0)
      return notObserved(
        `the capture \`${spec.capture}\` holds no packet at all, so it cannot tell that ${spec.from} sent nothing to ${spec.to} port ${spec.port}.`,
      );
    return {
      passed: true,
      message: `no datagram from ${spec.from} to ${spec.to} port ${spec.port}, as expected (the capture holds ${cap.packets.length} other packet(s)).`,
    };
  }
  if (sent.length === 0) {
    const elsewhere = all.find((p) => from.includes(p.ip.src));
    return {
      passed: false,
      message: elsewhere
        ? `no datagram from ${spec.from} to ${spec.to} port ${spec.port}; the first one went to ${elsewhere.ip.dst} port ${elsewhere.udp.dstPort}.`
        : `no UDP datagram from ${spec.from} to ${spec.to} port ${spec.port} in the capture.`,
      evidence: all.slice(0, 2).map(formatPacket),
    };
  }
  if (spec.count !== undefined && sent.length !== spec.count)
    problems.push(
      `${sent.length} datagram(s) from ${spec.from} to ${spec.to}, expected ${spec.count}${spec.count > sent.length ? ' (were messages joined into one datagram?)' : ''}`,
    );
  if (spec.minCount !== undefined && sent.length < spec.minCount)
    problems.push(`only ${sent.length} datagram(s) from ${spec.from} to ${spec.to}, expected at least ${spec.minCount}`);
  if (spec.payloads !== undefined) {
    const got = sent.map(payloadOf);
    const same = got.length === spec.payloads.length && got.every((g, i) => g === spec.payloads?.[i]);
    if (!same)
      problems.push(
        `the payloads were [${got
          .slice(0, 6)
          .map((g) => show(g, 40))
          .join(', ')}], expected [${spec.payloads.map((g) => show(g, 40)).join(', ')}]: one message per datagram`,
      );
  }
  if (spec.echo) {
    const problem = echoProblem(spec, sent, all, to);
    if (problem) {
      problems.push(problem.message);
      evidence.unshift(...problem.evidence);
    }
  }
  if (spec.noTcp) {
    const tcp = cap.packets.find(
      (p) => p.tcp && p.ip && ((from.includes(p.ip.src) && to.includes(p.ip.dst)) || (to.includes(p.ip.src) && from.includes(p.ip.dst))),
    );
    if (tcp) {
      problems.push('there is TCP traffic between them (a handshake): this should be UDP only');
      evidence.push(formatPacket(tcp));
    }
  }
  let fragmentNote = '';
  if (spec.fragmented !== undefined) {
    const pieces = fragmentsOf(cap.packets, sent);
    const biggest = Math.max(0, ...pieces.map((f) => f.count));
    if (spec.fragmented && biggest < 2) {
      problems.push(
        `no datagram from ${spec.from} to ${spec.to} port ${spec.port} was split into IP fragments (the largest IP packet was ${Math.max(0, ...sent.map((p) => p.ip.totalLength))} bytes): was it bigger than the link's MTU?`,
      );
    } else if (!spec.fragmented && biggest >= 2) {
      problems.push(`a datagram from ${spec.from} to ${spec.to} crossed in ${biggest} IP fragments; it should fit the link's MTU`);
    }
    const first = pieces.find((f) => f.count >= 2);
    if (first) {
      evidence.push(
        ...first.packets
          .slice(0, 4)
          .map(
            (p) =>
              `${p.ip?.src} > ${p.ip?.dst} IP id ${p.ip?.id ?? '?'} fragment offset ${p.ip?.fragmentOffset ?? 0}${p.ip?.moreFragments ? ' +more' : ''} (${p.ip?.totalLength} bytes)`,
          ),
      );
      fragmentNote = `, one in ${first.count} IP fragments`;
    }
  }
  if (problems.length > 0) return { passed: false, message: problems.join('; ') + '.', evidence: [...new Set(evidence)] };
  return {
    passed: true,
    message: `${sent.length} datagram(s) from ${spec.from} to ${spec.to} port ${spec.port}${spec.echo ? ', each echoed back to its sender' : ''}${fragmentNote}.`,
    evidence,
  };
}

/**
 * The first datagram that was not echoed exactly, to its sender's address and port, and what came back
 * nearest to its echo: the reply the server sent it in turn (each reply answers one datagram, in order), with
 * its bytes; a reply from another port of the server; or nothing at all.
 */
function echoProblem(
  spec: UdpCheck,
  sent: UdpPacket[],
  all: UdpPacket[],
  to: string[],
): { message: string; evidence: string[] } | undefined {
  const payloadOf = (p: UdpPacket): string => p.udp.payload.toString('utf8');
  const bytes = (p: UdpPacket): string =>
    `${show(payloadOf(p), 30)} (${p.udp.payload.length} byte${p.udp.payload.length === 1 ? '' : 's'})`;
  const line = (p: UdpPacket): string => `${formatPacket(p)} ${show(payloadOf(p), 40)}`;
  const used = new Set<UdpPacket>();
  for (const d of sent) {
    const back = all.filter((p) => p.index > d.index && to.includes(p.ip.src) && p.ip.dst === d.ip.src && !used.has(p));
    const fromPort = back.filter((p) => p.udp.srcPort === spec.port);
    const exact = fromPort.find((p) => p.udp.payload.equals(d.udp.payload));
    if (exact) {
      used.add(exact);
      if (exact.udp.dstPort !== d.udp.srcPort) {
        return {
          message: `the echo of ${show(payloadOf(d), 30)} went to port ${exact.udp.dstPort}, not to the sender's port ${d.udp.srcPort}: reply to the address and port recvfrom() returned`,
          evidence: [line(d), line(exact)],
        };
      }
      continue;
    }
    const nearest = fromPort.find((p) => p.udp.dstPort === d.udp.srcPort) ?? fromPort[0];
    if (nearest) {
      return {
        message: `the reply to ${bytes(d)} was ${bytes(nearest)}: an echo sends back exactly the bytes it received`,
        evidence: [line(d), line(nearest)],
      };
    }
    const other = back[0];
    if (other) {
      return {
        message: `the datagram ${show(payloadOf(d), 30)} got no reply from ${spec.to} port ${spec.port}; the next datagram back came from port ${other.udp.srcPort}, carrying ${bytes(other)}: reply from the socket that received it`,
        evidence: [line(d), line(other)],
      };
    }
    return {
      message: `the datagram ${show(payloadOf(d), 30)} got no echo from ${spec.to}: no datagram came back to ${spec.from} after it`,
      evidence: [line(d)],
    };
  }
  return undefined;
}

/**
 * The IP fragments each datagram crossed in: the first fragment carries the UDP header (offset 0, "more
 * fragments" set); the others share its addresses and IP identification (IPv4) and carry none. An
 * unfragmented datagram is one piece.
 */
function fragmentsOf(packets: Packet[], datagrams: UdpPacket[]): { count: number; packets: Packet[] }[] {
  return datagrams.map((d) => {
    if (!d.ip.moreFragments) return { count: 1, packets: [d] };
    const same = packets.filter(
      (p) =>
        p.ip !== undefined &&
        p.ip.src === d.ip.src &&
        p.ip.dst === d.ip.dst &&
        p.ip.id === d.ip.id &&
        p.ip.protocol === 17 &&
        (p.index === d.index || (p.ip.fragmentOffset ?? 0) > 0),
    );
    // A capture on `any` may see a fragment twice (in on one interface, out on another): count offsets once.
    const offsets = new Set(same.map((p) => p.ip?.fragmentOffset ?? 0));
    return { count: offsets.size, packets: same };
  });
}

/** The fields of a `udp` check (its schema fragment, in schema/lab.schema.json under checks[].udp). */
export const UdpCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    from: Type.String({ description: 'Sending node.' }),
    to: Type.String({ description: 'Receiving node.' }),
    port: ref(PortSchema, { description: "The receiver's port." }),
    count: Type.Optional(Type.Integer({ minimum: 0, description: 'Exactly this many datagrams.' })),
    minCount: Type.Optional(Type.Integer({ minimum: 0, description: 'At least this many datagrams.' })),
    payloads: Type.Optional(Type.Array(Type.String(), { description: 'The payloads, in order, one per datagram (so boundaries count).' })),
    echo: Type.Optional(
      Type.Boolean({
        description: "Every datagram was answered by one with the same payload, sent back to the sender's own address and port.",
      }),
    ),
    noTcp: Type.Optional(Type.Boolean({ description: 'No TCP packet between the two nodes (no handshake).' })),
    fragmented: Type.Optional(
      Type.Boolean({
        description:
          "true: at least one datagram crossed in two or more IP fragments (it was bigger than the link's MTU); false: none was fragmented.",
      }),
    ),
  },
  {
    additionalProperties: false,
    description: "UDP datagrams from one node to another's port: how many, their payloads (boundaries kept), and the replies.",
  },
);
export type UdpCheck = Static<typeof UdpCheckSchema>;
export const udpKind = defineCheckKind({
  name: 'udp',
  schema: UdpCheckSchema,
  reads: ['captures'],
  evaluate: checkUdp,
  lint(spec, ctx) {
    const u = spec;
    ctx.ref(['capture'], u.capture, ctx.captures, 'capture');
    ctx.node(['from'], u.from);
    ctx.node(['to'], u.to);
    if (u.count !== undefined && u.minCount !== undefined) ctx.problem([], 'give `count` or `minCount`, not both');
    if (u.count !== undefined && u.payloads !== undefined && u.payloads.length !== u.count)
      ctx.problem(['count'], `\`count\` is ${u.count} but ${u.payloads.length} payloads are listed`);
  },
});
