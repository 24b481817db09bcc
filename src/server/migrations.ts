import type { Database } from 'better-sqlite3';

/** The workshop database's schema, one numbered step at a time. Never edit a step that has shipped: add one. */
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'workshops, students, instances, sessions, files, attempts, audit',
    sql: `
      CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE workshops (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        labs TEXT NOT NULL,
        capacity INTEGER NOT NULL,
        warm INTEGER NOT NULL,
        ends_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT
      );
      CREATE TABLE roster (
        workshop_id TEXT NOT NULL REFERENCES workshops(id),
        name TEXT NOT NULL,
        PRIMARY KEY (workshop_id, name)
      );
      CREATE TABLE students (
        id TEXT PRIMARY KEY,
        workshop_id TEXT NOT NULL REFERENCES workshops(id),
        name TEXT NOT NULL,
        lab TEXT NOT NULL,
        instance TEXT,
        state TEXT NOT NULL,
        progress TEXT,
        message TEXT,
        joined_at TEXT NOT NULL,
        last_active_at TEXT NOT NULL,
        warned_at TEXT,
        UNIQUE (workshop_id, name)
      );
      CREATE TABLE instances (
        name TEXT PRIMARY KEY,
        workshop_id TEXT NOT NULL REFERENCES workshops(id),
        lab TEXT NOT NULL,
        student_id TEXT REFERENCES students(id),
        state TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('student', 'admin')),
        student_id TEXT REFERENCES students(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE TABLE files (
        student_id TEXT NOT NULL REFERENCES students(id),
        lab TEXT NOT NULL,
        name TEXT NOT NULL,
        content TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (student_id, lab, name)
      );
      CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        student_id TEXT NOT NULL REFERENCES students(id),
        lab TEXT NOT NULL,
        status TEXT NOT NULL,
        score REAL,
        max_score REAL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        result TEXT,
        files TEXT NOT NULL
      );
      CREATE INDEX attempts_student ON attempts (student_id, id);
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT
      );
    `,
  },
  {
    version: 2,
    name: "ordered lab lists: how students move between a workshop's labs; attempts by lab",
    sql: `
      ALTER TABLE workshops ADD COLUMN progression TEXT NOT NULL DEFAULT 'ordered' CHECK (progression IN ('ordered', 'free'));
      ALTER TABLE students ADD COLUMN reached INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX attempts_student_lab ON attempts (student_id, lab, id);
    `,
  },
  // 3, not 2: the workshop's ordered lab lists take 2 (a database is brought to each missing step in order).
  {
    version: 3,
    name: 'instances.engine: the engine of the pool that holds each instance',
    // NULL: the local engine (a server without an engines file), or not placed yet.
    sql: 'ALTER TABLE instances ADD COLUMN engine TEXT;',
  },
];

/**
 * Brings the database to the newest schema: each missing step in order, each in its own transaction with
 * its row in schema_migrations. A database newer than this code is refused (an older server must not write
 * to it). Returns the versions applied now.
 */
export function migrate(db: Database, migrations = MIGRATIONS): number[] {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const have = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const newer = [...have].filter((v) => v > newest);
  if (newer.length > 0)
    throw new Error(
      `the database has schema version ${Math.max(...newer)}, newer than this toplab knows (${newest}): use a newer toplab with this data directory`,
    );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (have.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
    applied.push(m.version);
  }
  return applied;
}
