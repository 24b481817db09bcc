import type { Observations } from '../exercise/observations.js';
import { conversationLadder, conversations } from '../observe/ladder.js';
import { formatPacket } from '../observe/pcap.js';
import { PortSchema } from '../schema/defs.js';
import { Enum, ref, Type, type Static } from '../schema/vocabulary.js';
import { defineCheckKind } from './kind.js';
import { captureOf, isVerdict, nodeAddresses, notObserved } from './observed.js';
import type { Verdict } from './types.js';

/** The fields of a `retransmission` check (its schema fragment, in schema/lab.schema.json under checks[].retransmission). */
export const RetransmissionCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    from: Type.String({ description: 'The node whose TCP segments are looked at (the sender of the data, or of the SYN).' }),
    port: Type.Optional(
      ref(PortSchema, { description: 'Only connections with this port at either end (default: every TCP connection of `from`).' }),
    ),
    expect: Type.Optional(
      Enum(['some', 'none'], {
        description: 'some (default): at least one segment was sent again, e.g. over a lossy link; none: no segment was.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'TCP retransmissions by `from`: a segment (data, SYN or FIN) whose sequence range it had already sent, as the capture shows it. For labs on loss (`impair: { loss: ... }`) and on what TCP does about it.',
  },
);
export type RetransmissionCheck = Static<typeof RetransmissionCheckSchema>;

/**
 * Did `from` send a TCP segment again? A retransmission is a segment whose sequence range ends at or below
 * the highest sequence number that side had already sent (the ladder's SND.MAX: src/observe/ladder.ts), the
 * way Wireshark's tcp.analysis.retransmission tells it. A frame `-i any` recorded twice is not one.
 */
export function checkRetransmission(spec: RetransmissionCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const mine = nodeAddresses(obs, spec.from);
  const onPort = spec.port === undefined ? '' : ` on port ${spec.port}`;
  const convs = conversations(cap.packets).filter(
    (c) =>
      c.protocol === 'tcp' &&
      (mine.includes(c.a.address) || mine.includes(c.b.address)) &&
      (spec.port === undefined || c.a.port === spec.port || c.b.port === spec.port),
  );
  // Nothing sent, nothing to count: "retransmitted nothing" would pass `expect: none` on an empty capture.
  if (convs.length === 0)
    return notObserved(
      `the capture \`${spec.capture}\` holds no TCP connection of ${spec.from}${onPort} (${cap.packets.length} packet(s) in all), so there is no retransmission to count, or to rule out.`,
    );
  const again: number[] = [];
  let sent = 0;
  for (const c of convs) {
    const ladder = conversationLadder(cap.packets, c, { maxArrows: Number.MAX_SAFE_INTEGER });
    const side = mine.includes(ladder.a.address) ? 'a' : 'b';
    for (const arrow of ladder.arrows.filter((x) => x.from === side)) {
      sent++;
      if (arrow.notes.some((n) => n.startsWith('retransmission'))) again.push(arrow.index);
    }
  }
  const evidence = again.slice(0, 3).flatMap((i) => {
    const p = cap.packets.find((x) => x.index === i);
    return p ? [formatPacket(p)] : [];
  });
  const want = spec.expect ?? 'some';
  if (want === 'some') {
    return again.length > 0
      ? {
          passed: true,
          message: `${spec.from} sent ${again.length} segment(s) again${onPort}: TCP noticed they were lost and retransmitted them.`,
          evidence,
        }
      : {
          passed: false,
          message: `${spec.from} retransmitted nothing${onPort} (${sent} segment(s) sent, each once): no loss was seen, so TCP had nothing to recover.`,
        };
  }
  return again.length === 0
    ? { passed: true, message: `${spec.from} sent each of its ${sent} segment(s)${onPort} once: nothing had to be retransmitted.` }
    : {
        passed: false,
        message: `${spec.from} had to send ${again.length} segment(s) again${onPort}: they were lost or not acknowledged in time.`,
        evidence,
      };
}

export const retransmissionKind = defineCheckKind({
  name: 'retransmission',
  schema: RetransmissionCheckSchema,
  reads: ['captures'],
  evaluate: checkRetransmission,
  lint(spec, ctx) {
    ctx.ref(['capture'], spec.capture, ctx.captures, 'capture');
    ctx.node(['from'], spec.from);
  },
});
