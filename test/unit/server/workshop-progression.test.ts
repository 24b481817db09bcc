import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../src/server/migrations.js';
import { Store, type AttemptRow } from '../../../src/server/store.js';
import { mayOpen, moveProblem, standings } from '../../../src/server/progression.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');

const attempt = (lab: string, status: AttemptRow['status'], score: number | null = null, failing: string[] = []): AttemptRow => ({
  id: 1,
  student_id: 's',
  lab,
  status,
  score,
  max_score: 4,
  started_at: 'x',
  finished_at: 'x',
  files: '{}',
  result:
    status === 'running'
      ? null
      : JSON.stringify({
          checks: [
            { id: 'a', status: failing.includes('a') ? 'failed' : 'passed' },
            { id: 'b', status: failing.includes('b') ? 'failed' : 'passed' },
          ],
        }),
});

describe("moving between a workshop's labs", () => {
  const labs = JSON.stringify(['one', 'two', 'three']);

  it('in order: back to any lab reached, forward one lab once the furthest reached passed', () => {
    const passed = (set: number[]) => (i: number) => set.includes(i);
    expect(mayOpen('ordered', 0, 0, passed([]))).toBe(true);
    expect(mayOpen('ordered', 0, 1, passed([]))).toBe(false);
    expect(mayOpen('ordered', 0, 1, passed([0]))).toBe(true);
    expect(mayOpen('ordered', 0, 2, passed([0]))).toBe(false);
    // Moved to lab 2 by the instructor, then back to lab 0: lab 1 and 2 stay open, lab 3 waits for lab 2.
    expect(mayOpen('ordered', 2, 1, passed([]))).toBe(true);
    expect(mayOpen('ordered', 2, 3, passed([]))).toBe(false);
    expect(mayOpen('free', 0, 2, passed([]))).toBe(true);
  });

  it("shows each lab's attempts, last score and failing checks, and which labs are open", () => {
    const byLab: Record<string, AttemptRow[]> = {
      one: [attempt('one', 'failed', 1, ['b']), attempt('one', 'passed', 4)],
      two: [attempt('two', 'running')],
    };
    const st = standings({ labs, progression: 'ordered' }, { lab: 'two', reached: 1 }, (l) => byLab[l] ?? []);
    expect(st.map((x) => [x.name, x.current, x.open, x.passed, x.attempts])).toEqual([
      ['one', false, true, true, 2],
      ['two', true, true, false, 1],
      ['three', false, false, false, 0],
    ]);
    expect(st[0]).toMatchObject({ lastScore: 1, lastStatus: 'failed', failing: ['b'] });
    // A running attempt is not a result.
    expect(st[1]).toMatchObject({ lastScore: null, lastStatus: null, failing: [] });
  });

  it('refuses a locked lab to a student with what to do, allows it to the instructor, and refuses labs not in the workshop', () => {
    const none = (): AttemptRow[] => [];
    const p = moveProblem({ labs, progression: 'ordered' }, { lab: 'one', reached: 0 }, 'two', false, none);
    expect(p).toMatchObject({ status: 403, code: 'lab-locked' });
    expect(p?.message).toMatch(/passed 'one'.*ask your instructor/);
    expect(moveProblem({ labs, progression: 'ordered' }, { lab: 'one', reached: 0 }, 'three', true, none)).toBeUndefined();
    expect(moveProblem({ labs, progression: 'free' }, { lab: 'one', reached: 0 }, 'three', false, none)).toBeUndefined();
    expect(moveProblem({ labs, progression: 'free' }, { lab: 'one', reached: 0 }, 'tcp-handshake', true, none)).toMatchObject({
      status: 400,
      code: 'unknown-lab',
    });
    expect(
      moveProblem({ labs, progression: 'ordered' }, { lab: 'one', reached: 0 }, 'two', false, (l) =>
        l === 'one' ? [attempt('one', 'passed', 4)] : [],
      ),
    ).toBeUndefined();
  });
});

describe('migration 2 (ordered lab lists)', () => {
  it("keeps a version-1 database's workshops and students: ordered, reached 0; attempts are found per lab", () => {
    const db = new Sqlite(':memory:');
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version === 1),
    );
    db.prepare(
      "INSERT INTO workshops (id, code, title, labs, capacity, warm, ends_at, created_at) VALUES ('w', 'CODE23', 't', '[\"one\",\"two\"]', 5, 0, 'x', 'x')",
    ).run();
    db.prepare(
      "INSERT INTO students (id, workshop_id, name, lab, state, joined_at, last_active_at) VALUES ('s', 'w', 'Ada', 'one', 'queued', 'x', 'x')",
    ).run();
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version > 1).map((m) => m.version));
    const store = new Store(db);
    expect(store.workshop('w')?.progression).toBe('ordered');
    expect(store.student('s')?.reached).toBe(0);
    store.addAttempt('s', 'one', {});
    store.addAttempt('s', 'two', {});
    store.addAttempt('s', 'one', {});
    expect(store.attemptsOn('s', 'one').map((a) => a.lab)).toEqual(['one', 'one']);
    expect(store.attempts('s')).toHaveLength(3);
    expect(() => db.prepare("UPDATE workshops SET progression = 'random' WHERE id = 'w'").run()).toThrow(/CHECK/);
    const free = store.createWorkshop({ title: 't', labs: ['one'], capacity: 1, warm: 0, endsAt: 'x', roster: null, progression: 'free' });
    expect(free.progression).toBe('free');
  });
});

describe('lab workshop create and export with several labs (no engine needed)', () => {
  it('stores the labs in order with their progression, refuses an unknown one, and exports one lab or all', async () => {
    const { lab } = await import('../../helpers/cli.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const data = mkdtempSync(join(tmpdir(), 'toplab-progression-'));
    try {
      const env = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
      const bad = await lab(['workshop', 'create', 'tcp-handshake,udp-echo', '--progression', 'random', '--data', data], { env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--progression must be ordered .* or free/);
      const made = await lab(['workshop', 'create', 'tcp-handshake,udp-echo', '--progression', 'free', '--data', data], { env });
      expect(made.code, made.stderr).toBe(0);
      expect(made.stdout).toMatch(/tcp-handshake → udp-echo \(free\)/);
      const code = /code (\w+)/.exec(made.stdout)?.[1] ?? '';
      const store = new Store(new Sqlite(join(data, 'toplab.db')));
      expect(store.workshopByCode(code)).toMatchObject({ labs: '["tcp-handshake","udp-echo"]', progression: 'free' });
      store.db.close();
      const all = await lab(['workshop', 'export', code, '--data', data], { env });
      expect(all.code, all.stderr).toBe(0);
      expect(all.stdout.split('\n')[0]).toMatch(/^name,state,lab,attempts,score,max_score,status,tcp-handshake:listen,.*udp-echo:/);
      const one = await lab(['workshop', 'export', code, '--lab', 'udp-echo', '--data', data], { env });
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout.split('\n')[0]).not.toMatch(/tcp-handshake|:/);
      const wrong = await lab(['workshop', 'export', code, '--lab', 'ping-icmp', '--data', data], { env });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/not one of this workshop's labs \(tcp-handshake, udp-echo\)/);
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);
});
