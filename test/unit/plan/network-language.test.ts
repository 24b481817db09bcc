import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/errors.js';
import { loadLab } from '../../../src/lab/load.js';
import { formatIp6, parseCidr6, parseIp6, translate6 } from '../../../src/util/address.js';
import { impairmentCommands, netemFromProbe } from '../../../src/plan/impair.js';
import { parseDuration, parseRate } from '../../../src/lab/impairment.js';
import { nodeNetworkCommands, parseIpAddr } from '../../../src/plan/network-commands.js';
import { allocateSubnet6, planLab, subnetPools, translateDestination } from '../../../src/plan/plan.js';
import { describePlan } from '../../../src/plan/describe.js';
import { addRulesArgs, hostRules, removeRulesArgs } from '../../../src/runtime/docker/host-rules.js';
import { ROOT } from '../../helpers/cli.js';

const routed = loadLab(join(ROOT, 'test/fixtures/labs/routed'));
const impaired = loadLab(join(ROOT, 'test/fixtures/labs/impaired'));

describe('IPv6 addresses', () => {
  it('parses and prints addresses canonically', () => {
    expect(formatIp6(parseIp6('fd00:0:0:1:0:0:0:10')!)).toBe('fd00:0:0:1::10');
    // An IPv4-mapped address in RFC 5952 §5's mixed form, as the pcap decoder and tools print it.
    expect(formatIp6(parseIp6('::ffff:10.0.0.1')!)).toBe('::ffff:10.0.0.1');
    expect(formatIp6(parseIp6('::')!)).toBe('::');
    expect(formatIp6(parseIp6('1:0:0:2:0:0:0:3')!)).toBe('1:0:0:2::3');
    for (const bad of ['1::2::3', 'gg::1', '1:2:3:4:5:6:7:8:9', '', ':::']) expect(parseIp6(bad), bad).toBeUndefined();
  });

  it('keeps the host part when moving an address to another subnet', () => {
    expect(translate6('fd00:0:0:1::10', 'fd00:0:0:1::/64', 'fd70:b1ab:c0de:42::/64')).toBe('fd70:b1ab:c0de:42::10');
    expect(parseCidr6('fd00::1/64')?.start).toBe(parseIp6('fd00::'));
  });

  it('allocates /64s from the pool, clear of those in use', () => {
    const first = allocateSubnet6('fd00:0:0:1::/64', [], 'fd70:b1ab:c0de::/48', 'k', 0);
    expect(first).toMatch(/^fd70:b1ab:c0de:[0-9a-f]{0,4}::\/64$/);
    const second = allocateSubnet6('fd00:0:0:1::/64', [first], 'fd70:b1ab:c0de::/48', 'k', 0);
    expect(second).not.toBe(first);
    expect(() => allocateSubnet6('fd00::/64', ['fd70::/16'], 'fd70:b1ab:c0de::/48', 'k', 0)).toThrow(/no free \/64/);
  });
});

