import { describeImpairment } from './impairment.js';
import { interfaceOf } from './interfaces.js';
import type { LabDefinition } from './model.js';

/** What a drawing reads of a lab: its name, networks and nodes (a loaded Lab, or an instance's definition). */
export type Topology = Pick<LabDefinition, 'name' | 'networks' | 'nodes'>;

export type GraphFormat = 'mermaid' | 'dot';

/** A link between a node and a network, drawn from `from` to `to` (left to right in the picture). */
interface Edge {
  node: string;
  network: string;
  label: string;
  /** The node is drawn left of the network (else the network left of the node). */
  nodeFirst: boolean;
}

/**
 * The links, in the order and direction a left-to-right layout draws as a path rather than a zigzag: a walk
 * (breadth first) from the first node on a single network (a client, usually), each link drawn from what the
 * walk reached first to what it reaches through it. A routed chain client–near–router1–middle–router2–far–server
 * then reads left to right; a lab of one network puts its first node left of the network, the others right.
 */
function edges(def: Topology): Edge[] {
  const links = Object.entries(def.nodes).flatMap(([node, n]) =>
    Object.entries(n.interfaces).map(([network, raw]) => {
      const i = interfaceOf(raw);
      const parts = [i.ipv4, ...(i.ipv6 !== undefined ? [i.ipv6] : []), ...(i.impair ? [describeImpairment(i.impair)] : [])];
      return { node, network, label: parts.join('\n') };
    }),
  );
  const nodes = Object.keys(def.nodes);
  const starts = [...nodes.filter((n) => Object.keys(def.nodes[n]?.interfaces ?? {}).length === 1), ...nodes];
  const seen = new Set<string>();
  const out: Edge[] = [];
  const used = new Set<(typeof links)[number]>();
  for (const start of starts) {
    if (seen.has(`node:${start}`)) continue;
    seen.add(`node:${start}`);
    const queue = [`node:${start}`];
    while (queue.length > 0) {
      const at = queue.shift() as string;
      const [kind, name] = [at.slice(0, at.indexOf(':')), at.slice(at.indexOf(':') + 1)];
      for (const l of links) {
        if (used.has(l) || (kind === 'node' ? l.node !== name : l.network !== name)) continue;
        used.add(l);
        const other = kind === 'node' ? `net:${l.network}` : `node:${l.node}`;
        out.push({ ...l, nodeFirst: kind === 'node' });
        if (!seen.has(other)) {
          seen.add(other);
          queue.push(other);
        }
      }
    }
  }
  return out;
}

function nodeLabel(def: Topology, name: string): string {
  const n = def.nodes[name];
  const extra: string[] = [];
  if (n?.description !== undefined) extra.push(n.description);
  if (n?.router) extra.push('(forwards packets)');
  if (n?.gateway !== undefined) extra.push(`gw ${n.gateway}`);
  if (n?.gateway6 !== undefined) extra.push(`gw ${n.gateway6}`);
  for (const r of n?.routes ?? []) extra.push(`${r.to} via ${r.via}`);
  return [name, ...extra].join('\n');
}

function networkLabel(def: Topology, name: string): string {
  const n = def.networks[name];
  return [name, n?.description, n?.subnet, n?.subnet6, n?.mtu !== undefined ? `mtu ${n.mtu}` : undefined]
    .filter((x): x is string => x !== undefined)
    .join('\n');
}

/** The lab's topology as Mermaid (a flowchart) or Graphviz DOT: nodes and networks with their descriptions, addresses, routes, impairments. Pure. */
export function renderGraph(def: Topology, format: GraphFormat): string {
  return format === 'dot' ? dot(def) : mermaid(def);
}

function mermaidText(s: string): string {
  return s.replace(/"/g, '#quot;').replace(/\n/g, '<br/>');
}

function mermaid(def: Topology): string {
  const id = (kind: 'net' | 'node', name: string): string => `${kind}_${name.replace(/-/g, '_')}`;
  const lines = ['flowchart LR'];
  for (const name of Object.keys(def.networks)) lines.push(`  ${id('net', name)}{{"${mermaidText(networkLabel(def, name))}"}}`);
  for (const name of Object.keys(def.nodes)) {
    const label = mermaidText(nodeLabel(def, name));
    lines.push(def.nodes[name]?.router ? `  ${id('node', name)}(("${label}"))` : `  ${id('node', name)}["${label}"]`);
  }
  for (const e of edges(def)) {
    const [a, b] = e.nodeFirst ? [id('node', e.node), id('net', e.network)] : [id('net', e.network), id('node', e.node)];
    lines.push(`  ${a} ---|"${mermaidText(e.label)}"| ${b}`);
  }
  return lines.join('\n') + '\n';
}

function dotText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function dot(def: Topology): string {
  const lines = [
    `graph "${dotText(def.name)}" {`,
    '  rankdir=LR;',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ];
  for (const name of Object.keys(def.networks))
    lines.push(`  "net:${name}" [shape=box, style="rounded,filled", fillcolor="#eef3fb", label="${dotText(networkLabel(def, name))}"];`);
  for (const name of Object.keys(def.nodes))
    lines.push(
      `  "node:${name}" [shape=${def.nodes[name]?.router ? 'doublecircle' : 'ellipse'}, label="${dotText(nodeLabel(def, name))}"];`,
    );
  for (const e of edges(def)) {
    const [a, b] = e.nodeFirst ? [`node:${e.node}`, `net:${e.network}`] : [`net:${e.network}`, `node:${e.node}`];
    lines.push(`  "${a}" -- "${b}" [label="${dotText(e.label)}"];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

export const README_GRAPH_START = '<!-- lab graph: generated by `lab graph <lab> --write-readme`; do not edit -->';
export const README_GRAPH_END = '<!-- end of lab graph -->';

/** The README with its generated graph block replaced (or added at the end when it has none). Pure. */
export function withReadmeGraph(readme: string, def: Topology): string {
  const block = `${README_GRAPH_START}\n\`\`\`mermaid\n${renderGraph(def, 'mermaid')}\`\`\`\n${README_GRAPH_END}`;
  const start = readme.indexOf(README_GRAPH_START);
  const end = readme.indexOf(README_GRAPH_END);
  if (start >= 0 && end > start) return readme.slice(0, start) + block + readme.slice(end + README_GRAPH_END.length);
  return `${readme.replace(/\n*$/, '')}\n\n${block}\n`;
}
