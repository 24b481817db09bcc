import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Attempt, type AttemptSummary, type Student } from '../shared/api.js';
import { AttemptView } from '../shared/attempt-view.js';
import type { T } from './workspace.js';

/** Check: saves pending edits, starts an attempt, shows its steps as they run, then the full result. */
export function CheckPanel(props: {
  t: T;
  sid: string;
  /** The lab the student is on: its attempts only. */
  lab: string;
  student: Student;
  progress: { attemptId: number | null; lines: string[] };
  attemptsVersion: number;
  beforeCheck: () => Promise<void>;
  onStarted: (attemptId: number) => void;
}) {
  const { t, sid, student } = props;
  const [attempts, setAttempts] = useState<AttemptSummary[]>([]);
  const [shown, setShown] = useState<Attempt | undefined>();
  const [running, setRunning] = useState<number | undefined>();
  const [error, setError] = useState('');
  const resultRef = useRef<HTMLDivElement>(null);

  const load = async (focusResult = false): Promise<void> => {
    try {
      const list = await api.attempts(sid, props.lab);
      setAttempts(list);
      const target = running !== undefined ? list.find((a) => a.id === running) : list[0];
      if (target && target.status !== 'running') {
        const full = await api.attempt(sid, target.id);
        setShown((old) => (running !== undefined || old === undefined || old.id === full.id ? full : old));
        if (running !== undefined) {
          setRunning(undefined);
          if (focusResult) resultRef.current?.focus();
        }
      }
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  useEffect(() => void load(true), [props.attemptsVersion, sid]);

  // Events carry the finish; a slow poll covers a dropped event stream.
  useEffect(() => {
    if (running === undefined) return;
    const i = setInterval(() => void load(true), 3000);
    return () => clearInterval(i);
  }, [running]);

  const check = async (): Promise<void> => {
    setError('');
    try {
      await props.beforeCheck();
      const { attemptId } = await api.check(sid);
      setRunning(attemptId);
      props.onStarted(attemptId);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const checking = running !== undefined || student.state === 'checking';
  const labels = {
    pass: t('pass'),
    fail: t('fail'),
    skipped: t('skipped'),
    total: t('total'),
    evidence: t('evidence'),
    pcap: t('pcap'),
    error: t('error'),
  };

  return (
    <div class="check-panel">
      <div class="check-bar">
        <button
          type="button"
          class="primary big"
          onClick={() => void check()}
          disabled={checking || student.state !== 'ready'}
          data-testid="check"
        >
          {checking ? t('checking') : t('check')}
        </button>
        {student.lastScore !== null && (
          <span class="muted">
            {student.lastScore}/{student.maxScore}
          </span>
        )}
      </div>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      {checking && (
        <ol class="progress" aria-live="polite" data-testid="check-progress">
          {(props.progress.attemptId === running || running === undefined ? props.progress.lines : []).map((l, i) => (
            <li key={i}>{l}</li>
          ))}
          <li class="muted">…</li>
        </ol>
      )}
      <div ref={resultRef} tabIndex={-1} class="result-host" aria-live="polite">
        {shown ? <AttemptView attempt={shown} labels={labels} /> : !checking && <p class="muted">{t('checkIdle')}</p>}
      </div>
      <h2 class="sec">{t('attempts')}</h2>
      {attempts.length === 0 ? (
        <p class="muted">{t('noAttempts')}</p>
      ) : (
        <ul class="attempts" data-testid="attempts">
          {attempts.map((a) => (
            <li key={a.id}>
              <button
                type="button"
                class={`linklike ${shown?.id === a.id ? 'current' : ''}`}
                aria-current={shown?.id === a.id ? 'true' : undefined}
                onClick={() => void api.attempt(sid, a.id).then(setShown, (e: unknown) => setError(String(e)))}
              >
                #{a.id} {new Date(a.startedAt).toLocaleTimeString()}
              </button>{' '}
              <span
                class={`badge ${a.status === 'passed' ? 'pass' : a.status === 'failed' ? 'fail' : a.status === 'running' ? 'none' : 'warn'}`}
              >
                {a.status === 'running' ? '…' : `${a.score ?? 0}/${a.maxScore ?? '?'}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
