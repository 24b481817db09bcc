// The status and down use cases (src/app/status.ts, src/app/down.ts) against the in-memory engine: the data
// `lab status` and `lab down` print. The same commands on a real engine: test/docker/tcp-handshake.test.ts,
// test/docker/reliability.test.ts.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { downLab } from '../../../src/app/down.js';
import { labStatus } from '../../../src/app/status.js';
import { deploy } from '../../../src/deploy/up.js';
import { UsageError } from '../../../src/errors.js';
import { loadLab } from '../../../src/lab/load.js';
import { MemoryRuntime } from '../../fakes/memory-runtime.js';

const basic = loadLab(join(import.meta.dirname, '..', '..', 'fixtures', 'labs', 'tcp-handshake-basic'));
const IMAGE = 'toplab/lab:test';

describe('labStatus and downLab', () => {
  it('lists each instance with its networks and nodes, filtered by lab and instance', async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'a', image: IMAGE, programs: [] });
    await deploy(basic, { runtime: engine, instance: 'b', image: IMAGE, programs: [] });
    const all = await labStatus({ runtime: engine });
    expect(all.map((i) => `${i.lab}/${i.instance}`)).toEqual(['tcp-handshake-basic/a', 'tcp-handshake-basic/b']);
    const a = await labStatus({ runtime: engine, lab: 'tcp-handshake-basic', instance: 'a' });
    expect(a).toHaveLength(1);
    expect(a[0]?.networks.map((n) => n.name)).toEqual(['lan']);
    expect(a[0]?.nodes.map((n) => [n.name, n.running, n.interfaces.map((i) => i.network)])).toEqual([
      ['client', true, ['lan']],
      ['server', true, ['lan']],
    ]);
    expect(a[0]?.orphan).toBeUndefined();
  });

  it('asks for the creation locks, the containers, the networks and the run lock in one round, before any answer', async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'a', image: IMAGE, programs: [] });
    const before = engine.calls.length;
    // The engine takes every list request and answers none until released: what down asks meanwhile is one round.
    engine.fail({ method: 'listContainers', from: 1, hang: true }).fail({ method: 'listNetworks', from: 1, hang: true });
    const down = downLab({ runtime: engine, lab: 'tcp-handshake-basic', instance: 'a' });
    await new Promise((r) => setTimeout(r, 20));
    expect(
      engine.calls
        .slice(before)
        .map((c) => c.method)
        .sort(),
    ).toEqual(['listContainers', 'listContainers', 'listContainers', 'listNetworks']);
    engine.heal().release();
    expect(await down).toEqual({ containers: 2, networks: 1 });
  });

  it('removes one instance and leaves the other; a second down finds nothing', async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'a', image: IMAGE, programs: [] });
    await deploy(basic, { runtime: engine, instance: 'b', image: IMAGE, programs: [] });
    const r = await downLab({ runtime: engine, lab: 'tcp-handshake-basic', instance: 'a' });
    expect(r).toEqual({ containers: 2, networks: 1 });
    expect((await labStatus({ runtime: engine })).map((i) => i.instance)).toEqual(['b']);
    expect(await downLab({ runtime: engine, lab: 'tcp-handshake-basic', instance: 'a' })).toEqual({ containers: 0, networks: 0 });
  });

  it('names the instance its lab file made under an earlier name, when nothing runs under the name given', async () => {
    const engine = new MemoryRuntime();
    await deploy(basic, { runtime: engine, instance: 'a', image: IMAGE, programs: [] });
    const renamed = downLab({ runtime: engine, lab: 'renamed-lab', instance: 'a', labFile: basic.file });
    await expect(renamed).rejects.toThrow(UsageError);
    await expect(downLab({ runtime: engine, lab: 'renamed-lab', instance: 'a', labFile: basic.file })).rejects.toThrow(
      /tcp-handshake-basic \(instance a\) runs from the same lab file/,
    );
    expect(engine.leftovers().containers).toHaveLength(2);
  });
});
