import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, subscribe, urls, type LabInfo, type Student, type Workshop } from '../shared/api.js';
import { StudentDetail } from './student-detail.js';

type CheckCell = 'pass' | 'fail' | 'none';
const CELL: Record<CheckCell, { symbol: string; text: string }> = {
  pass: { symbol: '✔', text: 'passed' },
  fail: { symbol: '✘', text: 'failed' },
  none: { symbol: '·', text: 'not checked yet' },
};

/** A check's state for a student, from the last attempt: failing ids are listed; the rest passed. */
function cell(s: Student, check: string): CheckCell {
  if (s.lastStatus === null) return 'none';
  if (s.lastStatus === 'error') return 'none';
  return s.failing.includes(check) ? 'fail' : 'pass';
}

type SortKey = 'name' | 'state' | 'score' | 'attempts' | 'active' | `check:${string}`;

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
}

const FORMATS = ['csv', 'json', 'junit', 'gradescope', 'classroom', 'tap'];

/** One workshop: the join code (big), exports, and the live class table with per-check columns. */
export function ClassView(props: { workshop: Workshop; onWorkshop: (w: Workshop) => void }) {
  const w = props.workshop;
  const [students, setStudents] = useState<Student[]>([]);
  const [lab, setLab] = useState<LabInfo | undefined>();
  const [online, setOnline] = useState(true);
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'name', dir: 1 });
  const [filterText, setFilterText] = useState('');
  const [stuckOn, setStuckOn] = useState('');
  const [open, setOpen] = useState<string | undefined>();
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState('');

  useEffect(() => {
    api.students(w.id).then(setStudents, (e: unknown) => setError(String(e)));
    return subscribe(
      urls.events(w.id),
      (e) => {
        if (e.type === 'student' && e.student.workshopId === w.id)
          setStudents((l) => (l.some((s) => s.id === e.student.id) ? l.map((s) => (s.id === e.student.id ? e.student : s)) : [...l, e.student]));
        else if (e.type === 'workshop' && e.workshop.id === w.id) props.onWorkshop(e.workshop);
      },
      setOnline,
    );
  }, [w.id]);

  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(i);
  }, []);

  // The check columns come from the lab (any student's id gives it to the admin).
  const firstSid = students[0]?.id;
  useEffect(() => {
    if (lab || firstSid === undefined) return;
    api.lab(firstSid).then(setLab, (e: unknown) => setError(String(e)));
  }, [firstSid]);
  const checks = lab?.checks ?? [];

  const rows = useMemo(() => {
    const f = filterText.trim().toLowerCase();
    const list = students.filter((s) => (!f || s.name.toLowerCase().includes(f)) && (!stuckOn || cell(s, stuckOn) === 'fail'));
    const key = (s: Student): string | number => {
      if (sort.key === 'name') return s.name.toLowerCase();
      if (sort.key === 'state') return s.state;
      if (sort.key === 'score') return s.lastScore ?? -1;
      if (sort.key === 'attempts') return s.attempts;
      if (sort.key === 'active') return Date.parse(s.lastActiveAt);
      const c = cell(s, sort.key.slice(6));
      return c === 'fail' ? 0 : c === 'none' ? 1 : 2;
    };
    return [...list].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    });
  }, [students, sort, filterText, stuckOn]);

  const counts = useMemo(
    () =>
      Object.fromEntries(
        checks.map((c) => [c.id, { pass: students.filter((s) => cell(s, c.id) === 'pass').length, fail: students.filter((s) => cell(s, c.id) === 'fail').length }]),
      ),
    [students, checks],
  );

  const th = (key: SortKey, label: string, title?: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'} title={title}>
      <button type="button" class="sort" onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }))}>
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  const end = async (): Promise<void> => {
    if (!confirm(`End "${w.title}"? Every student's containers are removed; files and results are kept.`)) return;
    try {
      props.onWorkshop(await api.endWorkshop(w.id));
    } catch (e) {
      setError(String(e));
    }
  };
  const extend = async (): Promise<void> => {
    try {
      props.onWorkshop(await api.patchWorkshop(w.id, { endsAt: new Date(Math.max(Date.parse(w.endsAt), Date.now()) + 30 * 60_000).toISOString() }));
    } catch (e) {
      setError(String(e));
    }
  };

  const openStudent = students.find((s) => s.id === open);

  return (
    <div class="class-view">
      <section class="join panel pad" aria-label="Join">
        <div>
          <div class="muted">Event code</div>
          <div class="code" data-testid="join-code">
            {w.code}
          </div>
        </div>
        <div class="join-link">
          <div class="muted">Students open</div>
          <a href={w.joinUrl} class="big-link" data-testid="join-url" target="_blank" rel="noopener">
            {w.joinUrl}
          </a>
          <div class="muted small">
            {w.title} · {w.labs.join(', ')} · ends {new Date(w.endsAt).toLocaleString()}
            {w.endedAt !== null ? ' · ENDED' : ''} · {students.length}/{w.capacity} joined, {students.filter((s) => s.state === 'ready' || s.state === 'checking').length} ready,{' '}
            {students.filter((s) => s.state === 'queued').length} queued
          </div>
        </div>
        <div class="actions">
          <button type="button" onClick={() => void extend()} disabled={w.endedAt !== null}>
            +30 min
          </button>
          <button type="button" class="danger" onClick={() => void end()} disabled={w.endedAt !== null}>
            End workshop
          </button>
          <span class="exports">
            Export:{' '}
            {FORMATS.map((f) => (
              <a key={f} href={api.exportUrl(w.id, f)} download>
                {f}
              </a>
            ))}{' '}
            <a class="button" href={api.exportUrl(w.id, 'bundle')} download data-testid="export-bundle" title="Every student's files, last report in every format, pcaps and program output, and the CSV (.tar.gz)">
              Evidence bundle (.tar.gz)
            </a>
          </span>
        </div>
      </section>
      {!online && (
        <div class="banner" role="status">
          Live updates lost: reconnecting…
        </div>
      )}
      {error && (
        <div class="banner error-text" role="alert">
          {error}
        </div>
      )}
      <div class="filters">
        <label>
          Name <input type="search" value={filterText} onInput={(e) => setFilterText((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Stuck on{' '}
          <select value={stuckOn} onChange={(e) => setStuckOn((e.target as HTMLSelectElement).value)}>
            <option value="">any check</option>
            {checks.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
              </option>
            ))}
          </select>
        </label>
        <span class="muted" role="status">
          {rows.length} of {students.length} student(s)
        </span>
      </div>
      <div class="table-wrap panel">
        <table class="class" data-testid="class-table">
          <caption class="sr-only">Students of {w.title}: one column per check</caption>
          <thead>
            <tr>
              {th('name', 'Student')}
              {th('state', 'Instance')}
              {checks.map((c) => th(`check:${c.id}`, c.id, `${c.title} (${c.points} pt)`))}
              {th('score', 'Score')}
              {th('attempts', 'Attempts')}
              {th('active', 'Last activity')}
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id} data-student={s.name} class={s.id === open ? 'selected' : ''}>
                <th scope="row">
                  <button type="button" class="linklike" onClick={() => setOpen(s.id)}>
                    {s.name}
                  </button>
                </th>
                <td>
                  <span class={`badge ${s.state === 'ready' ? 'pass' : s.state === 'failed' ? 'fail' : s.state === 'checking' || s.state === 'starting' || s.state === 'queued' ? 'warn' : 'none'}`} title={s.message ?? ''}>
                    {s.state}
                    {s.queuePosition !== null ? ` #${s.queuePosition}` : ''}
                  </span>
                  {s.engine ? <span class="muted small"> on {s.engine}</span> : null}
                </td>
                {checks.map((c) => {
                  const v = cell(s, c.id);
                  return (
                    <td key={c.id} class={`cell ${v}`} data-check={c.id} data-cell={v}>
                      <span aria-hidden="true">{CELL[v].symbol}</span>
                      <span class="sr-only">{CELL[v].text}</span>
                    </td>
                  );
                })}
                <td class="num" data-testid="score">
                  {s.lastScore !== null ? `${s.lastScore}/${s.maxScore}` : '–'}
                  {s.lastStatus === 'error' ? ' (error)' : ''}
                </td>
                <td class="num">{s.attempts}</td>
                <td>{ago(s.lastActiveAt, now)}</td>
              </tr>
            ))}
          </tbody>
          {checks.length > 0 && (
            <tfoot>
              <tr>
                <th scope="row">Passed / failed</th>
                <td />
                {checks.map((c) => (
                  <td key={c.id} class="counts" data-count={c.id}>
                    <span class="pass-n">{counts[c.id]?.pass ?? 0}</span> / <span class="fail-n">{counts[c.id]?.fail ?? 0}</span>
                  </td>
                ))}
                <td colSpan={3} />
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      {openStudent && <StudentDetail key={openStudent.id} student={openStudent} lab={lab} onClose={() => setOpen(undefined)} />}
    </div>
  );
}
