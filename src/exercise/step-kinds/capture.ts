/** `capture: { name, node, filter? }`: a packet capture (tcpdump in the node's observer) until it is stopped. */
import { ref, Type } from '../../schema/vocabulary.js';
import { NameSchema } from '../../schema/defs.js';
import { defineStepKind, type StepDefOf } from './kind.js';

/** The value of a `capture` step (what its key holds). */
export const CaptureStepValue = Type.Object(
  {
    name: ref(NameSchema, { description: 'Name the checks and `stop` refer to.' }),
    node: Type.String({ description: 'Node whose network namespace is captured.' }),
    filter: Type.Optional(Type.String({ description: 'BPF filter, e.g. `tcp port 9000` or `icmp or icmp6`.' })),
    interface: Type.Optional(Type.String({ description: 'Interface (default: any).' })),
    snaplen: Type.Optional(
      Type.Integer({
        minimum: 64,
        maximum: 262144,
        description: 'Bytes kept per packet (default 65535: a whole IP packet, even a segmentation-offloaded TCP segment).',
      }),
    ),
    command: Type.Optional(
      Type.String({
        description:
          'A submission file holding a tcpdump command line (the student writes the capture): its options and filter are checked one by one (only options that change what is captured or shown; no shell) and replace `filter`, `interface` and `snaplen`.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "Start a packet capture (tcpdump in the node's observer). It stops at a `stop` step naming it, or when the exercise ends and the node's connections have settled. Saved as `<name>.pcap` in the run's results folder.",
  },
);
const NO_OPTIONS = Type.Object({});
export type CaptureStep = StepDefOf<'capture', typeof CaptureStepValue, typeof NO_OPTIONS>;

/** A capture step, its defaults applied (a student's `command`, when given, replaces filter, interface and snaplen). */
export type ResolvedCapture = { kind: 'capture'; index: number } & Omit<CaptureStep['capture'], 'interface' | 'snaplen'> & {
    interface: string;
    snaplen: number;
  };

/** What a capture step needs of the step runner. */
export interface CapturePort {
  /** Starts tcpdump in the node's observer and keeps it running (under `name`) until a stop step or the end of the run. */
  startCapture(step: ResolvedCapture): Promise<void>;
}

const defaults = {
  /** The interface tcpdump listens on. */
  captureInterface: 'any',
  /**
   * Bytes tcpdump keeps of each packet: a whole IP packet, the largest a segmentation-offloaded (GSO) TCP
   * segment on a veth can be. tcpdump's own default (262144) only makes every slot of the capture ring four
   * times larger (see captureBufferKiB, src/exercise/capture.ts).
   */
  snaplen: 65535,
};

export const captureStep = defineStepKind({
  key: 'capture',
  value: CaptureStepValue,
  options: NO_OPTIONS,
  defaults,
  resolve: (step, index): ResolvedCapture => ({
    kind: 'capture',
    index,
    ...step.capture,
    interface: step.capture.interface ?? defaults.captureInterface,
    snaplen: step.capture.snaplen ?? defaults.snaplen,
  }),
  describe: (step) =>
    `capture ${step.name} on ${step.node}${step.command ? ` (the command in ${step.command})` : step.filter ? ` (${step.filter})` : ''}`,
  run: (step: ResolvedCapture, port: CapturePort) => port.startCapture(step),
  recordFailure(step, message, { obs }) {
    obs.captures[step.name] = { node: step.node, packets: [], error: message };
  },
  lint(step, ctx) {
    const c = step.capture;
    const { names } = ctx;
    ctx.node(['capture', 'node'], c.node);
    if (names.captures.has(c.name))
      ctx.problem(
        ['capture', 'name'],
        `a capture named \`${c.name}\` is already started at step ${(names.captures.get(c.name)?.step ?? 0) + 1}`,
      );
    if (names.outputs.has(c.name)) ctx.problem(['capture', 'name'], `the name \`${c.name}\` is already a program's or command's name`);
    names.captures.set(c.name, { step: ctx.index, node: c.node });
    if (c.command !== undefined) {
      for (const k of ['filter', 'interface', 'snaplen'] as const)
        if (c[k] !== undefined) ctx.problem(['capture', k], `\`${k}\` comes from the command file \`${c.command}\`; leave it out`);
      if (!ctx.submissionFiles.includes(c.command))
        ctx.problem(['capture', 'command'], `\`${c.command}\` is not listed under \`submission.files\`, so a student could not submit it`);
      const bad = ctx.labFileProblem(c.command);
      if (bad) ctx.problem(['capture', 'command'], bad);
    }
  },
  observerNode: (step) => step.node,
  atSetup: () => 'skip',
});