describe('plans with routers, IPv6 and routes', () => {
  const plan = planLab(routed, { instance: 'x', image: 'img', usedSubnets: [] });
  const node = (name: string) => plan.nodes.find((n) => n.name === name)!;

  it('moves gateways and next hops with their networks, keeping host parts', () => {
    const left = plan.networks.find((n) => n.name === 'left')!;
    const right = plan.networks.find((n) => n.name === 'right')!;
    expect(left.subnet6).toMatch(/::\/64$/);
    expect(node('client').gateway).toBe(left.subnet.replace(/0\/24$/, '2'));
    expect(node('client').gateway6).toBe(left.subnet6!.replace(/::\/64$/, '::2'));
    expect(node('server').routes).toEqual([
      { to: left.subnet, via: right.subnet.replace(/0\/24$/, '2'), family: 4 },
      { to: left.subnet6, via: right.subnet6!.replace(/::\/64$/, '::2'), family: 6 },
    ]);
    expect(node('client').interfaces[0]).toMatchObject({
      declared: '10.0.1.20',
      declared6: 'fd00:0:0:1::20',
      address6: left.subnet6!.replace(/::\/64$/, '::20'),
    });
  });

  it('turns forwarding on for routers only, and asks for the host rules it needs', () => {
    expect(node('router').sysctls).toEqual({ 'net.ipv4.ip_forward': '1', 'net.ipv6.conf.all.forwarding': '1' });
    expect(node('router').router).toBe(true);
    expect(node('client').sysctls).toEqual({});
    expect(plan.hostRules).toEqual({ bridgedForwarding: true, ipv6Isolation: true });
    const plain = planLab(loadLab('tcp-handshake'), { instance: 'x', image: 'img' });
    expect(plain.hostRules).toEqual({ bridgedForwarding: false, ipv6Isolation: false });
  });

  it('splits a route over several lab networks into one per network, and leaves others alone', () => {
    const nets = plan.networks;
    expect(translateDestination('10.0.0.0/16', nets).sort()).toEqual(nets.map((n) => n.subnet).sort());
    expect(translateDestination('10.0.1.128/25', nets)).toEqual([nets[0]!.subnet.replace(/0\/24$/, '128/25')]);
    expect(translateDestination('192.168.77.0/24', nets)).toEqual(['192.168.77.0/24']);
  });

  it('prints a dry-run plan naming subnets, addresses, routes, sysctls and host rules', () => {
    const text = describePlan(plan);
    expect(text).toContain('router       container tl-routed-x-router, router');
    expect(text).toMatch(/route 10\.\d+\.\d+\.0\/24 via 10\.\d+\.\d+\.2/);
    expect(text).toContain('sysctls net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1');
    expect(text).toContain('DOCKER-USER');
  });

  it('reads the subnet pools from the environment and refuses bad ones', () => {
    expect(subnetPools({})).toEqual({ pool: '10.128.0.0/9', pool6: 'fd70:b1ab:c0de::/48' });
    expect(subnetPools({ TOPLAB_SUBNET_POOL: '10.64.0.0/16' }).pool).toBe('10.64.0.0/16');
    expect(() => subnetPools({ TOPLAB_SUBNET_POOL: '10.64.0.0/28' })).toThrow(/not an IPv4 subnet of \/24 or larger/);
    expect(() => subnetPools({ TOPLAB_SUBNET_POOL6: 'nope' })).toThrow(/IPv6 subnet pool/);
    const p = planLab(loadLab('tcp-handshake'), { instance: 'p', image: 'i', pool: '10.64.0.0/16' });
    expect(p.networks[0]!.subnet).toMatch(/^10\.64\.\d+\.0\/24$/);
  });
});

