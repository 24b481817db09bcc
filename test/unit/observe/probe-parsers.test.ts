import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interfaceWithAddress, parseIfconfig, parseIpAddr } from '../../../src/observe/interfaces.js';
import { parseLsof } from '../../../src/observe/lsof.js';
import { parseIpNeigh } from '../../../src/observe/neighbours.js';
import { parsePing } from '../../../src/observe/ping.js';
import { parseIpRoute, parseNetstatRoutes } from '../../../src/observe/routes.js';
import { hopCount, parseTraceroute } from '../../../src/observe/traceroute.js';
import { ROOT } from '../../helpers/cli.js';

const fixture = (name: string): string => readFileSync(join(ROOT, 'test/fixtures/probes', name), 'utf8');

describe('lsof', () => {
  it('reads listening and connected TCP sockets and UDP sockets with their owners', () => {
    const all = parseLsof(fixture('server-lsof-i.txt'));
    expect(all).toHaveLength(4);
    expect(all[0]).toEqual({
      command: 'nc',
      pid: all[0]?.pid,
      user: 'root',
      fd: '3u',
      type: 'IPv4',
      proto: 'tcp',
      localAddress: '*',
      localPort: 9000,
      state: 'LISTEN',
    });
    expect(all[1]).toMatchObject({
      command: 'nc',
      localAddress: '10.77.250.10',
      localPort: 9000,
      peerAddress: '10.77.250.20',
      state: 'ESTABLISHED',
    });
    expect(all[1]?.peerPort).toBeGreaterThan(1024);
    expect(all[2]).toMatchObject({
      command: 'node',
      user: 'student',
      type: 'IPv6',
      proto: 'tcp',
      localAddress: '*',
      localPort: 9001,
      state: 'LISTEN',
    });
    expect(all[3]).toMatchObject({ command: 'node', proto: 'udp', localPort: 7000 });
    expect(all[3]?.state).toBeUndefined();
    expect(all[2]?.pid).toBe(all[3]?.pid);
  });

  it('reads the one-port forms and an empty answer', () => {
    expect(parseLsof(fixture('server-lsof-i-9001-listen.txt')).map((e) => [e.command, e.localPort, e.state])).toEqual([
      ['node', 9001, 'LISTEN'],
    ]);
    expect(parseLsof(fixture('server-lsof-udp-7000.txt')).map((e) => [e.proto, e.localPort])).toEqual([['udp', 7000]]);
    expect(parseLsof(fixture('server-lsof-i-none.txt'))).toEqual([]);
  });
});

describe('ip addr and ifconfig', () => {
  it('reads names, MTU, flags, state, MAC and addresses from ip addr', () => {
    const list = parseIpAddr(fixture('client-ip-addr.txt'));
    expect(list.map((i) => i.name)).toEqual(['lo', 'eth0']);
    const eth0 = list[1];
    expect(eth0).toMatchObject({ name: 'eth0', mtu: 1400, state: 'UP', mac: '02:42:0a:4d:fa:14' });
    expect(eth0?.flags).toEqual(['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP']);
    expect(eth0?.addresses).toEqual([{ family: 4, address: '10.77.250.20', prefix: 24, broadcast: '10.77.250.255', scope: 'global' }]);
    expect(list[0]?.addresses[0]).toMatchObject({ address: '127.0.0.1', prefix: 8, scope: 'host' });
    expect(list[0]?.mtu).toBe(65536);
  });

  it('reads ip -d addr, ip link and a router with IPv6 addresses the same way', () => {
    expect(parseIpAddr(fixture('client-ip-d-addr.txt')).map((i) => [i.name, i.mtu, i.addresses.length])).toEqual([
      ['lo', 65536, 1],
      ['eth0', 1400, 1],
    ]);
    expect(parseIpAddr(fixture('client-ip-link.txt')).map((i) => [i.name, i.mtu, i.addresses.length])).toEqual([
      ['lo', 65536, 0],
      ['eth0', 1400, 0],
    ]);
    const router = parseIpAddr(fixture('router-ip-addr.txt'));
    expect(router.map((i) => [i.name, i.mtu])).toEqual([
      ['lo', 65536],
      ['r2-r1', 1500],
      ['r2-s', 1400],
    ]);
    expect(router[2]?.addresses.map((a) => `${a.address}/${a.prefix}`)).toEqual([
      '10.77.3.3/24',
      'fd00:77:3::3/64',
      `${router[2]?.addresses[2]?.address}/64`,
    ]);
    expect(interfaceWithAddress(router, 'fd00:77:2::3')?.name).toBe('r2-r1');
  });

  it('reads ifconfig with the same results as ip addr', () => {
    const viaIfconfig = parseIfconfig(fixture('client-ifconfig.txt'));
    expect(viaIfconfig.map((i) => [i.name, i.mtu])).toEqual([
      ['eth0', 1400],
      ['lo', 65536],
    ]);
    expect(viaIfconfig[0]?.flags).toEqual(['UP', 'BROADCAST', 'RUNNING', 'MULTICAST']);
    expect(viaIfconfig[0]?.addresses).toEqual([{ family: 4, address: '10.77.250.20', prefix: 24, broadcast: '10.77.250.255' }]);
    expect(viaIfconfig[0]?.mac).toBe('02:42:0a:4d:fa:14');
    const router = parseIfconfig(fixture('router-ifconfig.txt'));
    expect(router.find((i) => i.name === 'r2-s')?.addresses.map((a) => [a.family, a.address, a.prefix])).toEqual([
      [4, '10.77.3.3', 24],
      [6, expect.stringMatching(/^fe80::/), 64],
      [6, 'fd00:77:3::3', 64],
    ]);
  });
});

