import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/errors.js';
import type { Runtime } from '../../../src/runtime/runtime.js';
import type { EnginePool } from '../../../src/engines/pool.js';
import { DOWN_AFTER_MISSES, nextWatch, ServerEngines, UP_AFTER_ANSWERS, type EngineWatch } from '../../../src/server/engines.js';
import { Orchestrator } from '../../../src/server/orchestrator.js';
import { openDatabase, Store } from '../../../src/server/store.js';

describe('the workshop server health loop (nextWatch)', () => {
  const run = (start: EngineWatch, answers: boolean[]): { watch: EngineWatch; changes: string[] } => {
    let w = start;
    const changes: string[] = [];
    for (const a of answers) {
      const r = nextWatch(w, a, a ? undefined : 'connect ECONNREFUSED 127.0.0.1:2376');
      w = r.watch;
      if (r.change) changes.push(r.change);
    }
    return { watch: w, changes };
  };

  it('marks an up engine down after three misses in a row, with why', () => {
    expect(DOWN_AFTER_MISSES).toBe(3);
    expect(run({ up: true, streak: 0 }, [false, false]).changes).toEqual([]);
    const r = run({ up: true, streak: 0 }, [false, false, false]);
    expect(r.changes).toEqual(['down']);
    expect(r.watch).toEqual({ up: false, streak: 0, reason: '3 pings in a row unanswered (connect ECONNREFUSED 127.0.0.1:2376)' });
  });

  it('forgives misses that an answer interrupts', () => {
    const r = run({ up: true, streak: 0 }, [false, false, true, false, false, true, false]);
    expect(r.changes).toEqual([]);
    expect(r.watch).toEqual({ up: true, streak: 1 });
  });

  it('brings a down engine back after two answers in a row, not after one between misses', () => {
    expect(UP_AFTER_ANSWERS).toBe(2);
    const down: EngineWatch = { up: false, streak: 0, reason: 'x' };
    expect(run(down, [true, false, true, false]).changes).toEqual([]);
    const back = run(down, [true, false, true, true]);
    expect(back.changes).toEqual(['up']);
    expect(back.watch).toEqual({ up: true, streak: 0 });
  });
});

/** Two engines, e1 up and e2 down (as the health loop left them): no Docker. `placeError`: why placement fails. */
function fakeEngines(placeError = 'no placement in a unit test'): ServerEngines {
  const down = new Set<string>(['e2']);
  const fail = (name: string): Runtime =>
    new Proxy({} as Runtime, { get: () => () => Promise.reject(new EngineError(`engine ${name} unreachable`)) });
  return {
    pooled: true,
    names: () => ['e1', 'e2'],
    upNames: () => ['e1', 'e2'].filter((n) => !down.has(n)),
    isUp: (n: string | null) => n !== null && !down.has(n),
    downReason: (n: string | null) => (n !== null && down.has(n) ? `engine ${n} unreachable: 3 pings in a row unanswered` : undefined),
    capacity: () => 2,
    runtime: (n: string | null) => fail(n ?? 'local'),
    docker: () => {
      throw new Error('no docker in a unit test');
    },
    place: () => Promise.reject(new EngineError(placeError)),
    settled: () => undefined,
  } as unknown as ServerEngines;
}

