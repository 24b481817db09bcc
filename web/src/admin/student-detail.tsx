import { useEffect, useRef, useState } from 'preact/hooks';
import { api, urls, type Attempt, type AttemptSummary, type FileBody, type LabInfo, type Student } from '../shared/api.js';
import { AttemptView } from '../shared/attempt-view.js';
import { importRetrying } from '../shared/lazy.js';
import { tablistKeys } from '../shared/tabs.js';

const LABELS = {
  pass: 'PASS',
  fail: 'FAIL',
  skipped: 'SKIPPED',
  total: 'Total',
  evidence: 'Evidence',
  pcap: 'Capture (.pcap)',
  error: 'ERROR',
};

/** One student: their files, attempts with full results and pcaps, a read-only view of a terminal, reset. */
export function StudentDetail(props: { student: Student; labs: string[]; lab: LabInfo | undefined; onClose: () => void }) {
  const s = props.student;
  const [tab, setTab] = useState<'files' | 'attempts' | 'terminal'>('attempts');
  const [files, setFiles] = useState<FileBody[]>([]);
  const [attempts, setAttempts] = useState<AttemptSummary[]>([]);
  const [attempt, setAttempt] = useState<Attempt | undefined>();
  // The node whose terminal the student's page opens first (the lab's first node), not the first by name.
  const [node, setNode] = useState(props.lab?.nodes[0] ?? s.nodes[0]?.name ?? '');
  const [error, setError] = useState('');
  const termHost = useRef<HTMLDivElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), [s.id]);

  useEffect(() => {
    api
      .files(s.id)
      .then((list) => Promise.all(list.map((f) => api.file(s.id, f.name))))
      .then(setFiles, (e: unknown) => setError(String(e)));
  }, [s.id, s.lastActiveAt, s.lab]);

  useEffect(() => {
    api.attempts(s.id).then(
      (l) => {
        setAttempts(l);
        const last = l.find((a) => a.status !== 'running');
        if (last && attempt === undefined) void api.attempt(s.id, last.id).then(setAttempt);
      },
      (e: unknown) => setError(String(e)),
    );
  }, [s.id, s.attempts, s.lastStatus]);

  useEffect(() => {
    const host = termHost.current;
    if (tab !== 'terminal' || !host || !node) return;
    // xterm.js loads only when an instructor opens a terminal: the dashboard itself stays small.
    let v: { dispose(): void } | undefined;
    let live = true;
    importRetrying(() => import('../shared/terminal.js')).then(
      ({ TerminalView }) => {
        if (live)
          v = new TerminalView(host, () => urls.terminal(s.id, node, true), {
            readOnly: true,
            label: `Read-only terminal of ${s.name} in ${node}`,
          });
      },
      (e: unknown) => setError(String(e)),
    );
    return () => {
      live = false;
      v?.dispose();
    };
  }, [tab, node, s.id]);

  const [moveTarget, setMoveTarget] = useState('');
  const move = async (): Promise<void> => {
    if (
      !moveTarget ||
      !confirm(`Move ${s.name} to ${moveTarget}? Their instance of ${s.lab} is replaced; the files of every lab are kept.`)
    )
      return;
    try {
      await api.moveLab(s.id, moveTarget);
      setMoveTarget('');
    } catch (e) {
      setError(String(e));
    }
  };

  const reset = async (): Promise<void> => {
    if (!confirm(`Recreate ${s.name}'s lab instance? Their files are kept.`)) return;
    try {
      await api.reset(s.id);
    } catch (e) {
      setError(String(e));
    }
  };

  return (
    <section class="detail panel pad" aria-labelledby="detail-title">
      <div class="detail-head">
        <h2 id="detail-title" tabIndex={-1} ref={heading}>
          {s.name} <span class="muted small">{s.state}</span>
        </h2>
        <span class="spacer" />
        {props.labs.length > 1 && (
          <span class="move-lab">
            <label for="move-lab">On {s.lab}; move to</label>{' '}
            <select id="move-lab" value={moveTarget} onChange={(e) => setMoveTarget((e.target as HTMLSelectElement).value)}>
              <option value="">another lab…</option>
              {props.labs
                .filter((l) => l !== s.lab)
                .map((l) => (
                  <option key={l} value={l}>
                    {props.labs.indexOf(l) + 1}. {l}
                  </option>
                ))}
            </select>{' '}
            <button type="button" disabled={!moveTarget} onClick={() => void move()}>
              Move
            </button>
          </span>
        )}
        <button type="button" class="danger" onClick={() => void reset()}>
          Reset instance
        </button>
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      {s.message && <p class="muted">{s.message}</p>}
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      <div class="tabs" role="tablist" aria-label="Student details" onKeyDown={tablistKeys}>
        {(['attempts', 'files', 'terminal'] as const).map((x) => (
          <button
            type="button"
            role="tab"
            key={x}
            id={`detail-tab-${x}`}
            aria-selected={tab === x}
            aria-controls={tab === x ? `detail-pane-${x}` : undefined}
            tabIndex={tab === x ? 0 : -1}
            onClick={() => setTab(x)}
          >
            {x === 'attempts' ? `Attempts (${attempts.length})` : x === 'files' ? 'Files' : 'Terminal (read-only)'}
          </button>
        ))}
      </div>
      <div role="tabpanel" class="detail-body" id={`detail-pane-${tab}`} aria-labelledby={`detail-tab-${tab}`}>
        {tab === 'attempts' && (
          <div class="attempts-split">
            <ul class="attempts">
              {attempts.map((a) => (
                <li key={a.id}>
                  <button
                    type="button"
                    class={`linklike ${attempt?.id === a.id ? 'current' : ''}`}
                    onClick={() => void api.attempt(s.id, a.id).then(setAttempt)}
                  >
                    #{a.id} {new Date(a.startedAt).toLocaleTimeString()}
                  </button>{' '}
                  {props.labs.length > 1 && <span class="muted small">{a.lab} </span>}
                  <span class={`badge ${a.status === 'passed' ? 'pass' : a.status === 'failed' ? 'fail' : 'warn'}`}>
                    {a.status === 'running' ? '…' : `${a.score ?? 0}/${a.maxScore ?? '?'}`}
                  </span>
                </li>
              ))}
            </ul>
            <div>{attempt ? <AttemptView attempt={attempt} labels={LABELS} /> : <p class="muted">No attempts yet.</p>}</div>
          </div>
        )}
        {tab === 'files' &&
          files.map((f) => (
            <details key={f.name} open>
              <summary>
                <code>{f.name}</code>{' '}
                <span class="muted small">
                  {f.modified ? `changed ${f.updatedAt ? new Date(f.updatedAt).toLocaleTimeString() : ''}` : 'starter'}
                </span>
              </summary>
              <pre class="file">{f.content}</pre>
            </details>
          ))}
        {tab === 'terminal' && (
          <div>
            <label>
              Node{' '}
              <select value={node} onChange={(e) => setNode((e.target as HTMLSelectElement).value)}>
                {(props.lab?.nodes ?? s.nodes.map((n) => n.name)).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </label>{' '}
            <span class="muted small">Watching is written to the audit log.</span>
            <div class="term-host watch" ref={termHost} />
          </div>
        )}
      </div>
    </section>
  );
}
