import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { migrate } from './migrations.js';
import type { Progression, StudentState } from './api.js';

export type { Progression, StudentState } from './api.js';
export type InstanceState = 'warming' | 'warm' | 'assigned' | 'removing';

export interface WorkshopRow {
  id: string;
  code: string;
  title: string;
  labs: string;
  capacity: number;
  warm: number;
  ends_at: string;
  created_at: string;
  ended_at: string | null;
  /** How students move between the labs: `ordered` (the next opens when the furthest reached is passed) or `free`. */
  progression: Progression;
}

export interface StudentRow {
  id: string;
  workshop_id: string;
  name: string;
  lab: string;
  instance: string | null;
  state: StudentState;
  progress: string | null;
  message: string | null;
  joined_at: string;
  last_active_at: string;
  warned_at: string | null;
  /** The furthest lab (index into the workshop's labs) the student has been on. */
  reached: number;
}

export interface InstanceRow {
  name: string;
  workshop_id: string;
  lab: string;
  student_id: string | null;
  state: InstanceState;
  created_at: string;
  /** The engine of the pool that holds it (its name in the engines file); null on the local engine, or before placement. */
  engine: string | null;
}

export interface AttemptRow {
  id: number;
  student_id: string;
  lab: string;
  status: 'running' | 'passed' | 'failed' | 'error';
  score: number | null;
  max_score: number | null;
  started_at: string;
  finished_at: string | null;
  result: string | null;
  files: string;
}

export interface FileRow {
  student_id: string;
  lab: string;
  name: string;
  content: string;
  updated_at: string;
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
export const now = (): string => new Date().toISOString();
export const newId = (): string => randomBytes(8).toString('hex');
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A short event code: 6 characters without the look-alikes (0/O, 1/I). */
export function newCode(): string {
  const bytes = randomBytes(6);
  return [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
}

/** Opens (creating when needed) `<dataDir>/toplab.db` and brings its schema up to date. */
export function openDatabase(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true });
  const require = createRequire(import.meta.url);
  const BetterSqlite3 = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new BetterSqlite3(join(dataDir, 'toplab.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/** The queries the server and `lab workshop` make; every write is one statement or one transaction. */
export class Store {
  constructor(readonly db: Database) {}

  setting(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setSetting(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  audit(actor: string, action: string, subject: string | null, detail: unknown = null): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)')
      .run(now(), actor, action, subject, detail === null ? null : JSON.stringify(detail));
  }

  auditLog(
    workshopId: string | undefined,
    limit = 500,
  ): { at: string; actor: string; action: string; subject: string | null; detail: unknown }[] {
    const rows = (
      workshopId === undefined
        ? this.db.prepare('SELECT * FROM audit ORDER BY id DESC LIMIT ?').all(limit)
        : this.db
            .prepare(
              'SELECT * FROM audit WHERE subject = ? OR subject IN (SELECT id FROM students WHERE workshop_id = ?) ORDER BY id DESC LIMIT ?',
            )
            .all(workshopId, workshopId, limit)
    ) as { at: string; actor: string; action: string; subject: string | null; detail: string | null }[];
    return rows.map((r) => ({
      at: r.at,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }));
  }

  createWorkshop(w: {
    title: string;
    labs: string[];
    capacity: number;
    warm: number;
    endsAt: string;
    roster: string[] | null;
    progression?: Progression;
  }): WorkshopRow {
    const id = newId();
    let code = newCode();
    while (this.workshopByCode(code)) code = newCode();
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO workshops (id, code, title, labs, capacity, warm, ends_at, created_at, progression) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, code, w.title, JSON.stringify(w.labs), w.capacity, w.warm, w.endsAt, now(), w.progression ?? 'ordered');
      for (const name of new Set(w.roster ?? [])) this.db.prepare('INSERT INTO roster (workshop_id, name) VALUES (?, ?)').run(id, name);
    })();
    return this.workshop(id) as WorkshopRow;
  }

  workshop(id: string): WorkshopRow | undefined {
    return this.db.prepare('SELECT * FROM workshops WHERE id = ?').get(id) as WorkshopRow | undefined;
  }

  workshopByCode(code: string): WorkshopRow | undefined {
    return this.db.prepare('SELECT * FROM workshops WHERE code = ?').get(code.toUpperCase()) as WorkshopRow | undefined;
  }

