/**
 * The exercise's step kinds (`exercise[]` of a lab file): each is one key naming the kind (start, run, command,
 * capture, probe, wait, stop) with its value's schema, plus the keys allowed beside it (start's `ready`, run's
 * `timeout` ...). The step schema and the StepDef type are both built from STEP_KINDS.
 */
import { def, Enum, MapOf, Raw, ref, Type, type Static, type TObject, type TSchema } from './vocabulary.js';
import { NameSchema, PortSchema } from './defs.js';

/**
 * What a probe step can take a snapshot of (`probe.kind`), what runs in the node's observer for it (the step
 * runner's probe(), src/exercise/) and the options it takes: the schema's enum and description and the table
 * in docs/lab-format.md come from this list. The first is the default.
 */
export const PROBE_KIND_INFO = [
  { name: 'sockets', runs: '`ss -tanp`, `ss -uanp`, `ss -xanp`', options: '' },
  { name: 'interfaces', runs: '`ip -d addr`', options: '' },
  { name: 'routes', runs: '`ip route`, `ip -6 route`', options: '' },
  { name: 'lsof', runs: '`lsof -nP -i`', options: '`port`' },
  { name: 'ping', runs: '`ping -c <count> -s <size> -W 1`', options: '`target`, `network`, `family`, `count` (3), `size` (56)' },
  { name: 'traceroute', runs: '`traceroute -I -n -N 1 -q 2 -w 1` (ICMP echo probes, one hop at a time)', options: '`target`, `network`, `family`' },
] as const;
export const PROBE_KINDS = PROBE_KIND_INFO.map((k) => k.name);
export type ProbeKind = (typeof PROBE_KIND_INFO)[number]['name'];

/** The table of probe kinds in docs/lab-format.md. */
export function probeKindsTable(): string {
  return ['| kind | what runs (in the observer) | options |', '|---|---|---|', ...PROBE_KIND_INFO.map((k) => `| \`${k.name}\` | ${k.runs} | ${k.options} |`)].join('\n');
}

/** The value of a `start` step (what its key holds). */
export const StartStepValue = Type.String({ description: 'Start a program in the background and wait until it is ready. It keeps running until a `stop` step or the end of the exercise.' });
/** The keys a `start` step may have beside `start`. */
export const StartStepOptions = Type.Object({
  name: Type.Optional(ref(NameSchema, { description: 'start/run: the name this run\'s output, exit code and pid are kept under (default: the program\'s name). Give one when the same program runs more than once.' })),
  ready: Type.Optional(Type.Object({
    tcp: Type.Optional(ref(PortSchema, { description: 'A TCP socket listening on this port in the program\'s node (IPv4 or IPv6).' })),
    udp: Type.Optional(ref(PortSchema, { description: 'A UDP socket bound to this port in the program\'s node.' })),
    unix: Type.Optional(Type.String({ pattern: '^/', description: 'A unix stream socket listening on this path in the program\'s node.' })),
    stdout: Type.Optional(Type.String({ description: 'A JavaScript regular expression that a line of the program\'s stdout matches, e.g. `listening`.' })),
    timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 120, description: 'Seconds to wait (default 20).' })),
  }, { additionalProperties: false, minProperties: 1, description: 'What `ready` means; every condition given must hold. Polled (never a fixed sleep) until `timeout`.' })),
  args: Type.Optional(Type.Array(Type.String(), { description: 'Command-line arguments, replacing the program\'s own `args`.' })),
  env: Type.Optional(MapOf(Type.String(), { description: 'Environment variables, merged over the program\'s own `env`.' })),
});

/** The value of a `run` step (what its key holds). */
export const RunStepValue = Type.String({ description: 'Run a program to completion (killed after `timeout`). Its output and exit code are kept under `name`.' });
/** The keys a `run` step may have beside `run`. */
export const RunStepOptions = Type.Object({
  name: Type.Optional(ref(NameSchema, { description: 'start/run: the name this run\'s output, exit code and pid are kept under (default: the program\'s name). Give one when the same program runs more than once.' })),
  timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 300, description: 'run: seconds the program may take before it is killed (default 10).' })),
  stdin: Type.Optional(Type.String({ description: 'run: text given on standard input (then end of file).' })),
  args: Type.Optional(Type.Array(Type.String(), { description: 'Command-line arguments, replacing the program\'s own `args`.' })),
  env: Type.Optional(MapOf(Type.String(), { description: 'Environment variables, merged over the program\'s own `env`.' })),
});

