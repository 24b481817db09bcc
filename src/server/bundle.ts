import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack as tarPack, type Pack } from 'tar-stream';
import { render, type Format } from '../report/formats.js';
import { REPORT_FORMATS } from '../report/registry.js';
import type { GradeResult } from '../report/result.js';
import type { Orchestrator } from './orchestrator.js';
import type { AttemptRow, StudentRow, WorkshopRow } from './store.js';
import { labsOf } from './progression.js';

/** The report formats written beside each attempt's `report.json` (all but the terminal's). */
const BUNDLE_FORMATS: { format: Format; ext: string }[] = REPORT_FORMATS.filter((f) => f.inBundle).map((f) => ({
  format: f.name,
  ext: f.ext,
}));

/** A folder name for a student: their name made safe for every file system, and their id (names can repeat across case or accents). */
export function studentFolder(s: Pick<StudentRow, 'id' | 'name'>): string {
  const safe =
    s.name
      .normalize('NFKD')
      .replace(/[^\w.-]+/g, '_')
      .replace(/^[._]+|_+$/g, '')
      .slice(0, 40) || 'student';
  return `${safe}-${s.id.slice(0, 8)}`;
}

/** A student's last finished attempt on a lab (default: the one they are on) that has a result with checks (an `error` without one is skipped). */
export function lastGradedAttempt(
  orch: Orchestrator,
  s: StudentRow,
  lab = s.lab,
): { attempt: AttemptRow; result: GradeResult } | undefined {
  const a = orch.store.attemptsOn(s.id, lab).find((x) => x.status !== 'running' && x.result !== null && x.result.includes('"checks"'));
  return a?.result ? { attempt: a, result: JSON.parse(a.result) as GradeResult } : undefined;
}

function addText(p: Pack, name: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    p.entry({ name, mode: 0o644, mtime: new Date() }, text, (e) => (e ? reject(e) : resolve()));
  });
}

async function addFile(p: Pack, name: string, path: string, size: number): Promise<void> {
  const entry = p.entry({ name, size, mode: 0o644, mtime: new Date() });
  await pipeline(createReadStream(path), entry);
}

/**
 * Writes one student's evidence under `prefix` (in a workshop of several labs, under `prefix<lab>/` for each lab
 * they have been on: the one they are on, or one with saved files or attempts): their saved files (`files/`),
 * and for their last graded attempt
 * `attempt-<id>/report.json`, the report in every other format (`report.junit.xml`, `report.gradescope.json`,
 * …), the files that attempt graded (`submitted/`) and its artifacts (pcaps, program output: `artifacts/`).
 */
async function addStudent(orch: Orchestrator, p: Pack, s: StudentRow, prefix: string): Promise<void> {
  const w = orch.store.workshop(s.workshop_id);
  const labs = w ? labsOf(w) : [s.lab];
  if (labs.length <= 1) return addStudentLab(orch, p, s, s.lab, prefix);
  for (const lab of labs) {
    if (lab === s.lab || orch.store.attemptsOn(s.id, lab).length > 0 || orch.store.files(s.id, lab).length > 0)
      await addStudentLab(orch, p, s, lab, `${prefix}${lab}/`);
  }
}

async function addStudentLab(orch: Orchestrator, p: Pack, s: StudentRow, lab: string, prefix: string): Promise<void> {
  for (const [name, content] of Object.entries(orch.filesOf(s, lab))) await addText(p, `${prefix}files/${name}`, content);
  const last = lastGradedAttempt(orch, s, lab);
  if (!last) return;
  const dir = `${prefix}attempt-${last.attempt.id}/`;
  const result = { ...last.result, submission: s.name, artifactsDir: undefined };
  await addText(p, `${dir}report.json`, render(result, 'json'));
  for (const f of BUNDLE_FORMATS) await addText(p, `${dir}report.${f.format}.${f.ext}`, render(result, f.format));
  for (const [name, content] of Object.entries(JSON.parse(last.attempt.files) as Record<string, string>))
    await addText(p, `${dir}submitted/${name}`, content);
  const base = join(orch.opts.dataDir, 'attempts', String(last.attempt.id));
  for (const a of orch.artifacts(last.attempt.id)) await addFile(p, `${dir}artifacts/${a.name}`, join(base, a.name), a.size);
}

function gzipped(fill: (p: Pack) => Promise<void>, onError: (e: unknown) => void): Readable {
  const p = tarPack();
  const out = new PassThrough();
  fill(p)
    .then(() => p.finalize())
    .catch((e: unknown) => {
      onError(e);
      p.destroy(e as Error);
    });
  pipeline(p, createGzip(), out).catch((e: unknown) => out.destroy(e as Error));
  return out;
}

/**
 * A workshop's evidence bundle, a gzipped tar stream: `<code>/grades.csv` and `<code>/students/<name>-<id>/…`
 * (see addStudent) for every student.
 */
export function workshopBundle(orch: Orchestrator, w: WorkshopRow, csv: string): Readable {
  return gzipped(
    async (p) => {
      await addText(p, `${w.code}/grades.csv`, csv);
      for (const s of orch.store.students(w.id)) await addStudent(orch, p, s, `${w.code}/students/${studentFolder(s)}/`);
    },
    (e) => orch.opts.log(`evidence bundle of ${w.code} failed: ${String(e)}`),
  );
}

/** One student's own bundle (their files, last report and its evidence), under `<name>-<id>/`. */
export function studentBundle(orch: Orchestrator, s: StudentRow): Readable {
  return gzipped(
    (p) => addStudent(orch, p, s, `${studentFolder(s)}/`),
    (e) => orch.opts.log(`bundle of ${s.id} failed: ${String(e)}`),
  );
}
