import type { Observations } from '../exercise/observations.js';
import { findInterface } from './interface.js';
import { isVerdict, notObserved, probeOf, show, socketsOf } from './observed.js';
import { tracerouteOf } from './route.js';
import { hopCount } from '../observe/traceroute.js';
import type { Verdict } from './types.js';
import { joinDigitGroups, normalizeTyped } from '../util/typed-text.js';
import { Enum, ExactlyOne, Raw, Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/** Text as typed with any input method, in one form: see normalizeTyped (src/util/typed-text.ts). */
export const normalizeAnswer = normalizeTyped;

/**
 * The value of `key: value` / `key = value` (case-insensitive key), or the whole text trimmed; read after
 * normalizeAnswer, so `mtu：１５００` is `1500`. A value in one pair of quotes is read without them (`"1500"`,
 * `“client2”` as a Chinese input method types it, `'server'`). The first line of the key with a value counts:
 * a starter's blank `key:` line left above the student's own answer does not hide it. `''` when the key's
 * lines have no value; undefined when there is no such line.
 */
export function answerValue(text: string, key: string | undefined): string | undefined {
  const t = normalizeAnswer(text);
  if (key === undefined) return unquoted(t.trim());
  const k = normalizeAnswer(key);
  // [ \t], not \s: an empty answer must not take the next line as its value.
  const re = new RegExp(`^[ \\t]*${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[ \\t]*[:=][ \\t]*(.*?)[ \\t]*$`, 'gim');
  const values = [...t.matchAll(re)].map((m) => unquoted(m[1] ?? ''));
  return values.find((v) => v !== '') ?? values[0];
}

/** `"x"`, `'x'` → `x` (one enclosing pair, after normalizeAnswer turned typographic quotes into these). */
function unquoted(value: string): string {
  const m = /^(["'])([^"']*)\1$/.exec(value);
  return m ? (m[2] ?? '').trim() : value;
}

/**
 * A check's message for a `key: value` answer answerValue found no value for: no such line (undefined), or the
 * line with nothing after its colon (''). `source` is a file (it "has"), or with `printed` a program run.
 */
export function unanswered(source: string, key: string, answer: undefined | '', printed = false): string {
  if (answer === undefined) return `${source} ${printed ? 'printed' : 'has'} no line \`${key}: <value>\`.`;
  return printed
    ? `${source} printed \`${key}:\` with no value after it.`
    : `${source} has \`${key}:\` with no value after it: write your answer there.`;
}

/** The observed value, and how to name it in a message. */
function observed(spec: AnswerCheck['expect'], obs: Observations): { value: string | number; what: string } | Verdict {
  if ('value' in spec) return { value: spec.value, what: 'the expected answer' };
  if ('hops' in spec) {
    const r = tracerouteOf(obs, spec.hops);
    if ('passed' in r) return r;
    return { value: hopCount(r), what: 'the number of hops' };
  }
  if ('address' in spec) {
    const a = spec.address;
    const nets = obs.networks[a.node] ?? {};
    const addrs = a.network !== undefined ? [nets[a.network]] : Object.values(nets);
    const v = addrs.find((x): x is string => x !== undefined && (a.family === undefined || (a.family === 6) === x.includes(':')));
    if (v === undefined) return { passed: false, message: `${a.node} has no such address.` };
    return { value: v, what: `${a.node}'s address${a.network ? ` on ${a.network}` : ''}` };
  }
  if ('mtu' in spec) {
    const m = spec.mtu;
    const probe = probeOf(obs, m.probe, m.node, 'interfaces');
    if (isVerdict(probe)) return probe;
    const i = findInterface(obs, probe.interfaces ?? [], m);
    if (typeof i === 'string') return { passed: false, message: i + '.' };
    return { value: i.mtu, what: `the MTU of ${m.node}'s ${i.name}` };
  }
  if ('mac' in spec) return neighbourMac(spec.mac, obs);
  const ref = 'pid' in spec ? spec.pid : spec.command;
  const port = ref.tcp ?? ref.udp;
  const proto = ref.tcp !== undefined ? 'tcp' : 'udp';
  const probeName = ref.probe;
  const probe = probeName !== undefined ? obs.probes[probeName] : probeOf(obs, undefined, ref.node, 'sockets');
  if (!probe) return { passed: false, message: `the probe \`${probeName ?? ''}\` was not taken: an earlier step failed.` };
  if (isVerdict(probe)) return probe;
  if (probe.error) return notObserved(`could not see who holds ${proto} port ${port} in ${ref.node}: ${probe.error}`);
  let holder: { pid: number; command: string } | undefined;
  if (probe.lsof) {
    const e =
      probe.lsof.find((x) => x.proto === proto && x.localPort === port && (proto === 'udp' || x.state === 'LISTEN')) ??
      probe.lsof.find((x) => x.proto === proto && x.localPort === port);
    if (e) holder = { pid: e.pid, command: e.command };
  } else {
    const table = probe.kind === 'sockets' ? socketsOf(probe, ref.node) : (probe.sockets ?? []);
    if (isVerdict(table)) return table;
    const e = table.find(
      (x) => x.proto === proto && x.localPort === port && x.pid !== undefined && (proto === 'udp' || x.state === 'LISTEN'),
    );
    if (e?.pid !== undefined) holder = { pid: e.pid, command: e.program ?? '' };
  }
  if (!holder)
    return {
      passed: false,
      message: `no process holds ${proto} port ${port} in ${ref.node}, so there is nothing to compare the answer with.`,
    };
  return 'pid' in spec
    ? { value: holder.pid, what: `the PID holding ${proto} port ${port}` }
    : { value: holder.command, what: `the command holding ${proto} port ${port}` };
}

/** The MAC address `node`'s neighbour table (a neighbours probe) holds for `of`'s address (on `network`, or any of its own). */
function neighbourMac(
  m: { node: string; of: string; network?: string; probe: string },
  obs: Observations,
): { value: string; what: string } | Verdict {
  const probe = probeOf(obs, m.probe, m.node, 'neighbours');
  if (isVerdict(probe)) return probe;
  const nets = obs.networks[m.of] ?? {};
  const addresses = m.network !== undefined ? [nets[m.network]].filter((a): a is string => a !== undefined) : (obs.addresses[m.of] ?? []);
  const entries = (probe.neighbours ?? []).filter((n) => addresses.includes(n.address));
  const what = `the MAC address ${m.node} resolved for ${m.of}`;
  const resolved = entries.find((n) => n.lladdr !== undefined);
  if (resolved?.lladdr) return { value: resolved.lladdr, what };
  const unresolved = entries[0];
  return {
    passed: false,
    message: unresolved
      ? `${m.node}'s neighbour table has no MAC address for ${m.of} (${unresolved.address} is ${unresolved.state}): ${m.node} could not resolve it.`
      : `${m.node}'s neighbour table (probe \`${m.probe}\`) has no entry for ${m.of}: ${m.node} had not sent to it (on that network) when the probe was taken.`,
  };
}

/** A MAC address as written with dashes (Windows), dots (Cisco) or colons, in one form: `02:42:0a:00:01:14`. */
function macForm(text: string): string | undefined {
  const hex = text.trim().toLowerCase().replace(/[-:.]/g, '');
  return /^[0-9a-f]{12}$/.test(hex) ? (hex.match(/../g) ?? []).join(':') : undefined;
}

function same(answer: string, value: string | number, command: boolean): boolean {
  const a = normalizeAnswer(answer).trim();
  if (typeof value === 'number' || /^-?\d+(\.\d+)?$/.test(String(value))) {
    // Digit groups (`1,500`) are one number; a unit or word after it (`1500 bytes`) is left out.
    const n = Number(joinDigitGroups(a).replace(/[^\d.-]+$/, ''));
    return a !== '' && Number.isFinite(n) && n === Number(value);
  }
  const v = normalizeAnswer(String(value)).trim().toLowerCase();
  const got = a.toLowerCase();
  if (got === v) return true;
  const mac = macForm(v);
  if (mac !== undefined && macForm(got) === mac) return true;
  // A command name matches a command line that starts with it, with or without its directory.
  return command && (got.split(/\s+/)[0] ?? '').split('/').pop() === v;
}

/** A student's answer (a submitted file or a command's output) against a value observed in this run. */
export function checkAnswer(spec: AnswerCheck, obs: Observations): Verdict {
  let text: string | undefined;
  let source: string;
  if (spec.file !== undefined) {
    source = spec.file;
    text = obs.files[spec.file];
    if (text === undefined) return { passed: false, message: `the answer file ${spec.file} is missing from the submission.` };
  } else {
    source = spec.from ?? '';
    const p = obs.programs[source];
    if (!p) return { passed: false, message: `${source} did not run: an earlier step failed.` };
    if (p.error) return { passed: false, message: `${source} did not run: ${p.error}` };
    text = p.stdout;
  }
  const answer = answerValue(text, spec.key);
  if (answer === undefined || answer === '') {
    return {
      passed: false,
      message:
        spec.key !== undefined
          ? unanswered(source, spec.key, answer, spec.file === undefined)
          : `${source} is empty: write your answer in it.`,
    };
  }
  const o = observed(spec.expect, obs);
  if ('passed' in o) return o;
  const read = `${source}${spec.key ? ` (${spec.key})` : ''}: ${show(answer, 60)}`;
  // The right answer is shown only to one who has it: a failure never gives it away.
  return same(answer, o.value, 'command' in spec.expect)
    ? { passed: true, message: `${show(answer, 40)} is right: it is ${o.what}.`, evidence: [read, `observed: ${o.value}`] }
    : {
        passed: false,
        message: `${show(answer, 40)} is not ${o.what} in this run. Look again${'hops' in spec.expect ? ' at the traceroute' : 'pid' in spec.expect || 'command' in spec.expect ? ' with lsof -i or netstat -p' : 'mtu' in spec.expect ? ' at ip addr / ifconfig' : 'mac' in spec.expect ? ' at ip neigh / arp -n' : ''}.`,
        evidence: [read],
      };
}

/** The fields of a `answer` check (its schema fragment, in schema/lab.schema.json under checks[].answer). */
export const AnswerCheckSchema = Type.Object(
  {
    file: Type.Optional(Type.String({ description: 'An answer file in the lab folder, listed under `submission.files`.' })),
    from: Type.Optional(Type.String({ description: 'Instead of a file: a command step whose stdout is the answer.' })),
    key: Type.Optional(
      Type.String({ description: 'The answer is the value on the line `key: value` (or `key = value`); default the whole text, trimmed.' }),
    ),
    expect: ExactlyOne(
      {
        hops: Type.String({
          description: "The number of hops in a traceroute (a traceroute probe's name, or a command step that ran traceroute).",
        }),
        pid: Type.Object(
          {
            node: Type.String(),
            tcp: Type.Optional(ref(PortSchema)),
            udp: Type.Optional(ref(PortSchema)),
            probe: Type.Optional(Type.String()),
          },
          {
            additionalProperties: false,
            description:
              'The PID of the process holding a port in a node (from a sockets or lsof probe; default a socket table read at the end).',
          },
        ),
        command: Type.Object(
          {
            node: Type.String(),
            tcp: Type.Optional(ref(PortSchema)),
            udp: Type.Optional(ref(PortSchema)),
            probe: Type.Optional(Type.String()),
          },
          { additionalProperties: false, description: 'The command name of the process holding a port (e.g. `node`, `nc`).' },
        ),
        mtu: Type.Object(
          {
            node: Type.String(),
            network: Type.Optional(Type.String()),
            interface: Type.Optional(Type.String()),
            probe: Type.Optional(Type.String()),
          },
          {
            additionalProperties: false,
            description: "The MTU of a node's interface on a network (from an interfaces probe; default one read at the end).",
          },
        ),
        mac: Type.Object(
          {
            node: Type.String(),
            of: Type.String({ description: 'The node whose MAC address is asked for.' }),
            network: Type.Optional(Type.String({ description: 'Its address on this network (default: any of its addresses).' })),
            probe: Type.String({ description: 'A neighbours probe of `node`.' }),
          },
          {
            additionalProperties: false,
            description:
              'The MAC address `node` resolved for another node (ARP, or NDP on IPv6), from a neighbours probe. Written with colons, dashes or dots, in either case.',
          },
        ),
        address: Type.Object(
          {
            node: Type.String(),
            network: Type.Optional(Type.String()),
            family: Type.Optional(Enum([4, 6], { description: 'IP version: 4 (default) or 6.' })),
          },
          { additionalProperties: false, description: "A node's address on a network, as this instance really has it." },
        ),
        value: Raw<string | number>({ type: ['string', 'number'], description: 'A fixed value.' }),
      },
      {
        additionalProperties: false,
        description: 'The observed value an answer is compared with: exactly one of hops, pid, command, mtu, mac, address, value.',
      },
    ),
  },
  {
    additionalProperties: false,
    description: "A student's answer (from a submitted file, or a command's output) compared with a value observed in this run.",
  },
);
export type AnswerCheck = Static<typeof AnswerCheckSchema>;
export const answerKind = defineCheckKind({
  name: 'answer',
  schema: AnswerCheckSchema,
  reads: ['files', 'programs', 'probes', 'end-of-run sockets', 'addresses'],
  evaluate: checkAnswer,
  lint(spec, ctx) {
    const a = spec;
    if ((a.file === undefined) === (a.from === undefined))
      ctx.problem([], 'say where the answer is: `file: <answer file>` or `from: <command>`');
    if (a.file !== undefined) ctx.submitted(['file'], a.file);
    ctx.ref(['from'], a.from, ctx.outputs, 'program run or command');
    const e = a.expect;
    if ('hops' in e)
      ctx.ref(
        ['expect', 'hops'],
        e.hops,
        [...ctx.probesOf(['traceroute']), ...ctx.outputs.filter((o) => ctx.names.outputs.get(o)?.kind === 'command')],
        'traceroute probe or command',
      );
    if ('pid' in e) ctx.portRef(['expect', 'pid'], e.pid);
    if ('command' in e) ctx.portRef(['expect', 'command'], e.command);
    if ('mtu' in e) {
      ctx.node(['expect', 'mtu', 'node'], e.mtu.node);
      if ((e.mtu.network === undefined) === (e.mtu.interface === undefined))
        ctx.problem(['expect', 'mtu'], 'say which interface: `network: <name>` or `interface: <name>`');
      ctx.networkOf(['expect', 'mtu', 'network'], e.mtu.node, e.mtu.network);
      ctx.probeOn(['expect', 'mtu', 'probe'], e.mtu.probe, e.mtu.node, ['interfaces'], 'interfaces');
    }
    if ('mac' in e) {
      ctx.node(['expect', 'mac', 'node'], e.mac.node);
      ctx.node(['expect', 'mac', 'of'], e.mac.of);
      // A node's neighbour table holds the others it talked to, never itself: such a check could not pass.
      if (e.mac.of === e.mac.node)
        ctx.problem(
          ['expect', 'mac', 'of'],
          `\`of\` must be another node than \`${e.mac.node}\`: a node's neighbour table never holds its own address`,
        );
      ctx.networkOf(['expect', 'mac', 'network'], e.mac.of, e.mac.network);
      ctx.probeOn(['expect', 'mac', 'probe'], e.mac.probe, e.mac.node, ['neighbours'], 'neighbours');
    }
    if ('address' in e) {
      ctx.node(['expect', 'address', 'node'], e.address.node);
      ctx.networkOf(['expect', 'address', 'network'], e.address.node, e.address.network);
    }
  },
});
/** The observed value an answer is compared with. */
export type ObservedValue = AnswerCheck['expect'];