describe('a workshop server losing an engine of its pool', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("moves only that engine's students: queued for a fresh instance, told which engine failed, files kept; the next instance says where they are", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-engines-unit-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    try {
      const store = new Store(db);
      const orch = new Orchestrator({
        store,
        engines: fakeEngines(),
        image: 'toplab/lab:x',
        dataDir: dir,
        warm: 0,
        idleMinutes: 0,
        maxInstances: 10,
        parallel: 1,
        log: () => undefined,
        serverId: 's1',
      });
      // Stopped: no upkeep round runs behind the test's back.
      orch.stop();
      const w = store.createWorkshop({
        title: 't',
        labs: ['tcp-handshake'],
        capacity: 10,
        warm: 0,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        roster: null,
      });
      const ada = store.addStudent(w.id, 'Ada', 'tcp-handshake');
      const bob = store.addStudent(w.id, 'Bob', 'tcp-handshake');
      for (const [inst, s, engine] of [
        ['i-ada', ada, 'e1'],
        ['i-bob', bob, 'e2'],
      ] as const) {
        store.addInstance(inst, w.id, 'tcp-handshake');
        store.setInstanceEngine(inst, engine);
        store.setInstance(inst, 'assigned', s.id);
        store.updateStudent(s.id, { state: 'ready', instance: inst });
      }
      store.addInstance('i-warm-e2', w.id, 'tcp-handshake');
      store.setInstanceEngine('i-warm-e2', 'e2');
      store.setInstance('i-warm-e2', 'warm', null);
      store.saveFile(bob.id, 'tcp-handshake', 'server.ts', '// bob was here\n');
      const gone: string[] = [];
      orch.on('instance-gone', (id: string) => gone.push(id));

      orch.engineLost('e2', 'engine e2 unreachable: 3 pings in a row unanswered (no answer to a ping within 3s)');

      const b = store.student(bob.id);
      expect(b).toMatchObject({
        state: 'queued',
        instance: null,
        message:
          'engine e2 unreachable: 3 pings in a row unanswered (no answer to a ping within 3s): your lab there is lost; a fresh one is being started on another engine (your files are kept)',
      });
      expect(orch.studentView(b as NonNullable<typeof b>)).toMatchObject({ state: 'queued', engine: null });
      expect(gone).toEqual([bob.id]);
      // Ada, on e1, is not touched; e2's rows (Bob's and the warm one) are gone.
      expect(store.student(ada.id)).toMatchObject({ state: 'ready', instance: 'i-ada', message: null });
      expect(store.instances().map((i) => `${i.name}@${i.engine}`)).toEqual(['i-ada@e1']);
      expect(orch.filesOf(b as NonNullable<typeof b>)['server.ts']).toBe('// bob was here\n');

      // A fresh instance on e1 is warm: Bob gets it, and the message says where his lab went.
      store.addInstance('i-new', w.id, 'tcp-handshake');
      store.setInstanceEngine('i-new', 'e1');
      store.setInstance('i-new', 'warm', null);
      orch.join(store.workshop(w.id) as NonNullable<ReturnType<Store['workshop']>>, 'Bob');
      const after = store.student(bob.id);
      expect(after).toMatchObject({
        state: 'ready',
        instance: 'i-new',
        message:
          'engine e2 unreachable: 3 pings in a row unanswered (no answer to a ping within 3s): your lab was moved to a fresh instance on engine e1; your files are kept',
      });
      expect(orch.studentView(after as NonNullable<typeof after>).engine).toBe('e1');
      // The status read that follows an assignment (it fails on the fake engine) settles before the database closes.
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      db.close();
    }
  });
});

