/**
 * The `top-talker` check: which client moved the most bytes to the server, and how fast, as a capture of
 * this run measured it, against a student's answer (iftop, `ss -ti`, /proc/net/dev). Bytes are IP bytes
 * (header included, as iftop counts them) of every packet a client sent to the server's port; the rate is
 * those bytes over the capture's span, first packet to last.
 */
import type { Observations } from '../exercise/observations.js';
import { answerValue, unanswered } from './answer.js';
import { joinDigitGroups, normalizeTyped } from '../util/typed-text.js';
import { captureOf, isVerdict, nodeAddresses, programOf, show } from './observed.js';
import type { Verdict } from './types.js';
import { normaliseAddress } from '../util/address.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { NodeListSchema, PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

export interface Talker {
  node: string;
  bytes: number;
  /** Bytes per second over the capture's span. */
  rate: number;
}

/** Each client's bytes and rate to `server:port` in a capture, the largest first. */
export function talkers(obs: Observations, capture: string, server: string, port: number, clients: string[]): Talker[] | Verdict {
  const cap = captureOf(obs, capture);
  if (isVerdict(cap)) return cap;
  const servers = nodeAddresses(obs, server);
  const times = cap.packets.map((p) => p.time);
  const span = times.length > 1 ? Math.max(...times) - Math.min(...times) : 0;
  if (span <= 0)
    return { passed: false, message: `the capture \`${capture}\` is too short to measure a rate (${cap.packets.length} packet(s)).` };
  const out = clients.map((node) => {
    const mine = nodeAddresses(obs, node);
    const bytes = cap.packets
      .filter((p) => p.ip && p.tcp && mine.includes(p.ip.src) && servers.includes(p.ip.dst) && p.tcp.dstPort === port)
      .reduce((n, p) => n + (p.ip?.totalLength ?? 0), 0);
    return { node, bytes, rate: bytes / span };
  });
  return out.sort((a, b) => b.bytes - a.bytes);
}

const PREFIX: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3 };

/**
 * A rate as people and tools write it, in bytes per second. `b`/`bit`/`bps` are bits, `B` bytes; k, M, G are
 * powers of 1000, Ki, Mi, Gi of 1024; `/s` or `ps` optional. iftop's "7.20Mb" is 900 000 B/s.
 * Undefined without a unit, or when it is not a rate.
 */
export function parseRate(text: string): number | undefined {
  const t = joinDigitGroups(normalizeTyped(text).trim());
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG]i?)?(bits?|bps|b|Bps|B|bytes?)(?:\s*(?:\/\s*s(?:ec)?|ps))?$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  const prefix = PREFIX[(m[2] ?? '').toLowerCase()];
  if (prefix === undefined) return undefined;
  const unit = m[3] ?? '';
  const bits = unit === 'b' || unit === 'bps' || unit.startsWith('bit');
  return (n * prefix) / (bits ? 8 : 1);
}

function fmt(bytesPerSecond: number): string {
  return bytesPerSecond >= 1e6
    ? `${(bytesPerSecond / 1e6).toFixed(2)} MB/s (${((bytesPerSecond * 8) / 1e6).toFixed(2)} Mbit/s)`
    : `${(bytesPerSecond / 1e3).toFixed(1)} KB/s (${((bytesPerSecond * 8) / 1e3).toFixed(0)} kbit/s)`;
}

