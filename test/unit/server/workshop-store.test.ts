import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from 'better-sqlite3';
import { MIGRATIONS, migrate } from '../../../src/server/migrations.js';
import { newCode, openDatabase, sha256, Store } from '../../../src/server/store.js';
import { editableFiles, fileNameProblem, starterContent } from '../../../src/app/lab-files.js';
import { loadLab } from '../../../src/lab/load.js';
import { endsAtOf } from '../../../src/cli/workshop.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
const dirs: string[] = [];
const memory = (): Database => new Sqlite(':memory:');

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('workshop database migrations', () => {
  it('applies every step once, in order, and records each', () => {
    const db = memory();
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db)).toEqual([]);
    const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
      (r) => r.name,
    );
    for (const t of ['workshops', 'students', 'instances', 'sessions', 'files', 'attempts', 'audit', 'roster', 'settings'])
      expect(tables).toContain(t);
  });

  it('applies only the new step to a database at an older version', () => {
    const db = memory();
    migrate(db);
    const next = [...MIGRATIONS, { version: 1000, name: 'a later column', sql: 'ALTER TABLE students ADD COLUMN note TEXT' }];
    expect(migrate(db, next)).toEqual([1000]);
    db.prepare(
      "INSERT INTO workshops (id, code, title, labs, capacity, warm, ends_at, created_at) VALUES ('w', 'C', 't', '[]', 1, 0, 'x', 'x')",
    ).run();
    db.prepare(
      "INSERT INTO students (id, workshop_id, name, lab, state, joined_at, last_active_at, note) VALUES ('s', 'w', 'n', 'l', 'queued', 'x', 'x', 'hello')",
    ).run();
    expect((db.prepare('SELECT note FROM students').get() as { note: string }).note).toBe('hello');
  });

  it('rolls a failing step back whole: no half-made table, no version row', () => {
    const db = memory();
    migrate(db);
    const bad = [...MIGRATIONS, { version: 1001, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);' }];
    expect(() => migrate(db, bad)).toThrow(/nowhere/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    expect(db.prepare('SELECT version FROM schema_migrations WHERE version = 1001').get()).toBeUndefined();
  });

  it('refuses a database newer than the code', () => {
    const db = memory();
    migrate(db, [...MIGRATIONS, { version: 999, name: 'future', sql: 'SELECT 1' }]);
    expect(() => migrate(db)).toThrow(/schema version 999, newer than this toplab knows/);
  });

  it('opens a data directory twice and keeps what it holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-store-'));
    dirs.push(dir);
    const s1 = new Store(openDatabase(dir));
    const w = s1.createWorkshop({
      title: 't',
      labs: ['tcp-handshake'],
      capacity: 3,
      warm: 1,
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      roster: ['Ada', 'Bob', 'Ada'],
    });
    s1.db.close();
    const s2 = new Store(openDatabase(dir));
    expect(s2.workshopByCode(w.code.toLowerCase())?.id).toBe(w.id);
    expect(s2.roster(w.id)).toEqual(['Ada', 'Bob']);
    s2.db.close();
  });
});

describe('workshop store', () => {
  const store = (): Store => {
    const db = memory();
    migrate(db);
    return new Store(db);
  };

  it('hands each warm instance to one student only, and queues the rest in join order', () => {
    const s = store();
    const w = s.createWorkshop({ title: 't', labs: ['lab'], capacity: 5, warm: 1, endsAt: 'x', roster: null });
    s.addInstance('i1', w.id, 'lab');
    s.setInstance('i1', 'warm', null);
    const a = s.addStudent(w.id, 'a', 'lab');
    const b = s.addStudent(w.id, 'b', 'lab');
    expect(s.assignWarm(a)).toBe('i1');
    expect(s.assignWarm(b)).toBeUndefined();
    expect(s.student(a.id)).toMatchObject({ state: 'ready', instance: 'i1' });
    expect(s.instance('i1')).toMatchObject({ state: 'assigned', student_id: a.id });
    const c = s.addStudent(w.id, 'c', 'lab');
    expect(s.queuePosition(s.student(b.id) as NonNullable<ReturnType<Store['student']>>)).toBe(1);
    expect(s.queuePosition(s.student(c.id) as NonNullable<ReturnType<Store['student']>>)).toBe(2);
    expect(s.queuePosition(s.student(a.id) as NonNullable<ReturnType<Store['student']>>)).toBeNull();
  });

  it('queues students who joined in the same millisecond in the order they joined, whatever their ids', () => {
    const s = store();
    const w = s.createWorkshop({ title: 't', labs: ['lab'], capacity: 50, warm: 0, endsAt: 'x', roster: null });
    // Ids are random: 20 pairs put a tie broken by id in the wrong order at least once but for a 2^-20 chance.
    for (let i = 0; i < 20; i++) {
      const first = s.addStudent(w.id, `first-${i}`, 'lab');
      const second = s.addStudent(w.id, `second-${i}`, 'lab');
      const at = `2030-01-01T00:00:${String(i).padStart(2, '0')}.000Z`;
      s.updateStudent(first.id, { last_active_at: at });
      s.updateStudent(second.id, { last_active_at: at });
      const pos = (id: string): number | null => s.queuePosition(s.student(id) as NonNullable<ReturnType<Store['student']>>);
      expect([pos(first.id), pos(second.id)]).toEqual([2 * i + 1, 2 * i + 2]);
    }
  });

  it('keeps only a hash of session tokens, and finds a session by its token', () => {
    const s = store();
    const t = s.addSession('admin', null, '2999-01-01T00:00:00Z');
    expect(s.session(t)?.role).toBe('admin');
    expect(s.session(t + 'x')).toBeUndefined();
    const raw = s.db.prepare('SELECT token_sha256 FROM sessions').get() as { token_sha256: string };
    expect(raw.token_sha256).toBe(sha256(t));
    expect(raw.token_sha256).not.toContain(t);
  });

  it('makes event codes of 6 unambiguous characters', () => {
    for (let i = 0; i < 200; i++) expect(newCode()).toMatch(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/);
  });
});

describe("a student's editable files", () => {
  it("are the starter's programs and the lab's submission files", () => {
    expect(editableFiles(loadLab('tcp-handshake'))).toEqual(['client.ts', 'server.ts']);
    expect(editableFiles(loadLab('ping-icmp'))).toEqual(['answers.txt', 'ping.sh']);
    expect(editableFiles(loadLab('send-buffer'))).toEqual(['client.ts']);
  });

  it('start from the starter, and any other name is refused', () => {
    const lab = loadLab('tcp-handshake');
    expect(starterContent(lab, 'server.ts')).not.toBe('');
    for (const bad of ['../server.ts', 'lab.yaml', 'starter/server.ts', '/etc/passwd', 'README.md', ''])
      expect(fileNameProblem(lab, bad)).toMatch(/not one of this lab's files/);
    expect(fileNameProblem(lab, 'server.ts')).toBeUndefined();
  });
});

describe('lab workshop --ends', () => {
  const now = Date.parse('2026-01-01T10:00:00Z');
  it('reads +90m, +2h and ISO times, and refuses the past', () => {
    expect(endsAtOf('+90m', now)).toBe('2026-01-01T11:30:00.000Z');
    expect(endsAtOf('+2h', now)).toBe('2026-01-01T12:00:00.000Z');
    expect(endsAtOf('2026-01-02T00:00:00Z', now)).toBe('2026-01-02T00:00:00.000Z');
    expect(() => endsAtOf('2025-01-01T00:00:00Z', now)).toThrow(/future/);
    expect(() => endsAtOf('soon', now)).toThrow(/future/);
  });
});