/** The value of a `command` step (what its key holds). */
export const CommandStepValue = Type.Object({
  name: ref(NameSchema, { description: 'The name checks use (`output`, `exit`, `error`, `route`, `answer`).' }),
  node: Type.String({ description: 'The node it runs in.' }),
  run: Type.Optional(Type.String({ description: 'A shell command line (run with `sh -c`), e.g. `traceroute -n server`.' })),
  file: Type.Optional(Type.String({ description: 'A file in the lab folder (usually one listed under `submission.files`, so the student\'s version replaces it) run with `sh`.' })),
  privileged: Type.Optional(Type.Boolean({ description: 'Run as root in the node\'s observer (NET_RAW, NET_ADMIN) instead of as the unprivileged user `student` in the node (default false).' })),
  timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 300, description: 'Seconds it may take before it is killed (default 10).' })),
  stdin: Type.Optional(Type.String({ description: 'Text given on standard input.' })),
  env: Type.Optional(MapOf(Type.String(), { description: 'Environment variables.' })),
}, { additionalProperties: false, description: 'Run a shell command, or a command file the student submits, in a node. Its output and exit code are kept under `name`, like a program\'s.', oneOf: [{ required: ['run'] }, { required: ['file'] }] });

/** The value of a `capture` step (what its key holds). */
export const CaptureStepValue = Type.Object({
  name: ref(NameSchema, { description: 'Name the checks and `stop` refer to.' }),
  node: Type.String({ description: 'Node whose network namespace is captured.' }),
  filter: Type.Optional(Type.String({ description: 'BPF filter, e.g. `tcp port 9000` or `icmp or icmp6`.' })),
  interface: Type.Optional(Type.String({ description: 'Interface (default: any).' })),
  snaplen: Type.Optional(Type.Integer({ minimum: 64, maximum: 262144, description: 'Bytes kept per packet (default 65535: a whole IP packet, even a segmentation-offloaded TCP segment).' })),
  command: Type.Optional(Type.String({ description: 'A submission file holding a tcpdump command line (the student writes the capture): its options and filter are checked one by one (only options that change what is captured or shown; no shell) and replace `filter`, `interface` and `snaplen`.' })),
}, { additionalProperties: false, description: 'Start a packet capture (tcpdump in the node\'s observer). It stops at a `stop` step naming it, or when the exercise ends and the node\'s connections have settled. Saved as `<name>.pcap` in the run\'s results folder.' });

/** The value of a `probe` step (what its key holds). */
export const ProbeStepValue = Type.Object({
  name: ref(NameSchema, { description: 'Name the checks refer to.' }),
  node: Type.String({ description: 'The node probed (or probing, for ping and traceroute).' }),
  kind: Type.Optional(Enum(PROBE_KINDS, { description: PROBE_KIND_INFO.map((k, i) => `${k.name}: ${k.runs.replace(/ \(.*\)$/, '')}${i === 0 ? ' (default)' : ''}`).join('; ') + '.' })),
  port: Type.Optional(ref(PortSchema, { description: 'lsof: only sockets on this port (`lsof -i :<port>`).' })),
  target: Type.Optional(Type.String({ description: 'ping/traceroute: the node to reach.' })),
  network: Type.Optional(Type.String({ description: 'ping/traceroute: use the target\'s address on this network (default: its first network).' })),
  family: Type.Optional(Enum([4, 6], { description: 'IP version: 4 (default) or 6.' })),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'ping: echo requests to send (default 3).' })),
  size: Type.Optional(Type.Integer({ minimum: 0, maximum: 65000, description: 'ping: payload bytes per request (default 56).' })),
  timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 120, description: 'Seconds the probe may take (default 10; traceroute 30).' })),
}, { additionalProperties: false, description: 'Take a snapshot of a node now: its socket table (default), interfaces, routes, lsof of a port, or a ping/traceroute to another node. Runs in the node\'s observer.' });

/** The value of a `wait` step (what its key holds). */
export const WaitStepValue = Type.Object({
  node: Type.Optional(Type.String({ description: 'The node whose socket table is watched.' })),
  tcp: Type.Optional(ref(PortSchema)),
  udp: Type.Optional(ref(PortSchema)),
  unix: Type.Optional(Type.String({ pattern: '^/', description: 'A unix socket path.' })),
  state: Type.Optional(Type.String({ description: 'Socket state to wait for (default LISTEN for tcp and unix, UNCONN for udp): LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT ...' })),
  exit: Type.Optional(Type.String({ description: 'A background program (a `start` step\'s name) that must end; one still running at the timeout is stopped as by `stop` (TERM, then KILL after 2 s) and recorded as timed out.' })),
  output: Type.Optional(Type.String({ description: 'A background program whose stdout must match `matches`.' })),
  matches: Type.Optional(Type.String({ description: 'With `output`: a JavaScript regular expression.' })),
  timeout: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 120, description: 'Seconds to wait (default 10).' })),
}, { additionalProperties: false, description: 'Wait, bounded by `timeout`, until a condition holds: a socket in a node (`node` with `tcp`/`udp`/`unix` and optional `state`), a background program ended (`exit`), or it printed a line matching `output`.' });

