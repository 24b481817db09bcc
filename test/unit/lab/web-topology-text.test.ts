import { describe, expect, it } from 'vitest';
import { renderGraph } from '../../../src/lab/graph.js';
import { loadLab } from '../../../src/lab/load.js';
import { labsDir } from '../../../src/paths.js';
import { withInstanceAddresses } from '../../../web/src/shared/topology-text.js';
import { join } from 'node:path';

describe('the student page draws the topology with the instance addresses', () => {
  it("replaces the lab file's addresses and subnet in `lab graph` output by the instance's own", () => {
    const lab = loadLab(join(labsDir(), 'tcp-handshake'));
    const graph = renderGraph(lab.def, 'mermaid');
    expect(graph).toContain('"10.0.1.10"');
    const out = withInstanceAddresses(graph, [
      { name: 'server', addresses: [{ network: 'lan', address: '10.217.128.10' }] },
      { name: 'client', addresses: [{ network: 'lan', address: '10.217.128.20' }] },
    ]);
    expect(out).toContain('node_server ---|"10.217.128.10"| net_lan');
    // The graph draws client right of the network (net_lan ---| | node_client): replaced all the same.
    expect(out).toContain('net_lan ---|"10.217.128.20"| node_client');
    expect(out).toContain('net_lan{{"lan<br/>10.217.128.0/24"}}');
    expect(out).not.toContain('10.0.1.');
  });

  it('keeps a label it cannot match (a node the server did not report)', () => {
    const lab = loadLab(join(labsDir(), 'tcp-handshake'));
    const graph = renderGraph(lab.def, 'mermaid');
    expect(withInstanceAddresses(graph, [])).toBe(graph);
  });
});
