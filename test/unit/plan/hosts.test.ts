// Nodes behind routers resolve by name: a node gets /etc/hosts lines for the nodes it shares no network with.
import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import { extraHosts } from '../../../src/plan/hosts.js';
import { planLab } from '../../../src/plan/plan.js';

describe('extra hosts', () => {
  const plan = planLab(loadLab('traceroute'), { image: 'toplab/lab:test', instance: 'hosts-test' });
  const addr = (node: string): string => plan.nodes.find((n) => n.name === node)?.interfaces[0]?.address ?? '';

  it('names the nodes behind routers, at their first address', () => {
    expect(extraHosts(plan, 'client')).toEqual([`router2:${addr('router2')}`, `server:${addr('server')}`]);
    expect(extraHosts(plan, 'server')).toEqual([`client:${addr('client')}`, `router1:${addr('router1')}`]);
  });

  it('leaves out the nodes Docker already resolves (a shared network)', () => {
    expect(extraHosts(plan, 'router1')).toEqual([`server:${addr('server')}`]);
    expect(extraHosts(planLab(loadLab('ipv6'), { image: 'toplab/lab:test', instance: 'hosts-test' }), 'client')).toEqual([]);
  });
});
