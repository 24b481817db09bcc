import { def, Raw, Type, type Static } from '../schema/vocabulary.js';
import type { CheckKind } from './kind.js';
import { answerKind } from './answer.js';
import { captureAnswerKind, captureMatchKind, tcpdumpCommandKind } from './capture-match.js';
import { handshakeKind } from './handshake.js';
import { icmpKind } from './icmp.js';
import { interfaceKind } from './interface.js';
import { errorKind, exitKind, outputKind } from './output.js';
import { procIoKind } from './proc-io.js';
import { retransmissionKind } from './retransmission.js';
import { routeKind } from './route.js';
import { sockaddrKind } from './sockaddr.js';
import { socketKind } from './socket.js';
import { tcpDataKind } from './tcp-data.js';
import { teardownKind } from './teardown.js';
import { topTalkerKind } from './top-talker.js';
import { udpKind } from './udp.js';
import { windowKind } from './window.js';

/**
 * Every check kind, in the order the docs list them. Adding a kind is one module that exports a
 * `defineCheckKind({ name, schema, reads, evaluate })` and one line here: the lab schema, the model's types,
 * the evaluator and docs/lab-format.md's table all read this list.
 */
export const CHECK_KINDS = [
  socketKind,
  handshakeKind,
  teardownKind,
  tcpDataKind,
  udpKind,
  icmpKind,
  routeKind,
  outputKind,
  exitKind,
  errorKind,
  interfaceKind,
  windowKind,
  answerKind,
  sockaddrKind,
  captureMatchKind,
  captureAnswerKind,
  tcpdumpCommandKind,
  topTalkerKind,
  procIoKind,
  retransmissionKind,
] as const;

export type CheckKindName = (typeof CHECK_KINDS)[number]['name'];

/** The keys every check has, whatever its kind. */
export const CheckBaseSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'Stable id used in reports.' }),
  points: Type.Number({ minimum: 0, description: 'Points for passing.' }),
  title: Type.Optional(Type.String({ description: "What the check means, in a student's words." })),
  hint: Type.Optional(Type.String({ description: 'Added to the message when the check fails: what to look at.' })),
});

type KindOf<K> = K extends CheckKind<infer N, infer S> ? { [Q in N]: Static<S> } : never;
/** A check as written in a lab file: id, points, title, hint and exactly one kind's key. */
export type CheckDef = Static<typeof CheckBaseSchema> & KindOf<(typeof CHECK_KINDS)[number]>;

/** `checks[]`: the common keys and exactly one kind (src/checks/registry.ts), nothing else. */
export const CheckSchema = def(
  'check',
  Raw<CheckDef>({
    type: 'object',
    required: ['id', 'points'],
    description: 'One graded check: id, points, and exactly one kind.',
    properties: { ...CheckBaseSchema.properties, ...Object.fromEntries(CHECK_KINDS.map((k) => [k.name, k.schema])) },
    oneOf: CHECK_KINDS.map((k) => ({ required: [k.name] })),
    unevaluatedProperties: false,
  }),
);

type Kinded<C> = C extends unknown ? { [K in CheckKindName]: K extends keyof C ? { kind: K; spec: C[K] } : never }[CheckKindName] : never;
/** A check with its kind named, its spec under `spec`, and its title defaulted to its id. */
export type ResolvedCheck = { id: string; points: number; title: string; hint?: string } & Kinded<CheckDef>;

/** The check's kind, named once: the one key of the check registry it holds. */
export function resolveCheck(check: CheckDef): ResolvedCheck {
  const kind = CHECK_KINDS.map((k) => k.name).find((k) => k in check);
  if (kind === undefined) throw new Error(`check ${check.id} has no known kind`);
  const spec = (check as Record<string, unknown>)[kind];
  return {
    id: check.id,
    points: check.points,
    title: check.title ?? check.id,
    ...(check.hint !== undefined ? { hint: check.hint } : {}),
    kind,
    spec,
  } as ResolvedCheck;
}
