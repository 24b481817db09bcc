import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGraph, README_GRAPH_START, withReadmeGraph } from '../../../src/lab/graph.js';
import { labSchema, loadLab } from '../../../src/lab/load.js';
import type {
  Capability,
  ImpairmentDef,
  InterfaceDef,
  LabDefinition,
  NetworkDef,
  NodeDef,
  ProgramDef,
  RouteDef,
} from '../../../src/lab/model.js';
import { labsDir } from '../../../src/paths.js';
import { ROOT } from '../../helpers/cli.js';

/**
 * The TypeScript model and the JSON Schema must not drift. Each list below is checked by the compiler
 * against the model (every key of the type, nothing else; required keys exactly the non-optional ones)
 * and by the test against the schema. Adding a key to one side only fails one of them.
 */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Missing<T, K extends readonly PropertyKey[]> = Exclude<keyof T, K[number]>;
type MissingRequired<T, K extends readonly PropertyKey[]> = Exclude<RequiredKeys<T>, K[number]>;
type ExtraRequired<T, K extends readonly PropertyKey[]> = Exclude<K[number], RequiredKeys<T>>;

function shape<T>() {
  return <const A extends readonly (keyof T)[], const R extends readonly (keyof T)[]>(
    all: A & ([Missing<T, A>] extends [never] ? unknown : { missingKeys: Missing<T, A> }),
    required: R &
      ([MissingRequired<T, R>] extends [never] ? unknown : { missingRequired: MissingRequired<T, R> }) &
      ([ExtraRequired<T, R>] extends [never] ? unknown : { notRequired: ExtraRequired<T, R> }),
  ) => ({ all: [...all].map(String).sort(), required: [...required].map(String).sort() });
}

// `programs` is optional in the file and filled in by the loader (the model's one default).
const MODEL = {
  lab: shape<LabDefinition>()(
    [
      'name',
      'title',
      'summary',
      'difficulty',
      'seed',
      'minutes',
      'passMark',
      'networks',
      'nodes',
      'programs',
      'exercise',
      'checks',
      'submission',
      'modules',
    ],
    ['name', 'title', 'networks', 'nodes', 'programs', 'exercise', 'checks'],
  ),
  network: shape<NetworkDef>()(['subnet', 'subnet6', 'mtu', 'description'], ['subnet']),
  node: shape<NodeDef>()(
    ['interfaces', 'gateway', 'gateway6', 'routes', 'router', 'sysctls', 'capabilities', 'description'],
    ['interfaces'],
  ),
  interface: shape<InterfaceDef>()(['ipv4', 'ipv6', 'impair'], ['ipv4']),
  impairment: shape<ImpairmentDef>()(['delay', 'jitter', 'loss', 'rate'], []),
  route: shape<RouteDef>()(['to', 'via'], ['to', 'via']),
  program: shape<ProgramDef>()(['node', 'source', 'env', 'args'], ['node', 'source']),
};
const LOADER_DEFAULTS = ['programs'];

const CAPABILITIES = ['NET_ADMIN', 'NET_RAW', 'NET_BIND_SERVICE', 'NET_BROADCAST'] as const satisfies readonly Capability[];
// Every member of the Capability union is listed (compile-time).
const allCapabilities: [Exclude<Capability, (typeof CAPABILITIES)[number]>] extends [never] ? true : never = true;

type Schema = {
  properties?: Record<string, Schema>;
  required?: string[];
  $defs?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  description?: string;
  $ref?: string;
  enum?: unknown[];
};
const schema = labSchema() as Schema;
const defs = schema.$defs ?? {};
const programSchema = (schema.properties?.programs?.additionalProperties ?? {}) as Schema;

const SCHEMA: Record<keyof typeof MODEL, Schema> = {
  lab: schema,
  network: defs.network ?? {},
  node: defs.node ?? {},
  interface: defs.interface ?? {},
  impairment: defs.impairment ?? {},
  route: defs.route ?? {},
  program: programSchema,
};

