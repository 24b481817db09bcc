// deploy() against the in-memory engine: what it creates, with which labels, and what a failure part-way
// leaves (nothing of this instance, and everything of anyone else's). The same logic against a real engine:
// test/docker/reliability.test.ts and test/docker/network.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploy } from '../../../src/deploy/up.js';
import { EngineError, InterruptedError } from '../../../src/errors.js';
import { loadLab } from '../../../src/lab/load.js';
import { LABEL } from '../../../src/plan/labels.js';
import { engineError, MemoryRuntime, networkSetupRules } from '../../fakes/memory-runtime.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'labs');
const basic = loadLab(join(fixtures, 'tcp-handshake-basic'));
const routed = loadLab(join(fixtures, 'routed'));
const IMAGE = 'toplab/lab:test';
const programs = [{ name: 'server', code: 'console.log(1)', hash: 'h1' }];

/** Something of someone else's on the same engine: another instance of the lab, and a container toplab did not make. */
async function neighbours(engine: MemoryRuntime): Promise<{ containers: string[]; networks: string[] }> {
  await deploy(basic, { runtime: engine, instance: 'other', image: IMAGE, programs: [] });
  await engine.createNetwork({ name: 'someone-elses', subnet: '192.168.77.0/24', bridge: 'br-x', labels: { 'com.example': 'x' } });
  await engine.createContainer({
    name: 'someone-elses-db',
    hostname: 'db',
    image: 'postgres',
    labels: {},
    networks: [{ name: 'someone-elses', address: '192.168.77.5', aliases: [] }],
  });
  return engine.leftovers();
}

