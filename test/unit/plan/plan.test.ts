import { describe, expect, it } from 'vitest';
import { loadLab } from '../../../src/lab/load.js';
import { UsageError } from '../../../src/errors.js';
import { allocateSubnet, allocateSubnet6, planLab, translate } from '../../../src/plan/plan.js';
import { overlaps } from '../../../src/util/address.js';

const lab = loadLab('tcp-handshake');

describe('planLab', () => {
  it('names, labels and addresses every network and node of an instance', () => {
    const plan = planLab(lab, { instance: 'alice', image: 'toplab/lab:x', usedSubnets: [] });
    expect(plan.networks).toHaveLength(1);
    const net = plan.networks[0]!;
    expect(net.dockerName).toBe('tl-tcp-handshake-alice-lan');
    expect(net.bridge).toMatch(/^tl-[0-9a-f]{10}$/);
    expect(net.bridge.length).toBeLessThanOrEqual(15);
    expect(net.subnet).toMatch(/^10\.(1[2-9][0-9]|2[0-5][0-9])\.\d+\.0\/24$/);
    expect(net.labels).toMatchObject({
      'org.toplab.managed': 'true',
      'org.toplab.lab': 'tcp-handshake',
      'org.toplab.instance': 'alice',
      'org.toplab.declared-subnet': '10.0.1.0/24',
    });
    const server = plan.nodes.find((n) => n.name === 'server')!;
    expect(server.container).toBe('tl-tcp-handshake-alice-server');
    // The host part of the declared address is kept.
    expect(server.interfaces[0]!.address.split('.')[3]).toBe('10');
    expect(server.interfaces[0]!.address.split('.').slice(0, 3)).toEqual(net.subnet.split('.').slice(0, 3));
    expect(server.labels['org.toplab.node']).toBe('server');
  });

  it('is deterministic and avoids subnets in use', () => {
    const a = planLab(lab, { instance: 'x', image: 'i', usedSubnets: [] });
    const b = planLab(lab, { instance: 'x', image: 'i', usedSubnets: [] });
    expect(a).toEqual(b);
    const taken = a.networks[0]!.subnet;
    const c = planLab(lab, { instance: 'x', image: 'i', usedSubnets: [taken] });
    expect(c.networks[0]!.subnet).not.toBe(taken);
    expect(overlaps(c.networks[0]!.subnet, taken)).toBe(false);
  });

  it('gives fifty instances fifty distinct subnets', () => {
    const used: string[] = [];
    for (let i = 0; i < 50; i++) {
      const p = planLab(lab, { instance: `s${i}`, image: 'i', usedSubnets: used });
      used.push(p.networks[0]!.subnet);
    }
    expect(new Set(used).size).toBe(50);
  });
});

describe('allocateSubnet and translate', () => {
  it('keeps the host part when moving an address to another subnet', () => {
    expect(translate('10.0.1.20', '10.0.1.0/24', '10.200.7.0/24')).toBe('10.200.7.20');
    expect(translate('192.168.5.130', '192.168.5.128/25', '10.128.0.0/25')).toBe('10.128.0.2');
  });

  it('skips a block that a larger used network covers, and fails when the pool is full', () => {
    const pool = '10.128.0.0/22';
    const got = allocateSubnet('10.0.0.0/24', ['10.128.0.0/23'], pool, 'k', 0);
    expect(['10.128.2.0/24', '10.128.3.0/24']).toContain(got);
    expect(() => allocateSubnet('10.0.0.0/24', ['10.128.0.0/22'], pool, 'k', 0)).toThrow(
      /no free \/24 left in the subnet pool 10.128.0.0\/22/,
    );
    // The user's pool (or a full engine), not a bug in toplab: a usage error with what to do.
    expect(() => allocateSubnet('10.0.0.0/24', ['10.128.0.0/22'], pool, 'k', 0)).toThrow(UsageError);
    expect(() => allocateSubnet('10.0.0.0/16', [], pool, 'k', 0)).toThrow(UsageError);
  });

  it('calls a pool too small for the lab a usage error (exit 2) with a hint to give a larger one, not an internal error', () => {
    const full = (() => {
      try {
        allocateSubnet('10.0.0.0/24', ['10.128.0.0/22'], '10.128.0.0/22', 'k', 0);
      } catch (e) {
        return e;
      }
    })();
    expect(full).toBeInstanceOf(UsageError);
    expect((full as UsageError).exitCode).toBe(2);
    expect((full as UsageError).hint).toMatch(/larger pool with --subnet-pool/);
    expect(() => allocateSubnet('10.0.0.0/16', [], '10.128.0.0/24', 'k', 0)).toThrow(UsageError);
    expect(() => allocateSubnet6('fd00::/64', ['fd70::/16'], 'fd70:b1ab:c0de::/48', 'k', 0)).toThrow(UsageError);
  });
});