  workshops(): WorkshopRow[] {
    return this.db.prepare('SELECT * FROM workshops ORDER BY created_at DESC').all() as WorkshopRow[];
  }

  activeWorkshops(): WorkshopRow[] {
    return this.db.prepare('SELECT * FROM workshops WHERE ended_at IS NULL ORDER BY created_at').all() as WorkshopRow[];
  }

  roster(workshopId: string): string[] | null {
    const names = (
      this.db.prepare('SELECT name FROM roster WHERE workshop_id = ? ORDER BY name').all(workshopId) as { name: string }[]
    ).map((r) => r.name);
    return names.length > 0 ? names : null;
  }

  updateWorkshop(id: string, patch: { ends_at?: string; capacity?: number; ended_at?: string; progression?: Progression }): void {
    for (const [k, v] of Object.entries(patch))
      if (v !== undefined) this.db.prepare(`UPDATE workshops SET ${k} = ? WHERE id = ?`).run(v, id);
  }

  student(id: string): StudentRow | undefined {
    return this.db.prepare('SELECT * FROM students WHERE id = ?').get(id) as StudentRow | undefined;
  }

  studentByName(workshopId: string, name: string): StudentRow | undefined {
    return this.db.prepare('SELECT * FROM students WHERE workshop_id = ? AND name = ?').get(workshopId, name) as StudentRow | undefined;
  }

  students(workshopId: string): StudentRow[] {
    return this.db.prepare('SELECT * FROM students WHERE workshop_id = ? ORDER BY joined_at, name').all(workshopId) as StudentRow[];
  }

  studentsIn(states: StudentState[]): StudentRow[] {
    return this.db
      .prepare(`SELECT * FROM students WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY joined_at`)
      .all(...states) as StudentRow[];
  }

  addStudent(workshopId: string, name: string, lab: string): StudentRow {
    const id = newId();
    const t = now();
    this.db
      .prepare("INSERT INTO students (id, workshop_id, name, lab, state, joined_at, last_active_at) VALUES (?, ?, ?, ?, 'queued', ?, ?)")
      .run(id, workshopId, name, lab, t, t);
    return this.student(id) as StudentRow;
  }

  updateStudent(
    id: string,
    patch: Partial<Pick<StudentRow, 'state' | 'instance' | 'progress' | 'message' | 'last_active_at' | 'warned_at' | 'lab' | 'reached'>>,
  ): void {
    const keys = Object.keys(patch) as (keyof typeof patch)[];
    if (keys.length === 0) return;
    this.db
      .prepare(`UPDATE students SET ${keys.map((k) => `${k} = ?`).join(', ')} WHERE id = ?`)
      .run(...keys.map((k) => patch[k] ?? null), id);
  }

  /** 1-based position among the workshop's queued students, by join time. */
  queuePosition(s: StudentRow): number | null {
    if (s.state !== 'queued') return null;
    // Ties (two joins in the same millisecond) go by rowid, the order the rows were made: a random id would
    // put them in any order.
    const r = this.db
      .prepare(
        "SELECT COUNT(*) AS n FROM students WHERE workshop_id = ? AND state = 'queued' AND (last_active_at < ? OR (last_active_at = ? AND rowid <= (SELECT rowid FROM students WHERE id = ?)))",
      )
      .get(s.workshop_id, s.last_active_at, s.last_active_at, s.id) as { n: number };
    return r.n;
  }

  instances(workshopId?: string): InstanceRow[] {
    return (
      workshopId === undefined
        ? this.db.prepare('SELECT * FROM instances').all()
        : this.db.prepare('SELECT * FROM instances WHERE workshop_id = ?').all(workshopId)
    ) as InstanceRow[];
  }

  instance(name: string): InstanceRow | undefined {
    return this.db.prepare('SELECT * FROM instances WHERE name = ?').get(name) as InstanceRow | undefined;
  }

  addInstance(name: string, workshopId: string, lab: string): void {
    this.db
      .prepare("INSERT INTO instances (name, workshop_id, lab, state, created_at) VALUES (?, ?, ?, 'warming', ?)")
      .run(name, workshopId, lab, now());
  }

  setInstance(name: string, state: InstanceState, studentId: string | null): void {
    this.db.prepare('UPDATE instances SET state = ?, student_id = ? WHERE name = ?').run(state, studentId, name);
  }

