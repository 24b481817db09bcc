// What callers rely on from any Runtime, as test cases run against both the in-memory engine
// (test/unit/runtime/memory-runtime.test.ts) and DockerRuntime on a real engine (test/docker/runtime-contract.test.ts):
// the fake is only worth its tests while it answers as Docker does. The cases run in order, each on what the
// ones before it made.
import { expect, it } from 'vitest';
import { InstanceGoneError } from '../../src/errors.js';
import type { ContainerSpec, Runtime } from '../../src/runtime/runtime.js';

export interface ContractSetup {
  runtime: Runtime;
  /** A prefix for every name, unique to this run. */
  prefix: string;
  /** A label every object carries (`key=value`), unique to this run: what the tests list by and clean up by. */
  label: [string, string];
  /** Two free, non-overlapping /24 subnets, and one inside the first (/25). */
  subnets: [string, string, string];
  image: string;
}

/** The container spec the cases use: on `network` at `address`, labelled `role`. */
function node(s: ContractSetup, name: string, network: string, address: string, role: string): ContainerSpec {
  return {
    name: `${s.prefix}-${name}`,
    hostname: name,
    image: s.image,
    labels: { [s.label[0]]: s.label[1], 'contract.role': role },
    networks: [{ name: network, address, aliases: [name] }],
  };
}

const hostOf = (subnet: string, n: number): string => subnet.replace(/\.0\/\d+$/, `.${n}`);

/** Registers the contract's cases (vitest `it`s) in the calling describe block. */
export function runtimeContract(setup: () => ContractSetup): void {
  it('networks: created with their labels and subnet, found by label, a name or an overlapping subnet refused', async () => {
    const s = setup();
    const net = `${s.prefix}-a`;
    await s.runtime.createNetwork({
      name: net,
      subnet: s.subnets[0],
      bridge: `${s.prefix.slice(0, 8)}a`,
      labels: { [s.label[0]]: s.label[1] },
    });
    const listed = await s.runtime.listNetworks([`${s.label[0]}=${s.label[1]}`]);
    expect(listed.map((n) => [n.name, n.subnet, n.labels[s.label[0]]])).toEqual([[net, s.subnets[0], s.label[1]]]);
    expect(await s.runtime.usedSubnets()).toContain(s.subnets[0]);
    await expect(
      s.runtime.createNetwork({
        name: net,
        subnet: s.subnets[1],
        bridge: `${s.prefix.slice(0, 8)}b`,
        labels: { [s.label[0]]: s.label[1] },
      }),
    ).rejects.toMatchObject({ statusCode: 409 });
    await expect(
      s.runtime.createNetwork({
        name: `${s.prefix}-c`,
        subnet: s.subnets[2],
        bridge: `${s.prefix.slice(0, 8)}c`,
        labels: { [s.label[0]]: s.label[1] },
      }),
    ).rejects.toThrow(/overlap/i);
    expect((await s.runtime.listNetworks([`${s.label[0]}=${s.label[1]}`])).length).toBe(1);
  });

  it('containers: running, addressed and labelled as asked; a name in use refused; a network with a container on it not removable', async () => {
    const s = setup();
    const net = `${s.prefix}-a`;
    const id = await s.runtime.createContainer(node(s, 'one', net, hostOf(s.subnets[0], 10), 'node'));
    expect(id).toMatch(/^[0-9a-z]{64}$/);
    const [c] = await s.runtime.listContainers([`${s.label[0]}=${s.label[1]}`, 'contract.role=node']);
    expect([c?.id, c?.name, c?.running, c?.addresses?.[net]]).toEqual([id, `${s.prefix}-one`, true, hostOf(s.subnets[0], 10)]);
    expect(await s.runtime.listContainers([`${s.label[0]}=${s.label[1]}`, 'contract.role=other'])).toEqual([]);
    await expect(s.runtime.createContainer(node(s, 'one', net, hostOf(s.subnets[0], 11), 'node'))).rejects.toMatchObject({
      statusCode: 409,
    });
    const [n] = await s.runtime.listNetworks([`${s.label[0]}=${s.label[1]}`]);
    await expect(s.runtime.removeNetworks([n?.id ?? ''])).rejects.toThrow(/active endpoints/);
  });

  it('files copied in are read back byte for byte; a missing file reads as undefined', async () => {
    const s = setup();
    const [c] = await s.runtime.listContainers([`${s.label[0]}=${s.label[1]}`, 'contract.role=node']);
    const bytes = Buffer.from([0, 1, 2, 250, 251, 10]);
    await s.runtime.copyFiles(c?.id ?? '', '/tmp', [{ path: 'd/' }, { path: 'd/data.bin', content: bytes }]);
    expect(await s.runtime.readFile(c?.id ?? '', '/tmp/d/data.bin')).toEqual(bytes);
    expect(await s.runtime.readFile(c?.id ?? '', '/tmp/d/none')).toBeUndefined();
  });

  it('a lock: made once, refused while it exists, listed though never started, made again once removed', async () => {
    const s = setup();
    const name = `${s.prefix}-lock`;
    const labels = { [s.label[0]]: s.label[1], 'contract.role': 'lock' };
    expect(await s.runtime.createPlaceholder(name, s.image, labels)).toBe(true);
    expect(await s.runtime.createPlaceholder(name, s.image, labels)).toBe(false);
    const [lock] = await s.runtime.listContainers([`${s.label[0]}=${s.label[1]}`, 'contract.role=lock']);
    expect([lock?.name, lock?.running]).toEqual([name, false]);
    await s.runtime.removeContainers([name]);
    expect(await s.runtime.createPlaceholder(name, s.image, labels)).toBe(true);
    await s.runtime.removeContainers([name]);
  });

  it('removal: containers then networks, by id, each idempotent; an exec in a removed container is InstanceGoneError', async () => {
    const s = setup();
    const all = `${s.label[0]}=${s.label[1]}`;
    const containers = await s.runtime.listContainers([all]);
    await s.runtime.removeContainers(containers.map((c) => c.id));
    await s.runtime.removeContainers(containers.map((c) => c.id));
    await expect(s.runtime.exec(containers[0]?.id ?? '', ['true'])).rejects.toBeInstanceOf(InstanceGoneError);
    const networks = await s.runtime.listNetworks([all]);
    await s.runtime.removeNetworks(networks.map((n) => n.id));
    await s.runtime.removeNetworks(networks.map((n) => n.id));
    expect([await s.runtime.listContainers([all]), await s.runtime.listNetworks([all])]).toEqual([[], []]);
  });
}