describe('impairments as commands', () => {
  it('reads durations and rates as tc does', () => {
    expect(parseDuration('50ms')).toBe(50);
    expect(parseDuration('500us')).toBe(0.5);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseRate('512kbit')).toBe(512_000);
    expect(parseRate('1mbit')).toBe(1_000_000);
  });

  it('limits the rate with tbf at the root when there is no netem', () => {
    expect(impairmentCommands('eth1', { rate: '1mbit' }, { netem: false })).toEqual({
      commands: [
        ['tc', 'qdisc', 'replace', 'dev', 'eth1', 'root', 'handle', '1:', 'tbf', 'rate', '1mbit', 'burst', '1600', 'latency', '400ms'],
      ],
    });
    expect(impairmentCommands('eth0', { rate: '100mbit' }, { netem: false }).commands[0]).toContain('125000');
  });

  it('drops packets with iptables statistic when there is no netem, for IPv6 too when the interface has it', () => {
    const r = impairmentCommands('eth0', { loss: '30%' }, { netem: false }, { ipv6: true });
    expect(r.commands).toEqual(
      ['iptables', 'ip6tables'].flatMap((tool) =>
        ['OUTPUT', 'FORWARD'].map((chain) => [
          tool,
          '-w',
          '-A',
          chain,
          '-o',
          'eth0',
          '-m',
          'statistic',
          '--mode',
          'random',
          '--probability',
          '0.3000',
          '-m',
          'comment',
          '--comment',
          'toplab-impair',
          '-j',
          'DROP',
        ]),
      ),
    );
  });

  it('uses one netem qdisc for delay, jitter and loss, with tbf under it for a rate', () => {
    expect(impairmentCommands('eth0', { delay: '50ms', jitter: '10ms', loss: '5%', rate: '2mbit' }, { netem: true }).commands).toEqual([
      ['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'handle', '1:', 'netem', 'delay', '50ms', '10ms', 'loss', '5%'],
      ['tc', 'qdisc', 'add', 'dev', 'eth0', 'parent', '1:1', 'handle', '10:', 'tbf', 'rate', '2mbit', 'burst', '2500', 'latency', '400ms'],
    ]);
  });

  it('says plainly that delay needs netem, and runs nothing then', () => {
    const r = impairmentCommands('eth0', { delay: '50ms', rate: '1mbit' }, { netem: false });
    expect(r.commands).toEqual([]);
    expect(r.unsupported).toMatch(/^this kernel has no netem \(sch_netem\): delay and jitter cannot be emulated here/);
  });

  it('tells from the probe whether the kernel has netem', () => {
    expect(netemFromProbe(0, '')).toBe(true);
    expect(netemFromProbe(2, 'Error: Specified qdisc kind is unknown.\n')).toBe(false);
    expect(() => netemFromProbe(2, 'RTNETLINK answers: Operation not permitted')).toThrow(/could not tell/);
    expect(() => netemFromProbe(2, 'RTNETLINK answers: Operation not permitted')).toThrow(EngineError);
  });
});