  /** Records where an instance was placed. */
  setInstanceEngine(name: string, engine: string | null): void {
    this.db.prepare('UPDATE instances SET engine = ? WHERE name = ?').run(engine, name);
  }

  deleteInstance(name: string): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE students SET instance = NULL WHERE instance = ?').run(name);
      this.db.prepare('DELETE FROM instances WHERE name = ?').run(name);
    })();
  }

  /** Gives a warm instance of the lab to the student, atomically; the instance's name, or undefined when none is warm. */
  assignWarm(student: StudentRow): string | undefined {
    return this.db.transaction(() => {
      const inst = this.db
        .prepare(
          "SELECT name FROM instances WHERE workshop_id = ? AND lab = ? AND state = 'warm' AND student_id IS NULL ORDER BY created_at LIMIT 1",
        )
        .get(student.workshop_id, student.lab) as { name: string } | undefined;
      if (!inst) return undefined;
      this.db.prepare("UPDATE instances SET state = 'assigned', student_id = ? WHERE name = ?").run(student.id, inst.name);
      this.db
        .prepare(
          "UPDATE students SET instance = ?, state = 'ready', progress = NULL, message = NULL, warned_at = NULL, last_active_at = ? WHERE id = ?",
        )
        .run(inst.name, now(), student.id);
      return inst.name;
    })();
  }

  addSession(role: 'student' | 'admin', studentId: string | null, expiresAt: string): string {
    const token = randomBytes(32).toString('base64url');
    this.db
      .prepare('INSERT INTO sessions (token_sha256, role, student_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(sha256(token), role, studentId, now(), expiresAt);
    return token;
  }

  session(token: string): { role: 'student' | 'admin'; student_id: string | null; expires_at: string } | undefined {
    return this.db.prepare('SELECT role, student_id, expires_at FROM sessions WHERE token_sha256 = ?').get(sha256(token)) as
      { role: 'student' | 'admin'; student_id: string | null; expires_at: string } | undefined;
  }

  deleteSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_sha256 = ?').run(sha256(token));
  }

  files(studentId: string, lab: string): FileRow[] {
    return this.db.prepare('SELECT * FROM files WHERE student_id = ? AND lab = ?').all(studentId, lab) as FileRow[];
  }

  saveFile(studentId: string, lab: string, name: string, content: string): string {
    const t = now();
    this.db
      .prepare(
        'INSERT INTO files (student_id, lab, name, content, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (student_id, lab, name) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at',
      )
      .run(studentId, lab, name, content, t);
    return t;
  }

  deleteFile(studentId: string, lab: string, name: string): void {
    this.db.prepare('DELETE FROM files WHERE student_id = ? AND lab = ? AND name = ?').run(studentId, lab, name);
  }

  addAttempt(studentId: string, lab: string, files: Record<string, string>): number {
    const r = this.db
      .prepare("INSERT INTO attempts (student_id, lab, status, started_at, files) VALUES (?, ?, 'running', ?, ?)")
      .run(studentId, lab, now(), JSON.stringify(files));
    return Number(r.lastInsertRowid);
  }

  finishAttempt(id: number, status: AttemptRow['status'], score: number | null, maxScore: number | null, result: unknown): void {
    this.db
      .prepare('UPDATE attempts SET status = ?, score = ?, max_score = ?, finished_at = ?, result = ? WHERE id = ?')
      .run(status, score, maxScore, now(), JSON.stringify(result), id);
  }

  attempts(studentId: string): AttemptRow[] {
    return this.db.prepare('SELECT * FROM attempts WHERE student_id = ? ORDER BY id DESC').all(studentId) as AttemptRow[];
  }

  /** The student's attempts on one lab, newest first. */
  attemptsOn(studentId: string, lab: string): AttemptRow[] {
    return this.db.prepare('SELECT * FROM attempts WHERE student_id = ? AND lab = ? ORDER BY id DESC').all(studentId, lab) as AttemptRow[];
  }

  attempt(studentId: string, id: number): AttemptRow | undefined {
    return this.db.prepare('SELECT * FROM attempts WHERE student_id = ? AND id = ?').get(studentId, id) as AttemptRow | undefined;
  }

  runningAttempts(): AttemptRow[] {
    return this.db.prepare("SELECT * FROM attempts WHERE status = 'running'").all() as AttemptRow[];
  }
}
