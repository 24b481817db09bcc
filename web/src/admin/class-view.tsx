import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, subscribe, urls, type LabInfo, type LabStanding, type Student, type Workshop } from '../shared/api.js';
import { tablistKeys } from '../shared/tabs.js';
import { StudentDetail } from './student-detail.js';

type CheckCell = 'pass' | 'fail' | 'none';
const CELL: Record<CheckCell, { symbol: string; text: string }> = {
  pass: { symbol: '✔', text: 'passed' },
  fail: { symbol: '✘', text: 'failed' },
  none: { symbol: '·', text: 'not checked yet' },
};

/** A student on one lab of the workshop: their attempts and last result there. */
function on(s: Student, lab: string): Pick<LabStanding, 'attempts' | 'lastScore' | 'maxScore' | 'lastStatus' | 'failing'> {
  return (
    s.labs?.find((l) => l.name === lab) ??
    (s.lab === lab ? s : { attempts: 0, lastScore: null, maxScore: null, lastStatus: null, failing: [] })
  );
}

/** A check's state for a student on a lab, from their last attempt there: failing ids are listed; the rest passed. */
function cell(s: Student, lab: string, check: string): CheckCell {
  const st = on(s, lab);
  if (st.lastStatus === null) return 'none';
  if (st.lastStatus === 'error') return 'none';
  return st.failing.includes(check) ? 'fail' : 'pass';
}

type SortKey = 'name' | 'state' | 'lab' | 'score' | 'attempts' | 'active' | `check:${string}`;

