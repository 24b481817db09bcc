import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import { captureOf, isVerdict, nodeAddresses } from './observed.js';
import { dedupe, tcpPackets } from './tcp.js';
import type { Verdict } from './types.js';
import { Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/** A zero-window advertisement from `from`: its receive buffer was full, so the sender had to stop. */
export function checkWindow(spec: WindowCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const mine = nodeAddresses(obs, spec.from);
  const sent = dedupe(tcpPackets(cap.packets)).filter(
    (p) => mine.includes(p.ip.src) && (spec.port === undefined || p.tcp.srcPort === spec.port || p.tcp.dstPort === spec.port),
  );
  const zero = sent.filter((p) => p.tcp.window === 0 && !p.tcp.flags.rst && !p.tcp.flags.syn);
  if (zero.length > 0)
    return {
      passed: true,
      message: `${spec.from} advertised a zero window ${zero.length} time(s): its receive buffer was full and the sender had to wait.`,
      evidence: zero.slice(0, 2).map(formatPacket),
    };
  if (sent.length === 0)
    return { passed: false, message: `${spec.from} sent no TCP segments${spec.port ? ` on port ${spec.port}` : ''} in the capture.` };
  const smallest = sent.reduce((a, b) => (b.tcp.window < a.tcp.window ? b : a));
  return {
    passed: false,
    message: `${spec.from} never advertised a zero window (smallest: ${smallest.tcp.window}): the receiver's buffer never filled. Send more, or read more slowly on the receiving side.`,
    evidence: [formatPacket(smallest)],
  };
}

/** The fields of a `window` check (its schema fragment, in schema/lab.schema.json under checks[].window). */
export const WindowCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    from: Type.String({ description: 'The node that advertised the zero window.' }),
    port: Type.Optional(ref(PortSchema)),
  },
  {
    additionalProperties: false,
    description: 'A zero-window advertisement: a TCP segment (not a RST) with window 0 sent by `from` (the receiver whose buffer is full).',
  },
);
export type WindowCheck = Static<typeof WindowCheckSchema>;
export const windowKind = defineCheckKind({
  name: 'window',
  schema: WindowCheckSchema,
  reads: ['captures'],
  evaluate: checkWindow,
  lint(spec, ctx) {
    ctx.ref(['capture'], spec.capture, ctx.captures, 'capture');
    ctx.node(['from'], spec.from);
  },
});
