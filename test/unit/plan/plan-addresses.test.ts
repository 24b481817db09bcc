// The addresses a lab's README quotes exist on a running lab: the default instance keeps the declared subnets
// when nothing on the engine uses them, falls back to the pool (and says so) when something does; a named
// instance always has pool subnets; `lab graph --instance` draws the instance's real addresses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGraph } from '../../../src/lab/graph.js';
import { loadLab } from '../../../src/lab/load.js';
import { addressNotes } from '../../../src/plan/describe.js';
import { instanceDefinition } from '../../../src/plan/instance-definition.js';
import { planLab } from '../../../src/plan/plan.js';

const udp = loadLab('udp-echo');
const ipv6 = loadLab('ipv6');
const traceroute = loadLab('traceroute');

const address = (plan: ReturnType<typeof planLab>, node: string): string | undefined =>
  plan.nodes.find((n) => n.name === node)?.interfaces[0]?.address;

describe('the default instance', () => {
  it("keeps the declared subnets and addresses when they are free (the README's 10.0.1.10:9000 is real)", () => {
    const plan = planLab(udp, { image: 'i', usedSubnets: ['172.17.0.0/16', '10.128.4.0/24'] });
    expect(plan.networks[0]?.subnet).toBe('10.0.4.0/24');
    expect(address(plan, 'server')).toBe('10.0.4.10');
    expect(addressNotes(plan)).toEqual([]);
  });

  it('keeps IPv6 subnets too, and routed labs keep their gateways and routes', () => {
    const p6 = planLab(ipv6, { image: 'i', usedSubnets: [] });
    expect(p6.networks[0]).toMatchObject({ subnet: '10.0.10.0/24', subnet6: 'fd00:0:0:10::/64' });
    expect(p6.nodes.find((n) => n.name === 'server')?.interfaces[0]).toMatchObject({ address: '10.0.10.10', address6: 'fd00:0:0:10::10' });
    const pt = planLab(traceroute, { image: 'i', usedSubnets: [] });
    expect(pt.networks.map((n) => n.subnet)).toEqual(['10.0.71.0/24', '10.0.72.0/24', '10.0.73.0/24']);
    expect(
      pt.nodes
        .flatMap((n) => [n.gateway, ...n.routes.map((r) => r.via)])
        .filter((x) => x !== undefined)
        .every((a) => a?.startsWith('10.0.7')),
    ).toBe(true);
  });

  it('falls back to the pool for a network whose subnet is in use, and says so', () => {
    const plan = planLab(udp, { image: 'i', usedSubnets: ['10.0.0.0/16'] });
    const net = plan.networks[0]!;
    expect(net.subnet).not.toBe('10.0.4.0/24');
    expect(net.subnet.startsWith('10.')).toBe(true);
    expect(Number(net.subnet.split('.')[1])).toBeGreaterThanOrEqual(128);
    expect(address(plan, 'server')).toBe(net.subnet.replace(/0\/24$/, '10'));
    expect(addressNotes(plan)).toEqual([
      `network lan: ${net.subnet} instead of 10.0.4.0/24: its declared subnet is in use on this engine (another lab is up?); the addresses differ from the lab's README (server is ${address(plan, 'server')}, not 10.0.4.10)`,
    ]);
  });

  it('falls back per network: a free one keeps its subnet', () => {
    const plan = planLab(traceroute, { image: 'i', usedSubnets: ['10.0.72.0/24'] });
    expect(plan.networks.map((n) => n.subnet === n.declaredSubnet)).toEqual([true, false, true]);
    expect(addressNotes(plan)).toHaveLength(1);
  });
});

describe('a named instance', () => {
  it('always has pool subnets, and is told its addresses differ from the README', () => {
    const plan = planLab(udp, { instance: 'alice', image: 'i', usedSubnets: [] });
    expect(plan.networks[0]?.subnet).not.toBe('10.0.4.0/24');
    expect(addressNotes(plan)[0]).toMatch(
      /^network lan: 10\.\d+\.\d+\.0\/24 instead of 10\.0\.4\.0\/24: instance alice has subnets of its own/,
    );
  });
});

describe('lab graph --instance', () => {
  it("draws the instance's subnets, addresses, gateways and routes", () => {
    const plan = planLab(traceroute, { instance: 'bob', image: 'i', usedSubnets: [] });
    const graph = renderGraph(instanceDefinition(traceroute.def, plan), 'mermaid');
    for (const n of plan.networks) expect(graph).toContain(n.subnet);
    for (const node of plan.nodes) for (const i of node.interfaces) expect(graph).toContain(i.address);
    expect(graph).not.toMatch(/10\.0\.7[123]\./);
    expect(renderGraph(instanceDefinition(udp.def, planLab(udp, { image: 'i', usedSubnets: [] })), 'mermaid')).toBe(
      renderGraph(udp.def, 'mermaid'),
    );
  });
});

describe('the lab READMEs quote addresses the default instance has', () => {
  const LABS = [
    'tcp-handshake',
    'tcp-echo-eof',
    'send-buffer',
    'udp-echo',
    'unix-socket',
    'ping-icmp',
    'traceroute',
    'netstat-lsof',
    'ifconfig-mtu',
    'ipv6',
  ];
  it.each(LABS)('%s', (name) => {
    const lab = loadLab(name);
    const plan = planLab(lab, { image: 'i', usedSubnets: [] });
    expect(addressNotes(plan)).toEqual([]);
    for (const readme of ['README.md', 'README.zh.md']) {
      const text = readFileSync(join(lab.dir, readme), 'utf8');
      expect(text, readme).toContain(`lab graph ${name} --instance default`);
      for (const quoted of text.match(/\b10\.\d+\.\d+\.\d+\b/g) ?? []) {
        expect(
          plan.networks.some((n) => inSubnet(quoted, n.subnet)),
          `${readme} quotes ${quoted}, outside the lab's subnets`,
        ).toBe(true);
      }
    }
  });
});

function inSubnet(address: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const n = (a: string): number => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(address) / size) === Math.floor(n(base ?? '') / size);
}