describe('deploy', () => {
  it('with fresh, takes the lock first, then asks for the second look and the subnets in use in one round', async () => {
    const engine = new MemoryRuntime();
    engine.fail({ method: 'listContainers', from: 1, hang: true }).fail({ method: 'listNetworks', from: 1, hang: true });
    const up = deploy(basic, { runtime: engine, instance: 'fr1', image: IMAGE, programs, purpose: 'grading', fresh: true });
    await new Promise((r) => setTimeout(r, 20));
    // Nothing listed before the lock (the caller has just looked); the look after it and the subnets together.
    expect(engine.methods()).toEqual(['createPlaceholder', 'usedSubnets', 'listContainers', 'listNetworks', 'listContainers']);
    engine.heal().release();
    expect((await up).alreadyUp).toBe(false);
    expect(engine.leftovers().containers).toEqual(['tl-tcp-handshake-basic-fr1-client', 'tl-tcp-handshake-basic-fr1-server']);
  });

  it('with fresh, still finds an instance another command finished meanwhile, and changes nothing of it', async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'fr2', image: IMAGE, programs: [] });
    const ids = [...engine.containers.keys()].sort();
    const up = await deploy(basic, { runtime: engine, instance: 'fr2', image: IMAGE, programs: [], fresh: true });
    expect(up.alreadyUp).toBe(true);
    expect([...engine.containers.keys()].sort()).toEqual(ids);
  });

  it("creates the plan's networks and containers, all labelled with the instance and its owner, and releases its lock", async () => {
    const engine = new MemoryRuntime({ foreignSubnets: ['172.17.0.0/16'] });
    const up = await deploy(basic, { runtime: engine, instance: 'fk1', image: IMAGE, programs, command: 'check', purpose: 'grading' });
    expect(up.alreadyUp).toBe(false);
    expect(engine.leftovers()).toEqual({
      containers: ['tl-tcp-handshake-basic-fk1-client', 'tl-tcp-handshake-basic-fk1-server'],
      networks: ['tl-tcp-handshake-basic-fk1-lan'],
    });
    for (const r of [...engine.containers.values(), ...engine.networks.values()]) {
      expect(r.labels).toMatchObject({
        [LABEL.managed]: 'true',
        [LABEL.lab]: 'tcp-handshake-basic',
        [LABEL.instance]: 'fk1',
        [LABEL.ownerCommand]: 'check',
        [LABEL.ownerPid]: String(process.pid),
        [LABEL.purpose]: 'grading',
      });
      expect(r.labels[LABEL.leaseUntil]).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    // Addresses as planned, the program only in its own node, the lock made first and gone at the end.
    const server = engine.find('tl-tcp-handshake-basic-fk1-server');
    const net = [...engine.networks.values()][0];
    expect(server?.labels[LABEL.node]).toBe('server');
    expect([...(server?.networks.keys() ?? [])]).toEqual([net?.name]);
    expect(up.running.plan.nodes.find((n) => n.name === 'server')?.interfaces[0]?.address).toBe(
      server?.networks.get(net?.name ?? '')?.address,
    );
    expect([...(server?.files.keys() ?? [])]).toEqual(['/opt/toplab/programs/server.mjs']);
    expect(engine.find('tl-tcp-handshake-basic-fk1-client')?.files.size).toBe(0);
    expect(engine.methods().indexOf('createPlaceholder')).toBeLessThan(engine.methods().indexOf('createNetwork'));
    expect(engine.callsOf('removeContainers').at(-1)).toEqual([['tl-lock.tcp-handshake-basic.fk1']]);
    expect([...up.running.containers.keys()].sort()).toEqual(['client', 'server']);
  });

  it("a user's lab has no lease; deploying it again finds it up and creates nothing", async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'fk2', image: IMAGE, programs: [] });
    expect(engine.find('tl-tcp-handshake-basic-fk2-server')?.labels[LABEL.leaseUntil]).toBeUndefined();
    const creates = engine.callsOf('createContainer').length;
    const again = await deploy(basic, { runtime: engine, instance: 'fk2', image: IMAGE, programs: [] });
    expect(again.alreadyUp).toBe(true);
    expect(engine.callsOf('createContainer').length).toBe(creates);
    expect(engine.callsOf('createPlaceholder').length).toBe(1);
  });

  it('a subnet another network holds is skipped: the instance gets the next free one', async () => {
    const first = new MemoryRuntime();
    await deploy(basic, { runtime: first, instance: 'fk3', image: IMAGE, programs: [] });
    const taken = [...first.networks.values()][0]?.subnet ?? '';
    const engine = new MemoryRuntime({ foreignSubnets: [taken] });
    await deploy(basic, { runtime: engine, instance: 'fk3', image: IMAGE, programs: [] });
    const got = [...engine.networks.values()][0]?.subnet;
    expect(got).toMatch(/^\d+\.\d+\.\d+\.0\/24$/);
    expect(got).not.toBe(taken);
  });

  it('a subnet lost to a race (the engine refuses it as overlapping) is planned again, and what the failed attempt made is removed', async () => {
    const engine = new MemoryRuntime().fail({
      method: 'createNetwork',
      call: 1,
      error: engineError(403, 'Pool overlaps with other one on this address space'),
    });
    engine.script(...networkSetupRules(engine));
    const up = await deploy(routed, { runtime: engine, instance: 'fk4', image: IMAGE, programs: [] });
    // routed has two networks: the first attempt's other one was made, and is gone before the second attempt.
    const names = engine.callsOf('createNetwork').map(([spec]) => (spec as { name: string }).name);
    expect(names).toHaveLength(4);
    expect(names.slice(0, 2).sort()).toEqual(names.slice(2).sort());
    expect(engine.leftovers().networks).toEqual(['tl-routed-fk4-left', 'tl-routed-fk4-right']);
    expect(up.running.containers.size).toBe(3);
    // The router lab needs the host rules, and the nodes got their routes from their observers.
    expect(engine.hostRules.bridgedForwarding).toBe(true);
    expect(
      engine
        .execs()
        .filter((c) => c.slice(0, 3).join(' ') === 'ip route replace')
        .map((c) => c[3]),
    ).toEqual(['default', expect.stringMatching(/^10\.\d+\.\d+\.0\/24$/)]);
    expect(engine.unmatched).toEqual([]);
  });

  it("createContainer failing on its 2nd call: the instance is removed, exactly what was made, and nobody else's", async () => {
    const engine = new MemoryRuntime();
    const before = await neighbours(engine);
    const calls = engine.calls.length;
    engine.fail({
      method: 'createContainer',
      call: engine.callsOf('createContainer').length + 2,
      error: engineError(500, 'no space left on device'),
    });
    const e = await deploy(basic, { runtime: engine, instance: 'fk5', image: IMAGE, programs }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect((e as Error).message).toBe('could not create tcp-handshake-basic/fk5: (HTTP code 500) no space left on device');
    expect(engine.leftovers()).toEqual(before);
    // What it removed: the one container it made, then its network, then its lock; nothing else was touched.
    const mine = engine.calls.slice(calls);
    const created = mine.filter((c) => c.method === 'createContainer').length;
    expect(created).toBe(2);
    const removedContainers = mine.filter((c) => c.method === 'removeContainers').flatMap((c) => c.args[0] as string[]);
    const removedNetworks = mine.filter((c) => c.method === 'removeNetworks').flatMap((c) => c.args[0] as string[]);
    expect(removedContainers).toHaveLength(2);
    expect(removedContainers.at(-1)).toBe('tl-lock.tcp-handshake-basic.fk5');
    expect(removedNetworks).toHaveLength(1);
    expect(mine.findIndex((c) => c.method === 'removeNetworks')).toBeGreaterThan(mine.findIndex((c) => c.method === 'removeContainers'));
  });

  it("an engine failure on a network, on the host rules, or in a node's network setup: nothing of the instance is left", async () => {
    const cases: [string, (e: MemoryRuntime) => void, string][] = [
      [
        'createNetwork',
        (e) => e.fail({ method: 'createNetwork', call: 2, error: engineError(500, 'bridge busy') }),
        'could not create routed/fk6: (HTTP code 500) bridge busy',
      ],
      [
        'ensureHostRules',
        (e) =>
          e.fail({
            method: 'ensureHostRules',
            error: new EngineError("could not set the host's packet filter for lab bridges (exit 4): denied"),
          }),
        "could not set the host's packet filter for lab bridges (exit 4): denied",
      ],
      [
        'network setup',
        (e) =>
          e.script({ match: /^ip route replace default/, reply: { exitCode: 2, stderr: 'RTNETLINK answers: Operation not permitted' } }),
        '',
      ],
    ];
    for (const [what, inject, message] of cases) {
      const engine = new MemoryRuntime();
      inject(engine);
      engine.script(...networkSetupRules(engine));
      const e = await deploy(routed, { runtime: engine, instance: 'fk6', image: IMAGE, programs: [] }).catch((x: unknown) => x);
      expect(e, what).toBeInstanceOf(EngineError);
      expect((e as Error).message, what).toEqual(
        message ||
          expect.stringMatching(
            /^`ip route replace default via 10\.\d+\.\d+\.2` failed in node (client|server): RTNETLINK answers: Operation not permitted$/,
          ),
      );
      // Observers made for the network setup go too.
      expect(engine.leftovers(), what).toEqual({ containers: [], networks: [] });
      expect(engine.hostRules, what).toEqual({ bridgedForwarding: false, ipv6Isolation: false });
    }
  });

  it('a failure while the host rules are still being added: the rules are not left behind once the instance is gone', async () => {
    const engine = new MemoryRuntime()
      .fail({ method: 'ensureHostRules', hang: true })
      .fail({ method: 'createContainer', call: 1, error: engineError(500, 'no space left on device') });
    engine.script(...networkSetupRules(engine));
    const up = deploy(routed, { runtime: engine, instance: 'fk9', image: IMAGE, programs: [] });
    up.catch(() => undefined);
    // The rules' helper takes its time (it is a container of its own on a real engine), then finishes.
    await new Promise((r) => setTimeout(r, 50));
    engine.release();
    await expect(up).rejects.toThrow('could not create routed/fk9: (HTTP code 500) no space left on device');
    await new Promise((r) => setTimeout(r, 20));
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
    expect(engine.hostRules).toEqual({ bridgedForwarding: false, ipv6Isolation: false });
  });

  it('a failure leaves the host rules in place while another instance still needs them', async () => {
    const engine = new MemoryRuntime();
    engine.script(...networkSetupRules(engine));
    await deploy(routed, { runtime: engine, instance: 'fk10', image: IMAGE, programs: [] });
    engine.fail({ method: 'createContainer', from: 1, error: engineError(500, 'no space left on device') });
    await expect(deploy(routed, { runtime: engine, instance: 'fk11', image: IMAGE, programs: [] })).rejects.toBeInstanceOf(EngineError);
    expect(engine.hostRules.bridgedForwarding).toBe(true);
    expect(engine.leftovers().networks).toEqual(['tl-routed-fk10-left', 'tl-routed-fk10-right']);
  });

  it('interrupted while containers are being created: it waits for them, removes everything, and says interrupted', async () => {
    const engine = new MemoryRuntime({ createMs: 60 });
    const controller = new AbortController();
    const up = deploy(basic, {
      runtime: engine,
      instance: 'fk7',
      image: IMAGE,
      programs: [],
      signal: controller.signal,
      onContainer: () => controller.abort(new InterruptedError('SIGINT')),
    });
    await expect(up).rejects.toBeInstanceOf(InterruptedError);
    expect(engine.creating).toBe(0);
    expect(engine.leftovers()).toEqual({ containers: [], networks: [] });
  });

  it('an instance half made by an earlier run is removed and made again', async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'fk8', image: IMAGE, programs: [] });
    const old = engine.find('tl-tcp-handshake-basic-fk8-client')?.id ?? '';
    await engine.removeContainers([old]);
    const lines: string[] = [];
    const up = await deploy(basic, { runtime: engine, instance: 'fk8', image: IMAGE, programs: [], onProgress: (l) => lines.push(l) });
    expect(up.alreadyUp).toBe(false);
    expect(lines).toContain('removing a half-made instance tcp-handshake-basic/fk8 left from an earlier run');
    expect(engine.leftovers().containers).toEqual(['tl-tcp-handshake-basic-fk8-client', 'tl-tcp-handshake-basic-fk8-server']);
    expect(engine.find('tl-tcp-handshake-basic-fk8-client')?.id).not.toBe(old);
  });
});