function ago(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.floor(s / 60)}m ago` : `${Math.floor(s / 3600)}h ago`;
}

const FORMATS = ['csv', 'json', 'junit', 'gradescope', 'classroom', 'tap'];

/**
 * One workshop: the join code (big), exports, and the live class table with per-check columns. A workshop of
 * several labs has a tab per lab: the table shows every student's results on that lab, and where each is now.
 */
export function ClassView(props: { workshop: Workshop; onWorkshop: (w: Workshop) => void }) {
  const w = props.workshop;
  const several = w.labs.length > 1;
  const [viewLab, setViewLab] = useState<string>(w.labs[0] ?? '');
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
          setStudents((l) =>
            l.some((s) => s.id === e.student.id) ? l.map((s) => (s.id === e.student.id ? e.student : s)) : [...l, e.student],
          );
        else if (e.type === 'workshop' && e.workshop.id === w.id) props.onWorkshop(e.workshop);
      },
      setOnline,
    );
  }, [w.id]);

  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(i);
  }, []);

  // The check columns come from the lab shown.
  useEffect(() => {
    if (!viewLab) return;
    setStuckOn('');
    api.labInfo(viewLab).then(setLab, (e: unknown) => setError(String(e)));
  }, [viewLab]);
  const checks = lab?.name === viewLab ? lab.checks : [];

  const rows = useMemo(() => {
    const f = filterText.trim().toLowerCase();
    const list = students.filter((s) => (!f || s.name.toLowerCase().includes(f)) && (!stuckOn || cell(s, viewLab, stuckOn) === 'fail'));
    const key = (s: Student): string | number => {
      if (sort.key === 'name') return s.name.toLowerCase();
      if (sort.key === 'state') return s.state;
      if (sort.key === 'lab') return w.labs.indexOf(s.lab);
      if (sort.key === 'score') return on(s, viewLab).lastScore ?? -1;
      if (sort.key === 'attempts') return on(s, viewLab).attempts;
      if (sort.key === 'active') return Date.parse(s.lastActiveAt);
      const c = cell(s, viewLab, sort.key.slice(6));
      return c === 'fail' ? 0 : c === 'none' ? 1 : 2;
    };
    return [...list].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
    });
  }, [students, sort, filterText, stuckOn, viewLab]);

  const counts = useMemo(
    () =>
      Object.fromEntries(
        checks.map((c) => [
          c.id,
          {
            pass: students.filter((s) => cell(s, viewLab, c.id) === 'pass').length,
            fail: students.filter((s) => cell(s, viewLab, c.id) === 'fail').length,
          },
        ]),
      ),
    [students, checks, viewLab],
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
      props.onWorkshop(
        await api.patchWorkshop(w.id, { endsAt: new Date(Math.max(Date.parse(w.endsAt), Date.now()) + 30 * 60_000).toISOString() }),
      );
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
            {w.title} · {w.labs.join(several ? ' → ' : ', ')}
            {several ? ` (${w.progression === 'free' ? 'any order' : 'in order'})` : ''} · ends {new Date(w.endsAt).toLocaleString()}
            {w.endedAt !== null ? ' · ENDED' : ''} · {students.length}/{w.capacity} joined,{' '}
            {students.filter((s) => s.state === 'ready' || s.state === 'checking').length} ready,{' '}
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
            Export{several ? ` ${viewLab}` : ''}:{' '}
            {FORMATS.map((f) => (
              <a key={f} href={api.exportUrl(w.id, f, several ? viewLab : undefined)} download data-format={f}>
                {f}
              </a>
            ))}{' '}
            {several && (
              <a href={api.exportUrl(w.id, 'csv')} download data-testid="export-all-csv">
                csv (all labs)
              </a>
            )}{' '}
            <a
              class="button"
              href={api.exportUrl(w.id, 'bundle')}
              download
              data-testid="export-bundle"
              title="Every student's files, last report in every format, pcaps and program output, and the CSV (.tar.gz)"
            >
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
      {several && (
        <div class="tabs lab-tabs" role="tablist" aria-label="Labs of this workshop" onKeyDown={tablistKeys}>
          {w.labs.map((l, i) => (
            <button
              type="button"
              role="tab"
              key={l}
              id={`lab-tab-${l}`}
              aria-selected={l === viewLab}
              aria-controls={l === viewLab ? 'class-pane' : undefined}
              tabIndex={l === viewLab ? 0 : -1}
              onClick={() => setViewLab(l)}
              data-lab={l}
            >
              {i + 1}. {l} <span class="muted small">({students.filter((s) => s.lab === l).length} on it)</span>
            </button>
          ))}
        </div>
      )}
      <div class="table-wrap panel" {...(several ? { role: 'tabpanel', id: 'class-pane', 'aria-labelledby': `lab-tab-${viewLab}` } : {})}>
        <table class="class" data-testid="class-table" data-lab={viewLab}>
          <caption class="sr-only">
            Students of {w.title}
            {several ? `, on ${viewLab}` : ''}: one column per check
          </caption>
          <thead>
            <tr>
              {th('name', 'Student')}
              {th('state', 'Instance')}
              {several && th('lab', 'On lab')}
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
                  <span
                    class={`badge ${s.state === 'ready' ? 'pass' : s.state === 'failed' ? 'fail' : s.state === 'checking' || s.state === 'starting' || s.state === 'queued' ? 'warn' : 'none'}`}
                    title={s.message ?? ''}
                  >
                    {s.state}
                    {s.queuePosition !== null ? ` #${s.queuePosition}` : ''}
                  </span>
                  {s.engine ? <span class="muted small"> on {s.engine}</span> : null}
                </td>
                {several && (
                  <td data-testid="on-lab">
                    {w.labs.indexOf(s.lab) + 1}. {s.lab}
                  </td>
                )}
                {checks.map((c) => {
                  const v = cell(s, viewLab, c.id);
                  return (
                    <td key={c.id} class={`cell ${v}`} data-check={c.id} data-cell={v}>
                      <span aria-hidden="true">{CELL[v].symbol}</span>
                      <span class="sr-only">{CELL[v].text}</span>
                    </td>
                  );
                })}
                <td class="num" data-testid="score">
                  {on(s, viewLab).lastScore !== null ? `${on(s, viewLab).lastScore}/${on(s, viewLab).maxScore}` : '–'}
                  {on(s, viewLab).lastStatus === 'error' ? ' (error)' : ''}
                </td>
                <td class="num">{on(s, viewLab).attempts}</td>
                <td>{ago(s.lastActiveAt, now)}</td>
              </tr>
            ))}
          </tbody>
          {checks.length > 0 && (
            <tfoot>
              <tr>
                <th scope="row">Passed / failed</th>
                <td />
                {several && <td />}
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
      {openStudent && (
        <StudentDetail
          key={openStudent.id}
          student={openStudent}
          labs={w.labs}
          lab={lab?.name === openStudent.lab ? lab : undefined}
          onClose={() => setOpen(undefined)}
        />
      )}
    </div>
  );
}
