import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ServerEngines } from '../../../src/server/engines.js';
import { Orchestrator } from '../../../src/server/orchestrator.js';
import { openDatabase, Store } from '../../../src/server/store.js';
import { MemoryRuntime } from '../../fakes/memory-runtime.js';

/** The local engine, as the in-memory one: every instance is placed there. */
function localEngine(runtime: MemoryRuntime): ServerEngines {
  return {
    pooled: false,
    names: () => [null],
    upNames: () => [null],
    isUp: () => true,
    downReason: () => undefined,
    capacity: () => 100,
    runtime: () => runtime,
    place: () => Promise.resolve(null),
    settled: () => undefined,
  } as unknown as ServerEngines;
}

/** Lets every pending engine call and its continuation run (each in-memory call waits one setImmediate). */
async function settle(rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

describe('the workshop server going away (--remove-on-exit: removeAll)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('waits for the removal of an instance whose workshop ended while it was being made: nothing of it is left when it returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-remove-on-exit-'));
    dirs.push(dir);
    const db = openDatabase(dir);
    const runtime = new MemoryRuntime();
    try {
      const store = new Store(db);
      const orch = new Orchestrator({
        store,
        engines: localEngine(runtime),
        image: 'toplab/lab:x',
        dataDir: dir,
        warm: 1,
        idleMinutes: 0,
        maxInstances: 10,
        parallel: 1,
        log: () => undefined,
        serverId: 's1',
      });
      const w = store.createWorkshop({
        title: 't',
        labs: ['tcp-handshake'],
        capacity: 2,
        warm: 1,
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        roster: null,
      });
      // One upkeep round starts the warm instance; its network hangs in the engine, so nothing of it exists yet.
      runtime.fail({ method: 'createNetwork', call: 1, hang: true });
      orch.pump();
      orch.stop();
      await vi.waitFor(() => expect(runtime.callsOf('createNetwork')).toHaveLength(1));
      // The workshop ends meanwhile (the compose test ends it just before `docker-compose down`): there is
      // nothing of the instance to remove yet.
      await orch.endWorkshop(w.id, 'admin');
      // The creation goes on, then finds its workshop ended and removes what it made: that removal's network
      // removal (after its containers went) hangs, as a busy engine's would, while the server is told to go away.
      let first = true;
      runtime.fail({
        method: 'removeNetworks',
        hang: true,
        when: () => {
          const hit = first;
          first = false;
          return hit;
        },
      });
      runtime.release();
      let returned = false;
      const removing = orch.removeAll().then(() => (returned = true));
      await vi.waitFor(() => expect(first).toBe(false));
      await settle();
      // The process exits when removeAll returns: returning with that removal still under way leaves its network
      // (what `docker-compose down` left: the containers gone, a `tl-tcp-handshake-w…-lan` network not).
      expect(returned).toBe(false);
      runtime.release();
      await removing;
      expect(runtime.leftovers()).toEqual({ containers: [], networks: [] });
    } finally {
      db.close();
    }
  });
});