/** A student's top talker (node name or address) or its rate against the capture's measurement. */
export function checkTopTalker(spec: TopTalkerCheck, obs: Observations): Verdict {
  const p = programOf(obs, spec.from);
  if (isVerdict(p)) return p;
  const answer = answerValue(p.stdout, spec.key);
  if (answer === undefined || answer === '') return { passed: false, message: unanswered(spec.from, spec.key, answer, true) };
  const list = talkers(obs, spec.capture, spec.server, spec.port, spec.clients);
  if (isVerdict(list)) return list;
  const [top, second] = list;
  if (!top || top.bytes === 0)
    return { passed: false, message: `no client sent anything to ${spec.server} port ${spec.port} in the capture \`${spec.capture}\`.` };
  const evidence = [
    `${spec.from} (${spec.key}): ${show(answer, 40)}`,
    ...list.map((t) => `measured: ${t.node} sent ${t.bytes} bytes, ${fmt(t.rate)}`),
  ];
  if (spec.measure === 'host') {
    // A tie (or close to one) has no single answer: that is the lab's traffic, not the student's doing.
    if (second && second.bytes > top.bytes * 0.8)
      return {
        passed: false,
        message: `toplab could not tell one top talker apart: ${top.node} and ${second.node} sent about as much. Run the check again.`,
        evidence,
      };
    // A name, or an address in any form a tool prints it: [::ffff:10.0.14.21], with or without its port.
    const a = answer.trim().toLowerCase();
    const address = normaliseAddress(a.replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1').replace(/^(\[.*\]):\d+$/, '$1'));
    const is = (node: string): boolean => a === node.toLowerCase() || nodeAddresses(obs, node).includes(address);
    const named = is(top.node);
    if (named)
      return { passed: true, message: `${top.node} moved the most: ${top.bytes} bytes while you measured, ${fmt(top.rate)}.`, evidence };
    const other = list.find((t) => is(t.node));
    return {
      passed: false,
      message: other
        ? `${other.node} is not the top talker while you measured: ${top.node} sent ${top.bytes} bytes, ${other.node} ${other.bytes}. Compare rates over the same few seconds, not totals since the start.`
        : `${show(answer, 30)} is none of the clients (${spec.clients.join(', ')}) or their addresses.`,
      evidence,
    };
  }
  const rate = parseRate(answer);
  if (rate === undefined)
    return {
      passed: false,
      message: `${show(answer, 30)} is not a rate with its unit: write e.g. \`7.2 Mbit/s\`, \`7.2Mb\` (iftop: bits), \`900 KB/s\` (bytes).`,
      evidence,
    };
  const tolerance = spec.tolerance ?? 0.35;
  const off = rate / top.rate;
  if (Math.abs(off - 1) <= tolerance)
    return {
      passed: true,
      message: `${show(answer, 30)} is within ${Math.round(tolerance * 100)}% of ${top.node}'s rate, ${fmt(top.rate)}.`,
      evidence,
    };
  const bitsBytes =
    Math.abs(off / 8 - 1) <= 0.15
      ? " That is about 8 times too much: bits (iftop's b) written as bytes (B)?"
      : Math.abs(off * 8 - 1) <= 0.15
        ? ' That is about 8 times too little: bytes written as bits?'
        : '';
  return {
    passed: false,
    message: `${show(answer, 30)} (${fmt(rate)}) is not ${top.node}'s rate while you measured, ${fmt(top.rate)} (±${Math.round(tolerance * 100)}%).${bitsBytes}`,
    evidence,
  };
}

/** The fields of a `top-talker` check (its schema fragment, in schema/lab.schema.json under checks[].top-talker). */
export const TopTalkerCheckSchema = Type.Object(
  {
    from: Type.String({ description: 'The program run or command whose stdout holds the answer.' }),
    key: Type.String({ description: "The answer's key." }),
    measure: Enum(['host', 'rate'], {
      description:
        'host: the top talker, by node name or address; rate: its rate with a unit (7.2Mb, 7.2 Mbit/s, 900 KB/s; b is bits, B bytes).',
    }),
    capture: Type.String({ description: "The lab's capture taken while the student measured." }),
    server: Type.String({ description: 'The server node.' }),
    port: ref(PortSchema, { description: "The server's port." }),
    clients: ref(NodeListSchema, { description: 'The client nodes to compare.' }),
    tolerance: Type.Optional(Type.Number({ minimum: 0.01, maximum: 0.9, description: 'Share a rate may be off by (default 0.35).' })),
  },
  {
    additionalProperties: false,
    description:
      "Which client moved the most bytes to `server` on `port` while the capture ran, and how fast (IP bytes over the capture's span), against a `key: value` line a program or command printed (iftop, ss -ti, /proc/net/dev).",
  },
);
export type TopTalkerCheck = Static<typeof TopTalkerCheckSchema>;
export const topTalkerKind = defineCheckKind({
  name: 'top-talker',
  schema: TopTalkerCheckSchema,
  reads: ['programs', 'captures'],
  evaluate: checkTopTalker,
  lint(spec, ctx) {
    const t = spec;
    ctx.ref(['from'], t.from, ctx.outputs, 'program run or command');
    ctx.ref(['capture'], t.capture, ctx.captures, 'capture');
    ctx.node(['server'], t.server);
    t.clients.forEach((n, j) => ctx.node(['clients', j], n));
  },
});
