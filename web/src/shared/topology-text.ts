/** A node of a running instance, as the server reports it (`Student.nodes`). */
export interface InstanceNode {
  name: string;
  addresses: { network: string; address?: string; address6?: string }[];
}

const mermaidId = (name: string): string => name.replace(/-/g, '_');

/**
 * The `lab graph` text with each link label (`node_x ---|"10.0.1.10"| net_y`, or the other way round) replaced by the addresses the
 * node really has on that network in this instance; links it cannot match keep their label.
 */
export function withInstanceAddresses(graph: string, nodes: readonly InstanceNode[]): string {
  const actual = new Map<string, string>();
  for (const n of nodes)
    for (const a of n.addresses) {
      const text = [a.address, a.address6].filter((x): x is string => x !== undefined).join('<br/>');
      if (text) actual.set(`node_${mermaidId(n.name)} net_${mermaidId(a.network)}`, text);
    }
  // A network's IPv4 subnet: the same prefix length, around an address a node really has on it.
  const subnet = new Map<string, string>();
  for (const n of nodes) for (const a of n.addresses) if (a.address !== undefined) subnet.set(`net_${mermaidId(a.network)}`, a.address);
  const withSubnets = graph.replace(/^(\s*)(net_\w+)\{\{"(.*)"\}\}$/gm, (line, indent: string, net: string, label: string) => {
    const addr = subnet.get(net);
    if (addr === undefined) return line;
    return `${indent}${net}{{"${label.replace(/\b(\d+\.\d+\.\d+\.\d+)\/(\d+)\b/, (m, _base: string, bits: string) => {
      const b = Number(bits);
      const ip = addr.split('.').reduce((v, o) => (v << 8) + Number(o), 0) >>> 0;
      const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
      const base = (ip & mask) >>> 0;
      return b >= 0 && b <= 32 ? `${[24, 16, 8, 0].map((sh) => (base >>> sh) & 255).join('.')}/${b}` : m;
    })}"}}`;
  });
  // A link is drawn either way round (`node_x ---|…| net_y`, or `net_y ---|…| node_x` past the first node).
  return withSubnets.replace(
    /^(\s*)((?:node|net)_\w+) ---\|"([^"]*)"\| ((?:node|net)_\w+)$/gm,
    (line, indent: string, a: string, _label: string, b: string) => {
      const [node, net] = a.startsWith('node_') ? [a, b] : [b, a];
      const text = actual.get(`${node} ${net}`);
      return text === undefined ? line : `${indent}${a} ---|"${text}"| ${b}`;
    },
  );
}