describe('node network commands', () => {
  const ipAddr = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
52: eth1@if53    inet 10.200.1.10/24 brd 10.200.1.255 scope global eth1\\       valid_lft forever preferred_lft forever
50: eth0@if51    inet 10.200.2.10/24 brd 10.200.2.255 scope global eth0\\       valid_lft forever preferred_lft forever
52: eth1@if53    inet6 fd70:b1ab:c0de:0001:0:0:0:10/64 scope global nodad \\       valid_lft forever preferred_lft forever
`;

  it('finds interfaces by address (Docker does not promise which network is eth0)', () => {
    const m = parseIpAddr(ipAddr);
    expect(m.get('10.200.1.10')).toBe('eth1');
    expect(m.get('10.200.2.10')).toBe('eth0');
    expect(m.get('fd70:b1ab:c0de:1::10')).toBe('eth1');
  });

  it('sets gateways and routes, then impairs the right interface', () => {
    const plan = planLab(impaired, { instance: 'x', image: 'i' });
    const lossy = plan.nodes.find((n) => n.name === 'lossy')!;
    const devices = new Map([[lossy.interfaces[0]!.address, 'eth3']]);
    const r = nodeNetworkCommands({ ...lossy, gateway: '10.9.9.2', routes: [{ to: 'fd00::/64', via: 'fd01::1', family: 6 }] }, devices, {
      netem: false,
    });
    expect(r.problems).toEqual([]);
    expect(r.commands.slice(0, 2)).toEqual([
      ['ip', 'route', 'replace', 'default', 'via', '10.9.9.2'],
      ['ip', '-6', 'route', 'replace', 'fd00::/64', 'via', 'fd01::1'],
    ]);
    expect(r.commands[2]).toContain('eth3');
    expect(nodeNetworkCommands(lossy, new Map(), { netem: false }).problems[0]).toMatch(/has no interface with the address/);
  });
});

describe('host rules for lab bridges', () => {
  /**
   * Runs src/sh/host-rules.sh with stand-ins for iptables-nft and ip6tables-nft that log each call: DOCKER-USER
   * exists, no rule is there yet (`-C` and `-D` fail), and every other call succeeds.
   */
  function hostRulesCalls(args: string[]): string[] {
    const bin = mkdtempSync(join(tmpdir(), 'toplab-host-rules-'));
    try {
      const log = join(bin, 'calls');
      for (const tool of ['iptables-nft', 'ip6tables-nft']) {
        writeFileSync(
          join(bin, tool),
          `#!/bin/sh\necho "${tool} $*" >>${log}\ncase "$*" in *" -C "*|*" -D "*[!0-9]) exit 1 ;; *" -D "*) exit 0 ;; "-w -S "*) echo "-N x" ;; esac\nexit 0\n`,
          { mode: 0o755 },
        );
      }
      execFileSync('sh', ['-c', readFileSync(join(ROOT, 'src/sh/host-rules.sh'), 'utf8'), 'host-rules', ...args], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      });
      return readFileSync(log, 'utf8').trim().split('\n');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }

  it('adds only what a plan needs, each rule checked before it is inserted', () => {
    expect(hostRules({ bridgedForwarding: false, ipv6Isolation: false })).toEqual([]);
    const accept = '-m physdev --physdev-is-bridged -i tl-+ -o tl-+ -m comment --comment toplab -j ACCEPT';
    const calls = hostRulesCalls(addRulesArgs({ bridgedForwarding: true, ipv6Isolation: false }));
    expect(calls).toContain(`iptables-nft -w -C DOCKER-USER ${accept}`);
    expect(calls).toContain(`iptables-nft -w -I DOCKER-USER 1 ${accept}`);
    expect(calls.some((c) => c.startsWith('ip6tables'))).toBe(false);
    // The same accept on top of Docker's isolation chain (Docker briefly unhooks DOCKER-USER when it creates
    // a network), moved back to the top when it is not, with lower copies looked for to be deleted.
    expect(calls).toContain('iptables-nft -w -S DOCKER-ISOLATION-STAGE-1');
    expect(calls).toContain(`iptables-nft -w -I DOCKER-ISOLATION-STAGE-1 1 ${accept}`);
    expect(calls).toContain('iptables-nft -w -L DOCKER-ISOLATION-STAGE-1 -n --line-numbers');
    const v6 = hostRulesCalls(addRulesArgs({ bridgedForwarding: false, ipv6Isolation: true }));
    expect(v6).toContain('ip6tables-nft -w -S TOPLAB-ISOLATION');
    expect(v6).toContain('ip6tables-nft -w -C FORWARD -m comment --comment toplab -j TOPLAB-ISOLATION');
    expect(v6).toContain('ip6tables-nft -w -I FORWARD 1 -m comment --comment toplab -j TOPLAB-ISOLATION');
    expect(v6).toContain('ip6tables-nft -w -A TOPLAB-ISOLATION -i tl-+ -m comment --comment toplab -j DROP');
    // Every rule names lab bridges or our own chain: nothing else on the host is touched.
    for (const r of hostRules({ bridgedForwarding: true, ipv6Isolation: true }))
      expect(r.spec.join(' ')).toMatch(/tl-\+|TOPLAB-ISOLATION|physdev-is-bridged/);
  });

  it('removes exactly what it adds, in reverse order', () => {
    const needs = { bridgedForwarding: true, ipv6Isolation: true };
    const calls = hostRulesCalls(removeRulesArgs(needs));
    const deletes = calls.filter((c) => / -D /.test(c));
    expect(deletes).toEqual(
      hostRules(needs)
        .reverse()
        .map((r) => `${r.table === 'ip' ? 'iptables' : 'ip6tables'}-nft -w -D ${r.chain} ${r.spec.join(' ')}`),
    );
    expect(deletes[0]).toContain('INPUT');
    expect(calls).toContain('ip6tables-nft -w -X TOPLAB-ISOLATION');
  });
});
