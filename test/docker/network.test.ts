import { mkdtempSync, cpSync, writeFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { listHostRules } from '../../src/runtime/docker/host-rules.js';
import { labImageTag } from '../../src/runtime/lab-image.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const ROUTED = join(ROOT, 'test/fixtures/labs/routed');
const IMPAIRED = join(ROOT, 'test/fixtures/labs/impaired');
const a = uniqueInstance('ra');
const b = uniqueInstance('rb');
const imp = uniqueInstance('im');
const other = uniqueInstance('ot');

async function sh(container: string, script: string, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  const r = await runtime.exec(container, ['sh', '-c', script], { timeoutMs });
  return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

/** Share of pings lost, from ping's summary line. */
function lossOf(out: string): number {
  const m = /(\d+(?:\.\d+)?)% packet loss/.exec(out);
  if (!m) throw new Error(`no ping summary in: ${out}`);
  return Number(m[1]);
}

async function addresses(container: string): Promise<{ v4: string; v6: string }> {
  const info = await runtime.docker.getContainer(container).inspect();
  const nets = Object.values(info.NetworkSettings.Networks);
  return { v4: nets[0]?.IPAddress ?? '', v6: nets[0]?.GlobalIPv6Address ?? '' };
}

describe('routers, dual stack and isolation on a real engine', () => {
  beforeAll(async () => {
    const ups = await Promise.all([
      lab(['up', ROUTED, '--instance', a]),
      lab(['up', ROUTED, '--instance', b]),
      lab(['up', 'tcp-handshake', '--instance', other]),
    ]);
    for (const r of ups) expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  afterAll(async () => {
    await Promise.all([
      removeInstance(runtime, 'routed', a),
      removeInstance(runtime, 'routed', b),
      removeInstance(runtime, 'tcp-handshake', other),
    ]);
  });

  it('carries IPv4 and IPv6 pings and a TCP exchange from one network to the other through the router', async () => {
    const server = await addresses(`tl-routed-${a}-server`);
    expect(server.v4).toMatch(/^10\.\d+\.\d+\.10$/);
    expect(server.v6).toMatch(/^fd70:b1ab:c0de:[0-9a-f]+::10$/);
    const client = `tl-routed-${a}-client`;
    expect(lossOf((await sh(client, `ping -c 3 -W 2 ${server.v4}`)).out)).toBe(0);
    expect(lossOf((await sh(client, `ping -6 -c 3 -W 2 ${server.v6}`)).out)).toBe(0);
    const echo = await sh(client, `echo hello | nc -N -w 3 ${server.v6} 9000`);
    expect(echo.out.trim()).toBe('hello');
    // The right network's MTU (1400) is on the server's interface.
    expect((await sh(`tl-routed-${a}-server`, 'ip -o link show')).out).toMatch(/eth\d+@\S+ <[^>]*> mtu 1400 /);
    // The path really goes through the router: one hop less on the TTL.
    expect((await sh(client, `ping -c 1 -W 2 ${server.v4}`)).out).toMatch(/ttl=63/);
  });

  // How the helper's output is read (docker-modem's demultiplexer) is also unit-tested: test/unit/runtime/docker/exec-stream.test.ts;
  // when deploy adds and takes away the rules: test/unit/deploy/deploy-rollback.test.ts. Here: the host's real filter.
  it('keeps the host rules to lab bridges, each added once', async () => {
    const rules = await listHostRules(runtime.docker, labImageTag());
    expect(rules.filter((r) => r.includes('DOCKER-USER') && r.includes('physdev-is-bridged'))).toHaveLength(1);
    expect(rules.filter((r) => r.includes('DOCKER-ISOLATION-STAGE-1') && r.includes('physdev-is-bridged'))).toHaveLength(1);
    for (const r of rules) expect(r).toMatch(/tl-\+|TOPLAB-ISOLATION/);
  });

  it('does not let one instance, another lab, or the host be reached', async () => {
    const otherServer = await addresses(`tl-routed-${b}-server`);
    const otherLab = await addresses(`tl-tcp-handshake-${other}-server`);
    const host = hostAddresses();
    expect(host.length).toBeGreaterThan(0);
    const gateway6 = (await addresses(`tl-routed-${a}-client`)).v6.replace(/::20$/, '::1');
    const tries = [`tl-routed-${a}-client`, `tl-routed-${a}-router`].flatMap((from) => [
      ...[otherServer.v4, otherLab.v4, ...host].map((target) => ({ from, target, cmd: `ping -c 2 -W 1 ${target}` })),
      ...[otherServer.v6, gateway6].map((target) => ({ from, target, cmd: `ping -6 -c 2 -W 1 ${target}` })),
    ]);
    const results = await Promise.all(tries.map(async (t) => ({ ...t, r: await sh(t.from, t.cmd) })));
    for (const { from, target, r } of results) expect(r.code, `${from} -> ${target}: ${r.out}`).not.toBe(0);
    // And the same pings inside the instance do arrive, so the failures above are isolation, not a broken ping.
    const own = await addresses(`tl-routed-${a}-server`);
    expect((await sh(`tl-routed-${a}-client`, `ping -c 1 -W 2 ${own.v4}`)).code).toBe(0);
  });
});

/** The engine host's own IPv4 addresses (the engine is local in these tests): its main interface and docker0. */
function hostAddresses(): string[] {
  return Object.entries(networkInterfaces())
    .filter(([name]) => !name.startsWith('tl-') && name !== 'lo')
    .flatMap(([, list]) => (list ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => i.address));
}

describe('link impairments on a real engine', () => {
  beforeAll(async () => {
    const r = await lab(['up', IMPAIRED, '--instance', imp]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  afterAll(async () => {
    await removeInstance(runtime, 'impaired', imp);
  });

  it('loses about 30% of the pings that leave the lossy node', async () => {
    const plain = await addresses(`tl-impaired-${imp}-plain`);
    // From the node's observer (root with NET_RAW), so the interval can be short; same namespace, same rules.
    const r = await sh(`tl-impaired-${imp}-lossy-observer`, `ping -c 300 -i 0.01 -W 1 -q ${plain.v4}`);
    const loss = lossOf(r.out);
    // 300 pings at p=0.3: the standard deviation is 2.6 points; these bounds are over 5 of them away.
    expect(loss).toBeGreaterThan(16);
    expect(loss).toBeLessThan(44);
    const clean = await sh(`tl-impaired-${imp}-plain`, `ping -c 20 -i 0.2 -W 1 -q ${plain.v4.replace(/\.30$/, '.20')}`);
    expect(lossOf(clean.out)).toBe(0);
  });

  it('limits what leaves the slow node to 1 Mbit/s', async () => {
    const plain = await addresses(`tl-impaired-${imp}-plain`);
    const send = (node: string): Promise<{ code: number | null; out: string }> =>
      sh(
        `tl-impaired-${imp}-${node}`,
        `s=$(date +%s%N); head -c 250000 /dev/zero | nc -N -w 10 ${plain.v4} 9100; e=$(date +%s%N); echo ms=$(( (e - s) / 1000000 ))`,
      );
    const slow = await send('slow');
    const fast = await send('plain');
    const ms = (r: { out: string }): number => Number(/ms=(\d+)/.exec(r.out)?.[1]);
    expect(slow.out).toContain('250000');
    expect(fast.out).toContain('250000');
    // 250 000 bytes are 2 Mbit: about 2 s at 1 Mbit/s; the same transfer unimpaired takes milliseconds on a
    // quiet machine. Compared with each other, so a loaded machine slows both and not the verdict.
    expect(ms(slow)).toBeGreaterThan(1600);
    expect(ms(slow) - ms(fast)).toBeGreaterThan(1200);
  });
});

describe('delay on a kernel without netem', () => {
  const inst = uniqueInstance('dl');
  let dir = '';
  afterAll(async () => {
    await removeInstance(runtime, 'delayed', inst);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says plainly that the kernel has no netem, and leaves nothing behind (or shows the delay where netem exists)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'toplab-delayed-'));
    const labDir = join(dir, 'delayed');
    cpSync(IMPAIRED, labDir, { recursive: true });
    writeFileSync(
      join(labDir, 'lab.yaml'),
      `name: delayed
title: A delayed link
networks:
  lan: { subnet: 10.0.6.0/24 }
nodes:
  far: { interfaces: { lan: { ipv4: 10.0.6.10, impair: { delay: 100ms, jitter: 10ms } } } }
  plain: { interfaces: { lan: 10.0.6.30 } }
programs:
  sink: { node: plain, source: sink.ts }
exercise:
  - start: sink
    ready: { tcp: 9100 }
checks:
  - { id: listen, points: 1, socket: { node: plain, tcp: 9100, state: LISTEN } }
`,
    );
    const r = await lab(['up', labDir, '--instance', inst]);
    if (r.code === 0) {
      // This kernel has netem: the delay must show in the round trip.
      const plain = await addresses(`tl-delayed-${inst}-plain`);
      expect((await sh(`tl-delayed-${inst}-far`, `ping -c 3 -W 2 ${plain.v4}`)).out).toMatch(/time=(9\d|1\d\d)/);
      return;
    }
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('this kernel has no netem (sch_netem)');
    expect(r.stderr).toContain('delay and jitter cannot be emulated here');
    expect(await runtime.listContainers(labelFilter('delayed', inst))).toEqual([]);
    expect(await runtime.listNetworks(labelFilter('delayed', inst))).toEqual([]);
  });
});