describe('routes', () => {
  it('reads ip route and ip -6 route', () => {
    expect(parseIpRoute(fixture('client-ip-route.txt'))).toEqual([
      { family: 4, destination: 'default', via: '10.77.250.1', dev: 'eth0' },
      { family: 4, destination: '10.77.250.0/24', dev: 'eth0', proto: 'kernel', scope: 'link', src: '10.77.250.20' },
    ]);
    expect(parseIpRoute(fixture('router-ip-route.txt')).find((r) => r.destination === '10.77.3.0/24')).toEqual({
      family: 4,
      destination: '10.77.3.0/24',
      via: '10.77.2.3',
      dev: 'r1-r2',
    });
    const v6 = parseIpRoute(fixture('router-ip-6-route.txt'));
    expect(v6.find((r) => r.via !== undefined)).toEqual({
      family: 6,
      destination: 'fd00:77:3::/64',
      via: 'fd00:77:2::3',
      dev: 'r1-r2',
      metric: 1024,
    });
  });

  it('reads netstat -rn', () => {
    expect(parseNetstatRoutes(fixture('client-netstat-rn.txt'))).toEqual([
      { family: 4, destination: 'default', via: '10.77.250.1', dev: 'eth0' },
      { family: 4, destination: '10.77.250.0/24', dev: 'eth0' },
    ]);
  });
});

describe('ping', () => {
  it('reads size, replies and statistics', () => {
    const r = parsePing(fixture('client-ping-4-s200.txt'));
    expect(r).toMatchObject({
      target: '10.77.250.10',
      address: '10.77.250.10',
      size: 200,
      packetSize: 228,
      transmitted: 4,
      received: 4,
      lossPercent: 0,
    });
    expect(r.replies.map((x) => [x.bytes, x.seq, x.ttl])).toEqual([
      [208, 1, 64],
      [208, 2, 64],
      [208, 3, 64],
      [208, 4, 64],
    ]);
    expect(r.rtt?.min).toBeGreaterThan(0);
    expect(parsePing(fixture('client-ping-3.txt'))).toMatchObject({ target: 'server', address: '10.77.250.10', size: 56 });
    expect(parsePing(fixture('ping-routed.txt')).replies.every((x) => x.ttl === 62)).toBe(true);
    expect(parsePing(fixture('ping6-routed.txt'))).toMatchObject({ address: 'fd00:77:3::10', size: 56, received: 3 });
    expect(parsePing(fixture('ping6-routed.txt')).replies[0]?.from).toBe('fd00:77:3::10');
  });

  it('reads total loss and local errors (EMSGSIZE)', () => {
    expect(parsePing(fixture('client-ping-unreachable.txt'))).toMatchObject({ transmitted: 2, received: 0, lossPercent: 100, replies: [] });
    const big = parsePing(fixture('client-ping-emsgsize.txt'));
    expect(big).toMatchObject({ size: 1600, transmitted: 3, received: 0, errors: 3 });
    expect(big.localErrors[0]).toBe('message too long, mtu=1400');
  });
});