describe('a workshop server that lost an engine and has no room elsewhere', () => {
  it('keeps telling the moved student that their engine was lost and their files are kept, with why no fresh lab started yet', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-engines-unit-'));
    const db = openDatabase(dir);
    try {
      const store = new Store(db);
      const full = 'no engine can take a new instance: e1 full (2/2), e2 unreachable';
      // Not started: upkeep runs only when the test pumps it.
      const orch = new Orchestrator({
        store,
        engines: fakeEngines(full),
        image: 'toplab/lab:x',
        dataDir: dir,
        warm: 0,
        idleMinutes: 0,
        maxInstances: 10,
        parallel: 1,
        log: () => undefined,
        serverId: 's1',
      });
      const w = store.createWorkshop({
        title: 't',
        labs: ['tcp-handshake'],
        capacity: 10,
        warm: 0,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        roster: null,
      });
      const bob = store.addStudent(w.id, 'Bob', 'tcp-handshake');
      const cy = store.addStudent(w.id, 'Cy', 'tcp-handshake');
      store.addInstance('i-bob', w.id, 'tcp-handshake');
      store.setInstanceEngine('i-bob', 'e2');
      store.setInstance('i-bob', 'assigned', bob.id);
      store.updateStudent(bob.id, { state: 'ready', instance: 'i-bob' });
      store.updateStudent(cy.id, { state: 'queued' });

      orch.engineLost('e2', 'engine e2 unreachable: 3 pings in a row unanswered (no answer to a ping within 3s)');
      orch.pump();
      for (let i = 0; i < 50 && store.student(cy.id)?.message == null; i++) await new Promise((r) => setTimeout(r, 20));
      orch.stop();

      expect(store.student(bob.id)).toMatchObject({
        state: 'queued',
        message: `engine e2 unreachable: 3 pings in a row unanswered (no answer to a ping within 3s): your lab there is lost and no fresh one could be started yet (${full}); trying again in a few seconds (your files are kept)`,
      });
      // A student who lost nothing is told only why no instance could be started.
      expect(store.student(cy.id)?.message).toBe(`an instance could not be started (${full}); trying again in a few seconds`);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A fake engine's dockerode: `instances` node containers, the lab image present or not, never draining. */
function fakeDocker(instances: string[], image = true): unknown {
  return {
    ping: () => Promise.resolve('OK'),
    listVolumes: () => Promise.resolve({ Volumes: [] }),
    listContainers: () =>
      Promise.resolve(instances.map((k) => ({ Labels: { 'org.toplab.lab': k.split('/')[0], 'org.toplab.instance': k.split('/')[1] } }))),
    getImage: () => ({
      inspect: () => (image ? Promise.resolve({}) : Promise.reject(Object.assign(new Error('no such image'), { statusCode: 404 }))),
    }),
  };
}

function fakePool(engines: { name: string; capacity: number; instances: string[] }[]): EnginePool {
  const list = engines.map((e) => ({
    spec: { name: e.name, address: `tcp://127.0.0.1:${2376}`, capacity: e.capacity, labels: {} },
    docker: fakeDocker(e.instances),
    runtime: {},
  }));
  return {
    file: 'engines.yaml',
    engines: list,
    engine: (n: string) => list.find((x) => x.spec.name === n),
    renew: (n: string) => list.find((x) => x.spec.name === n),
    ensureImage: () => Promise.resolve(),
  } as unknown as EnginePool;
}

describe('placement by the workshop server (ServerEngines.place)', () => {
  it('never gives the same last place twice, counting instances still being created', async () => {
    const engines = new ServerEngines({
      pool: fakePool([
        { name: 'e1', capacity: 1, instances: [] },
        { name: 'e2', capacity: 2, instances: ['other/x'] },
      ]),
      image: 'toplab/lab:x',
      log: () => undefined,
    });
    // Three at once: e1 (0/1) and e2 (1/2) have one place each.
    const placed = await Promise.allSettled([engines.place('lab/a'), engines.place('lab/b'), engines.place('lab/c')]);
    const ok = placed.filter((p): p is PromiseFulfilledResult<string | null> => p.status === 'fulfilled').map((p) => p.value);
    expect(ok.sort()).toEqual(['e1', 'e2']);
    const refused = placed.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    expect(String(refused?.reason)).toMatch(/no engine can take a new instance: e1 full \(1\/1\), e2 full \(2\/2\)/);
    // Given up (never created): its place is free again.
    engines.settled('e1', 'lab/a');
    expect(await engines.place('lab/d')).toBe('e1');
    expect(engines.capacity()).toBe(3);
  });

  it('places nothing on an engine that is down, and counts only the others in the capacity', async () => {
    const pool = fakePool([
      { name: 'e1', capacity: 2, instances: [] },
      { name: 'e2', capacity: 2, instances: [] },
    ]);
    const e2 = pool.engine('e2') as unknown as { docker: { ping: () => Promise<unknown> } };
    e2.docker.ping = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:2376'));
    const engines = new ServerEngines({ pool, image: 'toplab/lab:x', log: () => undefined });
    await engines.start();
    engines.stop();
    expect(engines.upNames()).toEqual(['e1']);
    expect(engines.downReason('e2')).toBe('engine e2 unreachable: connect ECONNREFUSED 127.0.0.1:2376');
    expect(engines.capacity()).toBe(2);
    expect(await engines.place('lab/a')).toBe('e1');
    expect(await engines.place('lab/b')).toBe('e1');
    await expect(engines.place('lab/c')).rejects.toThrow(/e1 full \(2\/2\), e2 unreachable/);
  });
});