/** The value of a `stop` step (what its key holds). */
export const StopStepValue = Type.String({ description: 'Stop a background program (a `start` step\'s name; SIGTERM, then SIGKILL after 2 s) or a capture (by its name).' });
/** The keys a `stop` step may have beside `stop`. */
export const StopStepOptions = Type.Object({
  signal: Type.Optional(Enum(['TERM', 'INT', 'KILL'], { description: 'stop: the signal sent to a program (default TERM).' })),
});

const NO_OPTIONS = Type.Object({});

/** One step kind: its key, the schema of the key's value, and the keys allowed beside it. */
export interface StepKind<K extends string = string, V extends TSchema = TSchema, O extends TObject = TObject> {
  key: K;
  value: V;
  options: O;
}

function stepKind<K extends string, V extends TSchema, O extends TObject>(key: K, value: V, options: O): StepKind<K, V, O> {
  return { key, value, options };
}

/** Every step kind, in the order the docs list them. */
export const STEP_KINDS = [
  stepKind('start', StartStepValue, StartStepOptions),
  stepKind('run', RunStepValue, RunStepOptions),
  stepKind('command', CommandStepValue, NO_OPTIONS),
  stepKind('capture', CaptureStepValue, NO_OPTIONS),
  stepKind('probe', ProbeStepValue, NO_OPTIONS),
  stepKind('wait', WaitStepValue, NO_OPTIONS),
  stepKind('stop', StopStepValue, StopStepOptions),
] as const;

type StepOf<S> = S extends StepKind<infer K, infer V, infer O> ? { [Q in K]: Static<V> } & Static<O> : never;
/** A step as written in a lab file. */
export type StepDef = StepOf<(typeof STEP_KINDS)[number]>;
export type StartStep = StepOf<(typeof STEP_KINDS)[0]>;
export type RunStep = StepOf<(typeof STEP_KINDS)[1]>;
export type CommandStep = StepOf<(typeof STEP_KINDS)[2]>;
export type CaptureStep = StepOf<(typeof STEP_KINDS)[3]>;
export type ProbeStep = StepOf<(typeof STEP_KINDS)[4]>;
export type WaitStep = StepOf<(typeof STEP_KINDS)[5]>;
export type StopStep = StepOf<(typeof STEP_KINDS)[6]>;

/** `exercise[]`: exactly one step kind, and only the keys that kind allows beside it. */
export const StepSchema = def(
  'step',
  Raw<StepDef>({
    type: 'object',
    description: 'One step of the exercise: exactly one of start, run, command, capture, probe, wait, stop. Each step is bounded in time; a step that cannot complete is reported and the checks that depend on it fail with its reason.',
    properties: Object.fromEntries(STEP_KINDS.map((k) => [k.key, k.value])),
    oneOf: STEP_KINDS.map((k) => ({ required: [k.key] })),
    allOf: STEP_KINDS.filter((k) => Object.keys(k.options.properties).length > 0).map((k) => ({ if: { required: [k.key] }, then: { properties: k.options.properties } })),
    unevaluatedProperties: false,
  }),
);

/** A step with its kind named: what the rest of the code switches on instead of testing which key it has. */
export type TaggedStep =
  | { kind: 'start'; step: StartStep }
  | { kind: 'run'; step: RunStep }
  | { kind: 'command'; step: CommandStep }
  | { kind: 'capture'; step: CaptureStep }
  | { kind: 'probe'; step: ProbeStep }
  | { kind: 'wait'; step: WaitStep }
  | { kind: 'stop'; step: StopStep };

/** The step with the one key of STEP_KINDS it holds named; undefined for a step of no known kind (not schema-valid). */
export function maybeTagStep(step: StepDef): TaggedStep | undefined {
  const kind = STEP_KINDS.find((k) => k.key in step);
  return kind ? ({ kind: kind.key, step } as TaggedStep) : undefined;
}

/** The one key of STEP_KINDS a schema-valid step holds. */
export function tagStep(step: StepDef): TaggedStep {
  const t = maybeTagStep(step);
  if (!t) throw new Error(`a step with none of the keys ${STEP_KINDS.map((k) => k.key).join(', ')}`);
  return t;
}