describe('traceroute', () => {
  it('reads the hops of a routed path, with and without -n, UDP and ICMP', () => {
    for (const f of ['traceroute-3hops.txt', 'traceroute-3hops-icmp.txt', 'traceroute-3hops-names.txt']) {
      const r = parseTraceroute(fixture(f));
      expect(
        r.hops.map((h) => h.addresses),
        f,
      ).toEqual([['10.77.1.2'], ['10.77.2.3'], ['10.77.3.10']]);
      expect(hopCount(r)).toBe(3);
      expect(r).toMatchObject({ address: '10.77.3.10', maxHops: 30 });
    }
    expect(parseTraceroute(fixture('traceroute-3hops-names.txt')).hops[0]?.timeouts).toBe(1);
  });

  it('reads IPv6, one hop, and silent hops', () => {
    expect(parseTraceroute(fixture('traceroute6-3hops.txt')).hops.map((h) => h.addresses[0])).toEqual([
      'fd00:77:1::2',
      'fd00:77:2::3',
      'fd00:77:3::10',
    ]);
    const one = parseTraceroute(fixture('client-traceroute-1hop.txt'));
    expect(one).toMatchObject({ target: 'server', address: '10.77.250.10' });
    expect(hopCount(one)).toBe(1);
    const lost = parseTraceroute(fixture('traceroute-unreachable.txt'));
    expect(lost.hops.map((h) => [h.ttl, h.addresses.length, h.timeouts])).toEqual([
      [1, 0, 1],
      [2, 0, 1],
      [3, 0, 1],
      [4, 0, 1],
    ]);
    // Rate-limited port-unreachable answers: hops 3-18 silent, the destination at 19.
    // The destination's port-unreachable answers are rate-limited: one probe per hop loses some.
    const seq = parseTraceroute(fixture('traceroute-3hops-sequential.txt'));
    expect(seq.hops.map((h) => h.addresses)).toEqual([['10.77.1.2'], ['10.77.2.3'], [], ['10.77.3.10']]);
    expect(hopCount(seq)).toBe(4);
    const q1 = parseTraceroute(fixture('traceroute-3hops-q1.txt'));
    expect(q1.hops[2]?.addresses).toEqual([]);
    expect(hopCount(q1)).toBe(19);
  });
});

describe('ip neigh', () => {
  // A container of the lab image (iproute2 6.1) on a dual-stack network, after pings to a neighbour
  // (10.77.1.20, fd77:0:0:1::20), one to an address nobody holds (10.77.1.99) and an entry added by hand.
  it('reads resolved, unresolved and static entries of both families, just after the pings', () => {
    expect(parseIpNeigh(fixture('client-ip-neigh.txt'))).toEqual([
      { family: 4, address: '10.77.1.99', dev: 'eth0', state: 'INCOMPLETE', router: false },
      { family: 4, address: '10.77.1.20', dev: 'eth0', lladdr: '02:42:0a:4d:01:14', state: 'REACHABLE', router: false },
      { family: 4, address: '10.77.1.50', dev: 'eth0', lladdr: '02:00:00:00:00:50', state: 'PERMANENT', router: false },
      { family: 6, address: 'fd77:0:0:1::20', dev: 'eth0', lladdr: '02:42:0a:4d:01:14', state: 'REACHABLE', router: false },
    ]);
  });

  it('reads the same table 45 s later: the unanswered address FAILED, the others STALE, a link-local neighbour learnt', () => {
    const later = parseIpNeigh(fixture('client-ip-neigh-later.txt'));
    expect(later.map((n) => `${n.address} ${n.state}`)).toEqual([
      '10.77.1.99 FAILED',
      '10.77.1.20 STALE',
      '10.77.1.50 PERMANENT',
      'fd77:0:0:1::20 STALE',
      'fe80::42:aff:fe4d:114 STALE',
    ]);
    expect(later[0]?.lladdr).toBeUndefined();
    expect(later[4]).toEqual({
      family: 6,
      address: 'fe80::42:aff:fe4d:114',
      dev: 'eth0',
      lladdr: '02:42:0a:4d:01:14',
      state: 'STALE',
      router: false,
    });
  });

  it('reads the router flag of an IPv6 neighbour and skips what is not an entry', () => {
    expect(parseIpNeigh('fe80::1 dev eth1 lladdr 02:42:AC:11:00:02 router REACHABLE\n\nDevice "eth9" does not exist.\n')).toEqual([
      { family: 6, address: 'fe80::1', dev: 'eth1', lladdr: '02:42:ac:11:00:02', state: 'REACHABLE', router: true },
    ]);
  });
});
