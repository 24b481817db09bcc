/** `wait: { ... }`: wait, bounded, until a socket is in a state, a background program ended, or it printed a line. */
import { ref, Type } from '../../schema/vocabulary.js';
import { PortSchema } from '../../schema/defs.js';
import { defineStepKind, IDLE_DEFAULT_S, IdleSchema, opt, type StepDefOf } from './kind.js';

/** The value of a `wait` step (what its key holds). */
export const WaitStepValue = Type.Object(
  {
    node: Type.Optional(Type.String({ description: 'The node whose socket table is watched.' })),
    tcp: Type.Optional(ref(PortSchema)),
    udp: Type.Optional(ref(PortSchema)),
    unix: Type.Optional(Type.String({ pattern: '^/', description: 'A unix socket path.' })),
    state: Type.Optional(
      Type.String({
        description:
          'Socket state to wait for (default LISTEN for tcp and unix, UNCONN for udp): LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT ...',
      }),
    ),
    exit: Type.Optional(
      Type.String({
        description:
          "A background program (a `start` step's name) that must end; one still running at the timeout is stopped as by `stop` (TERM, then KILL after 2 s) and recorded as timed out.",
      }),
    ),
    output: Type.Optional(Type.String({ description: 'A background program whose stdout must match `matches`.' })),
    matches: Type.Optional(Type.String({ description: 'With `output`: a JavaScript regular expression.' })),
    timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 120, description: 'Seconds to wait (default 10).' })),
    idle: Type.Optional(IdleSchema),
  },
  {
    additionalProperties: false,
    description:
      'Wait, bounded by `timeout`, until a condition holds: a socket in a node (`node` with `tcp`/`udp`/`unix` and optional `state`), a background program ended (`exit`), or it printed a line matching `output`.',
  },
);
const NO_OPTIONS = Type.Object({});
export type WaitStep = StepDefOf<'wait', typeof WaitStepValue, typeof NO_OPTIONS>;

export type ResolvedWait = { kind: 'wait'; index: number } & Omit<WaitStep['wait'], 'timeout' | 'idle'> & {
    timeoutS: number;
    /** The idle rule's seconds, or false (src/exercise/idle.ts); for a wait on a program's exit or output. */
    idleS: number | false;
  };

const defaults = {
  /** Seconds a wait may take. */
  waitTimeoutS: 10,
  /** The socket state a wait (or a readiness condition) looks for: LISTEN for tcp and unix, UNCONN for udp. */
  socketState: 'LISTEN',
  udpSocketState: 'UNCONN',
};

/** The state a socket condition means when it names none: LISTEN for tcp and unix, UNCONN for udp. */
export function defaultSocketState(w: { udp?: number }): string {
  return w.udp !== undefined ? defaults.udpSocketState : defaults.socketState;
}

/** `for server to end`, `for tcp 9000 LISTEN in server` ... */
export function describeWait(w: Omit<ResolvedWait, 'kind' | 'index'>): string {
  if (w.exit !== undefined) return `for ${w.exit} to end`;
  if (w.output !== undefined) return `for ${w.output} to print /${w.matches ?? ''}/`;
  const what = w.tcp !== undefined ? `tcp ${w.tcp}` : w.udp !== undefined ? `udp ${w.udp}` : `unix ${w.unix ?? ''}`;
  // resolveStep gave every socket wait its state.
  return `for ${what} ${w.state ?? ''} in ${w.node ?? '?'}`;
}

/** What a wait step needs of the step runner. */
export interface WaitPort {
  /** Polls (bounded by `timeoutS`) until the condition holds; StepError saying what was still missing. */
  waitFor(step: ResolvedWait): Promise<void>;
}

export const waitStep = defineStepKind({
  key: 'wait',
  value: WaitStepValue,
  options: NO_OPTIONS,
  defaults,
  resolve(step, index): ResolvedWait {
    const { timeout, state, idle, ...w } = step.wait;
    // A wait for a socket looks for a state; one for a program's exit or output has none.
    const socket = w.tcp !== undefined || w.udp !== undefined || w.unix !== undefined;
    return {
      kind: 'wait',
      index,
      ...w,
      ...opt('state', state ?? (socket ? defaultSocketState(w) : undefined)),
      timeoutS: timeout ?? defaults.waitTimeoutS,
      idleS: idle ?? IDLE_DEFAULT_S,
    };
  },
  describe: (step) => `wait ${describeWait(step)}`,
  run: (step: ResolvedWait, port: WaitPort) => port.waitFor(step),
  lint(step, ctx) {
    const w = step.wait;
    const socket = w.tcp !== undefined || w.udp !== undefined || w.unix !== undefined;
    const kinds = [socket, w.exit !== undefined, w.output !== undefined].filter(Boolean).length;
    if (kinds !== 1)
      ctx.problem(
        ['wait'],
        'wait for exactly one thing: a socket (`node` with `tcp`, `udp` or `unix`), a program ending (`exit`), or its output (`output` with `matches`)',
      );
    if (socket) {
      if ([w.tcp, w.udp, w.unix].filter((x) => x !== undefined).length > 1) ctx.problem(['wait'], 'give one of `tcp`, `udp` or `unix`');
      if (w.node === undefined) ctx.problem(['wait'], 'say in which node: `node: <name>`');
      ctx.node(['wait', 'node'], w.node);
      // The idle rule watches a program: a socket may be awaited of any process, or of none of the lab's.
      if (w.idle !== undefined)
        ctx.problem(['wait', 'idle'], '`idle` goes with a wait for a program (`exit` or `output`), not a socket: it would be ignored here');
    } else if (w.node !== undefined || w.state !== undefined) {
      ctx.problem(['wait'], '`node` and `state` go with a socket condition (`tcp`, `udp` or `unix`)');
    }
    for (const k of ['exit', 'output'] as const) {
      const v = w[k];
      if (v !== undefined && !ctx.started.has(v))
        ctx.problem(
          ['wait', k],
          `\`${v}\` is not a program started (and still running) at an earlier step${ctx.suggest(v, [...ctx.started])}`,
        );
    }
    if (w.output !== undefined && w.matches === undefined) ctx.problem(['wait'], 'say what to wait for: `matches: <regular expression>`');
    if (w.matches !== undefined) {
      if (w.output === undefined) ctx.problem(['wait', 'matches'], '`matches` goes with `output: <program>`');
      const bad = ctx.regexProblem(w.matches);
      if (bad) ctx.problem(['wait', 'matches'], bad);
    }
  },
  // A wait for a connection's state (not a listener) could otherwise be met by an earlier run's connection.
  baselineNode: (step) =>
    step.tcp !== undefined && step.node !== undefined && (step.state ?? '').toUpperCase() !== 'LISTEN' ? step.node : undefined,
});
