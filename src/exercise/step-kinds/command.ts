/** `command: { name, node, run | file }`: a shell command, or a command file a student submits, in a node. */
import { MapOf, ref, Type } from '../../schema/vocabulary.js';
import { NameSchema } from '../../schema/defs.js';
import { defineStepKind, failedRun, type StepDefOf } from './kind.js';

/** The value of a `command` step (what its key holds). */
export const CommandStepValue = Type.Object(
  {
    name: ref(NameSchema, { description: 'The name checks use (`output`, `exit`, `error`, `route`, `answer`).' }),
    node: Type.String({ description: 'The node it runs in.' }),
    run: Type.Optional(Type.String({ description: 'A shell command line (run with `sh -c`), e.g. `traceroute -n server`.' })),
    file: Type.Optional(
      Type.String({
        description:
          "A file in the lab folder (usually one listed under `submission.files`, so the student's version replaces it) run with `sh`.",
      }),
    ),
    privileged: Type.Optional(
      Type.Boolean({
        description:
          "Run as root in the node's observer (NET_RAW, NET_ADMIN) instead of as the unprivileged user `student` in the node (default false).",
      }),
    ),
    timeout: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 300, description: 'Seconds it may take before it is killed (default 10).' }),
    ),
    stdin: Type.Optional(Type.String({ description: 'Text given on standard input.' })),
    env: Type.Optional(MapOf(Type.String(), { description: 'Environment variables.' })),
  },
  {
    additionalProperties: false,
    description:
      "Run a shell command, or a command file the student submits, in a node. Its output and exit code are kept under `name`, like a program's.",
    oneOf: [{ required: ['run'] }, { required: ['file'] }],
  },
);
const NO_OPTIONS = Type.Object({});
export type CommandStep = StepDefOf<'command', typeof CommandStepValue, typeof NO_OPTIONS>;

export type ResolvedCommand = { kind: 'command'; index: number } & Omit<CommandStep['command'], 'timeout' | 'privileged'> & {
    privileged: boolean;
    timeoutS: number;
  };

/** What a command step needs of the step runner. */
export interface CommandPort {
  /** Runs the command to its end (killed after `timeoutS`) and records what it did under `name`. */
  runCommand(step: ResolvedCommand): Promise<void>;
}

const defaults = {
  /** Seconds a command may take. */
  commandTimeoutS: 10,
  /** A command runs as the unprivileged user `student` unless it asks for the observer. */
  commandPrivileged: false,
};

export const commandStep = defineStepKind({
  key: 'command',
  value: CommandStepValue,
  options: NO_OPTIONS,
  defaults,
  resolve(step, index): ResolvedCommand {
    const { timeout, privileged, ...c } = step.command;
    return {
      kind: 'command',
      index,
      ...c,
      privileged: privileged ?? defaults.commandPrivileged,
      timeoutS: timeout ?? defaults.commandTimeoutS,
    };
  },
  describe: (step) => `command ${step.name} on ${step.node}${step.privileged ? ' (privileged)' : ''}`,
  run: (step: ResolvedCommand, port: CommandPort) => port.runCommand(step),
  recordFailure(step, message, { obs }) {
    if (!obs.programs[step.name]) obs.programs[step.name] = failedRun(step.node, 'command', message);
  },
  lint(step, ctx) {
    const c = step.command;
    ctx.node(['command', 'node'], c.node);
    ctx.addOutput(c.name, 'command', c.node, ['command', 'name']);
    if (c.file !== undefined) {
      const bad = ctx.labFileProblem(c.file);
      if (bad) ctx.problem(['command', 'file'], bad);
    }
  },
  observerNode: (step) => (step.privileged ? step.node : undefined),
  // The lab's own commands run at `lab up`; a student's command file is graded, not set up.
  atSetup: (step) => (step.file === undefined ? 'run' : 'end'),
});
