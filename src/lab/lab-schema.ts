/**
 * The lab format, written once: schema/lab.schema.json is generated from LabSchema (scripts/gen-schema.mjs,
 * checked by test/unit/lab/schema-source.test.ts) and the model's types (src/lab/model.ts) are its static types.
 * The check kinds come from src/checks/registry.ts and the step kinds from src/exercise/step-kinds/registry.ts.
 */
import { CHECK_KINDS, CheckSchema } from '../checks/registry.js';
import {
  Cidr4Schema,
  Cidr6Schema,
  DnsLabelSchema,
  DurationSchema,
  ImpairmentSchema,
  InterfaceSchema,
  Ipv4Schema,
  Ipv6Schema,
  NameSchema,
  NetworkSchema,
  NodeListSchema,
  NodeSchema,
  PortSchema,
  RouteSchema,
} from '../schema/defs.js';
import { StepSchema } from '../exercise/step-kinds/registry.js';
import { probeKindsTable } from '../exercise/probe-kinds/registry.js';
import { Enum, MapOf, ref, Type, type Static } from '../schema/vocabulary.js';

/** A program: a TypeScript source of the lab folder, run with Node in a node. */
export const ProgramSchema = Type.Object(
  {
    node: Type.String({ description: 'The node the program runs on.' }),
    source: Type.String({
      pattern: '\\.ts$',
      'x-hint': 'a TypeScript file in the lab folder, like server.ts',
      description: 'TypeScript file relative to the lab folder.',
    }),
    env: Type.Optional(
      MapOf(Type.String(), {
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', 'x-hint': 'an environment variable name (letters, digits, _)' },
        description: 'Environment variables (values are strings: quote numbers).',
      }),
    ),
    args: Type.Optional(Type.Array(Type.String(), { description: 'Command-line arguments.' })),
  },
  { additionalProperties: false },
);

/** What a student submits. */
export const SubmissionSchema = Type.Object(
  {
    files: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z0-9._-]+$' }), {
        description:
          'The files a student submits, e.g. [client.ts, ping.sh, answers.txt]: program sources, command files, answer files. The lab folder holds the reference version of each (graded by `lab check`).',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "What a student submits. Every file listed must be in a submission (a missing or misnamed one is reported, never replaced by the lab's own); nothing else of the submission is used. Without it, a submission is the source of every program.",
  },
);

/** The whole lab file. */
export const LabSchema = Type.Object(
  {
    name: ref(DnsLabelSchema, { description: "The lab's name; the folder under labs/ has the same name." }),
    title: Type.String({ minLength: 1, description: 'One line shown by `lab list`.' }),
    summary: Type.Optional(Type.String({ description: 'A paragraph on what the lab teaches.' })),
    difficulty: Type.Optional(Enum(['intro', 'core', 'advanced'], { description: 'How hard the lab is.' })),
    seed: Type.Optional(Type.String({ description: 'The section of the course notes this lab teaches.' })),
    minutes: Type.Optional(Type.Integer({ minimum: 1, description: 'Estimated minutes for a student.' })),
    passMark: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of the maximum score needed to pass (default 1).' })),
    networks: MapOf(ref(NetworkSchema), {
      description: 'Networks by name. Each becomes an internal Docker network; an instance gets its own subnets with the same host parts.',
      minProperties: 1,
      propertyNames: { $ref: '#/$defs/dnsLabel' },
    }),
    nodes: MapOf(ref(NodeSchema), {
      description: 'Nodes (containers) by name; the name is also the host name other nodes resolve.',
      minProperties: 1,
      propertyNames: { $ref: '#/$defs/dnsLabel' },
    }),
    programs: Type.Optional(
      MapOf(ProgramSchema, {
        description: 'Programs by name: a TypeScript source in the lab folder, compiled by toplab and run with Node inside a node.',
        propertyNames: { $ref: '#/$defs/dnsLabel' },
      }),
    ),
    exercise: Type.Array(ref(StepSchema), {
      description: 'Steps run in order by `lab check`. Leading `start` steps also run at `lab up`.',
    }),
    checks: Type.Array(ref(CheckSchema), { description: 'The checks that grade the exercise.', minItems: 1 }),
    modules: Type.Optional(
      Type.Array(Type.String({ pattern: '^(@[a-z0-9._-]+/)?[a-z0-9._-]+$' }), {
        uniqueItems: true,
        description:
          "npm packages the lab's programs may import besides Node's built-in modules, e.g. [yaml]. They are resolved from the lab folder (npm install them next to the lab); any other import is refused, the same way by `lab check` and `lab grade`.",
      }),
    ),
    submission: Type.Optional(SubmissionSchema),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://toplab.dev/schema/lab.schema.json',
    title: 'toplab lab file',
    description: 'A network lab: networks, nodes (containers), programs, the exercise that runs them and the checks that grade it.',
    additionalProperties: false,
    $defs: {
      dnsLabel: DnsLabelSchema,
      port: PortSchema,
      ipv4: Ipv4Schema,
      ipv6: Ipv6Schema,
      cidr4: Cidr4Schema,
      cidr6: Cidr6Schema,
      duration: DurationSchema,
      network: NetworkSchema,
      interface: InterfaceSchema,
      impairment: ImpairmentSchema,
      route: RouteSchema,
      node: NodeSchema,
      name: NameSchema,
      nodeList: NodeListSchema,
      step: StepSchema,
      check: CheckSchema,
    },
  },
);

/** The text of schema/lab.schema.json: LabSchema as plain JSON, two-space indented, with a final newline. */
export function labSchemaJson(): string {
  return JSON.stringify(LabSchema, null, 2) + '\n';
}

/** Markers around the generated table of check kinds in docs/lab-format.md. */
export const CHECK_TABLE_START = '<!-- check kinds: generated from src/checks/registry.ts by scripts/gen-schema.mjs -->';
export const CHECK_TABLE_END = '<!-- end of check kinds -->';

/** The table of check kinds docs/lab-format.md shows: each kind's name, what it reads and its description. */
export function checkKindsTable(): string {
  const rows = CHECK_KINDS.map((k) => `| \`${k.name}\` | ${k.reads.join(', ')} | ${(k.schema.description ?? '').replace(/\|/g, '\\|')} |`);
  return [CHECK_TABLE_START, '| kind | reads | what it checks |', '| --- | --- | --- |', ...rows, CHECK_TABLE_END].join('\n');
}

const PROBE_TABLE_START = '<!-- probe kinds: generated from src/exercise/probe-kinds/registry.ts by scripts/gen-schema.mjs -->';
const PROBE_TABLE_END = '<!-- end of probe kinds -->';

function replaceBetween(doc: string, start: string, end: string, body: string): string {
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) throw new Error(`docs/lab-format.md has no markers ${start} ... ${end}`);
  return doc.slice(0, i) + body + doc.slice(j + end.length);
}

/** `doc` (docs/lab-format.md) with its generated tables (check kinds, probe kinds) replaced by the registries'. */
export function withGeneratedTables(doc: string): string {
  const checks = replaceBetween(doc, CHECK_TABLE_START, CHECK_TABLE_END, checkKindsTable());
  return replaceBetween(checks, PROBE_TABLE_START, PROBE_TABLE_END, [PROBE_TABLE_START, probeKindsTable(), PROBE_TABLE_END].join('\n'));
}

/** A lab file as written, once valid against schema/lab.schema.json. */
export type LabFile = Static<typeof LabSchema>;