describe('the schema and the TypeScript model', () => {
  for (const [name, model] of Object.entries(MODEL)) {
    it(`agree on ${name}: every key, and which are required`, () => {
      const s = SCHEMA[name as keyof typeof MODEL];
      expect(Object.keys(s.properties ?? {}).sort()).toEqual(model.all);
      expect([...(s.required ?? []), ...(name === 'lab' ? LOADER_DEFAULTS : [])].sort()).toEqual(model.required);
      // A typo in a lab file is an error, not a silently ignored key.
      expect(s.additionalProperties, name).toBe(false);
    });
  }

  it('agree on the capabilities a node may have', () => {
    expect(allCapabilities).toBe(true);
    expect(defs.node?.properties?.capabilities?.items?.enum).toEqual([...CAPABILITIES]);
  });

  it('describe every property of the lab, its networks, nodes and programs', () => {
    const missing: string[] = [];
    for (const [name, s] of Object.entries(SCHEMA)) {
      for (const [key, prop] of Object.entries(s.properties ?? {})) {
        const target = prop.$ref ? defs[prop.$ref.replace('#/$defs/', '')] : undefined;
        if (!prop.description && !target?.description) missing.push(`${name}.${key}`);
      }
    }
    expect(missing).toEqual([]);
    expect((labSchema() as { $schema?: string }).$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });
});

describe('labs in the repository', () => {
  const labs = readdirSync(labsDir()).filter((d) => existsSync(join(labsDir(), d, 'lab.yaml')));

  it('all validate, and each starts with the schema line editors read', () => {
    expect(labs.length).toBeGreaterThan(0);
    for (const l of labs) {
      const lab = loadLab(l);
      expect(lab.def.name, l).toBe(l);
      expect(readFileSync(lab.file, 'utf8').split('\n')[0], l).toBe('# yaml-language-server: $schema=../../schema/lab.schema.json');
    }
  });

  it("each README embeds the lab's current Mermaid graph (`lab graph <lab> --write-readme` updates it)", () => {
    for (const l of labs) {
      const file = join(labsDir(), l, 'README.md');
      expect(existsSync(file), `${l} has no README.md`).toBe(true);
      const readme = readFileSync(file, 'utf8');
      expect(readme, `${l}: README has no graph block`).toContain(README_GRAPH_START);
      expect(withReadmeGraph(readme, loadLab(l).def), `${l}: README graph is stale`).toBe(readme);
    }
  });
});

describe('graphs', () => {
  const routed = loadLab(join(ROOT, 'test/fixtures/labs/routed')).def;
  const impaired = loadLab(join(ROOT, 'test/fixtures/labs/impaired')).def;

  it('draws networks, nodes, addresses, routers and routes as Mermaid', () => {
    const m = renderGraph(routed, 'mermaid');
    expect(m.split('\n')[0]).toBe('flowchart LR');
    expect(m).toContain('net_left{{"left<br/>the client\'s side<br/>10.0.1.0/24<br/>fd00:0:0:1::/64"}}');
    expect(m).toContain('node_router(("router<br/>(forwards packets)"))');
    expect(m).toContain('node_client ---|"10.0.1.20<br/>fd00:0:0:1::20"| net_left');
    expect(m).toContain('10.0.1.0/24 via 10.0.2.2');
  });

  it('draws impairments on their links, in DOT too', () => {
    expect(renderGraph(impaired, 'mermaid')).toContain('node_lossy ---|"10.0.5.10<br/>loss 30%"| net_lan');
    const d = renderGraph(impaired, 'dot');
    expect(d).toMatch(/^graph "impaired" \{/);
    expect(d).toContain('"net:lan" -- "node:slow" [label="10.0.5.20\\nrate 1mbit"];');
  });

  it('shows what nodes and networks stand for (their description)', () => {
    const client = routed.nodes.client as NodeDef;
    const described = { ...routed, nodes: { ...routed.nodes, client: { ...client, description: "the student's machine" } } };
    const m = renderGraph(described, 'mermaid');
    expect(m).toContain('node_client["client<br/>the student\'s machine<br/>gw 10.0.1.2<br/>gw fd00:0:0:1::2"]');
    expect(m).toContain('net_left{{"left<br/>the client\'s side<br/>10.0.1.0/24<br/>fd00:0:0:1::/64"}}');
    expect(renderGraph(described, 'dot')).toContain('label="client\\nthe student\'s machine\\ngw 10.0.1.2');
  });

  it('draws a routed lab as a path from the client to the server, not a zigzag', () => {
    // Left to right, each link from what comes before it: client, left, router, right, server.
    const links = renderGraph(routed, 'mermaid')
      .split('\n')
      .filter((l) => l.includes('---|'))
      .map((l) => l.trim().replace(/\s*---\|.*\|\s*/, ' -> '));
    expect(links).toEqual(['node_client -> net_left', 'net_left -> node_router', 'node_router -> net_right', 'net_right -> node_server']);
    const dotLinks = renderGraph(routed, 'dot')
      .split('\n')
      .filter((l) => l.includes(' -- '))
      .map((l) => l.trim().replace(/ \[.*$/, ''));
    expect(dotLinks).toEqual([
      '"node:client" -- "net:left"',
      '"net:left" -- "node:router"',
      '"node:router" -- "net:right"',
      '"net:right" -- "node:server"',
    ]);
  });

  it('replaces only its own block in a README', () => {
    const once = withReadmeGraph('# Title\n\nText.\n', impaired);
    expect(once.startsWith('# Title\n\nText.\n\n<!-- lab graph')).toBe(true);
    expect(withReadmeGraph(once, impaired)).toBe(once);
    const changed = withReadmeGraph(once.replace('Text.', 'Other text.'), routed);
    expect(changed).toContain('Other text.');
    expect(changed).toContain('net_left');
    expect(changed).not.toContain('node_lossy');
  });
});
