import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, subscribe, urls, type LabInfo, type Student, type WorkshopBrief } from '../shared/api.js';
import type { Lang, MessageKey } from '../shared/i18n.js';
import { CheckPanel } from './check-panel.js';
import { EditorPanel, type EditorPanelHandle } from './editor-panel.js';
import { ExercisePanel } from './exercise-panel.js';
import { LabSteps } from './lab-steps.js';
import { TerminalPanel } from './terminal-panel.js';

export type T = (k: MessageKey) => string;

function remaining(until: string | null, now: number): number | undefined {
  if (until === null) return undefined;
  const ms = Date.parse(until) - now;
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

const STATE_CLASS: Record<Student['state'], string> = {
  queued: 'warn',
  starting: 'warn',
  ready: 'pass',
  checking: 'warn',
  resetting: 'warn',
  stopped: 'none',
  failed: 'fail',
  removed: 'none',
};

/** The student's workspace: exercise and topology, editor, check results, terminals; live over /api/events. */
export function Workspace(props: {
  t: T;
  lang: Lang;
  onToggleLang: () => void;
  initialStudent: Student;
  workshop: WorkshopBrief;
  onLeave: () => void;
}) {
  const { t, lang } = props;
  const [student, setStudent] = useState<Student>(props.initialStudent);
  const [workshop, setWorkshop] = useState<WorkshopBrief>(props.workshop);
  const [lab, setLab] = useState<LabInfo | undefined>();
  const [labError, setLabError] = useState('');
  const [online, setOnline] = useState(true);
  const [now, setNow] = useState(Date.now());
  const [idleWarning, setIdleWarning] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ attemptId: number | null; lines: string[] }>({ attemptId: null, lines: [] });
  const [attemptsVersion, setAttemptsVersion] = useState(0);
  const [activeNode, setActiveNode] = useState<string | undefined>();
  const [openNodes, setOpenNodes] = useState<string[]>([]);
  const [notice, setNotice] = useState('');
  const editorRef = useRef<EditorPanelHandle>(null);
  const sid = student.id;

  // The lab the student is on: again when they move to another of the workshop's labs.
  useEffect(() => {
    setLab(undefined);
    setOpenNodes([]);
    setActiveNode(undefined);
    setProgress({ attemptId: null, lines: [] });
    api.lab(sid).then(setLab, (e: unknown) => setLabError(e instanceof Error ? e.message : String(e)));
  }, [sid, student.lab]);

  useEffect(
    () =>
      subscribe(
        urls.events(),
        (e) => {
          if (e.type === 'student' && e.student.id === sid) setStudent(e.student);
          else if (e.type === 'progress' && e.studentId === sid)
            setProgress((p) =>
              p.attemptId === e.attemptId
                ? { attemptId: p.attemptId, lines: [...p.lines, e.line].slice(-50) }
                : { attemptId: e.attemptId, lines: [e.line] },
            );
          else if (e.type === 'attempt' && e.studentId === sid) setAttemptsVersion((v) => v + 1);
          else if (e.type === 'idle-warning' && e.studentId === sid) setIdleWarning(e.cullAt);
          else if (e.type === 'workshop') setWorkshop({ id: e.workshop.id, title: e.workshop.title, endsAt: e.workshop.endsAt });
        },
        (up) => {
          setOnline(up);
          if (up) setAttemptsVersion((v) => v + 1);
        },
      ),
    [sid],
  );

  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(i);
  }, []);

  // The first node (in the lab's order) gets a terminal tab when the instance is ready.
  useEffect(() => {
    if (lab && openNodes.length === 0 && lab.nodes[0] !== undefined) {
      setOpenNodes([lab.nodes[0]]);
      setActiveNode(lab.nodes[0]);
    }
  }, [lab]);

  const [focusRequest, setFocusRequest] = useState(0);
  // From the topology, the address table or the menu: open the node's terminal and type into it.
  const openTerminal = useCallback((node: string) => {
    setOpenNodes((o) => (o.includes(node) ? o : [...o, node]));
    setActiveNode(node);
    setFocusRequest((n) => n + 1);
  }, []);

  const endsIn = remaining(workshop.endsAt, now);
  const idleAt = idleWarning ?? student.idleCullAt;
  const idleIn = remaining(idleAt, now);
  // The server warns a minute ahead (or at half the limit when it is short); the page also counts down.
  const showIdle =
    idleIn !== undefined && (idleWarning !== null || idleIn <= 60_000) && student.state !== 'stopped' && student.state !== 'removed';

  const stillHere = async (): Promise<void> => {
    try {
      setStudent(await api.stillHere(sid));
      setIdleWarning(null);
    } catch (e) {
      setNotice(e instanceof Error ? e.message : String(e));
    }
  };
  const moveTo = async (labName: string): Promise<void> => {
    try {
      await editorRef.current?.flush();
      setStudent(await api.moveLab(sid, labName));
      setNotice('');
    } catch (e) {
      setNotice(e instanceof Error ? e.message : String(e));
    }
  };
  const act = async (what: 'reset' | 'restart' | 'start'): Promise<void> => {
    if (what === 'reset' && !confirm(t('resetInstanceConfirm'))) return;
    try {
      if (what === 'reset') await api.reset(sid);
      else if (what === 'restart') await api.restart(sid);
      else await api.start(sid);
      setNotice('');
    } catch (e) {
      setNotice(e instanceof Error ? e.message : String(e));
    }
  };

  const nodeAddresses = useMemo(() => student.nodes, [student.nodes]);
  const busy = student.state !== 'ready';
  // The workshop ended: containers are gone for good (files and results stay readable), so nothing may start again.
  const ended = student.state === 'removed';

  return (
    <div class="page">
      <header class="bar">
        <h1>
          {lab?.title ?? student.lab} <span class="muted-light">· {workshop.title}</span>
        </h1>
        <span class={`badge ${STATE_CLASS[student.state]}`} data-testid="instance-state" title={student.message ?? student.progress ?? ''}>
          {t('state')}: {student.state}
          {student.state === 'queued' && student.queuePosition !== null ? ` #${student.queuePosition}` : ''}
        </span>
        <span class="spacer" />
        {endsIn !== undefined && !ended && (
          <span class="countdown" aria-live="off">
            {t('endsIn')} {clock(endsIn)}
          </span>
        )}
        <button type="button" onClick={() => void act('restart')} disabled={busy}>
          {t('restartPrograms')}
        </button>
        <button
          type="button"
          onClick={() => void act('reset')}
          disabled={ended || student.state === 'checking' || student.state === 'resetting'}
        >
          {t('resetInstance')}
        </button>
        <button type="button" onClick={props.onToggleLang} title={t('languageLabel')} lang={lang === 'en' ? 'zh' : 'en'}>
          {t('language')}
        </button>
        <a
          class="button"
          href={`/api/students/${encodeURIComponent(student.id)}/bundle`}
          download
          title={t('downloadMineTitle')}
          data-testid="download-mine"
        >
          {t('downloadMine')}
        </a>
        <span class="who">{student.name}</span>
        <button type="button" onClick={props.onLeave}>
          {t('leave')}
        </button>
      </header>
      <LabSteps t={t} student={student} onMove={(l) => void moveTo(l)} />
      {ended && (
        <div class="banner" role="status" data-testid="ended-banner">
          {t('workshopEnded')}
        </div>
      )}
      {!online && (
        <div class="banner" role="status">
          {t('offline')}
        </div>
      )}
      {showIdle && idleIn !== undefined && (
        <div class="banner" role="alert">
          {t('idleIn')} {clock(idleIn)}{' '}
          <button type="button" class="primary" onClick={() => void stillHere()}>
            {t('stillHere')}
          </button>
        </div>
      )}
      {(student.state === 'queued' || student.state === 'starting' || student.state === 'resetting') && (
        <div class="banner" role="status" data-testid="progress-banner">
          {student.message && <>{student.message} · </>}
          {waitLine(student, t)}
        </div>
      )}
      {(student.state === 'ready' || student.state === 'checking') && student.message && (
        <div class="banner" role="status" data-testid="instance-message">
          {student.message}
        </div>
      )}
      {(student.state === 'failed' || student.state === 'stopped') && (
        <div class="banner" role="alert">
          {student.message ?? student.state}{' '}
          <button type="button" onClick={() => void act('start')}>
            {t('start')}
          </button>
        </div>
      )}
      {notice && (
        <div class="banner error-text" role="alert">
          {notice}
        </div>
      )}
      {labError && (
        <div class="banner error-text" role="alert">
          {labError}
        </div>
      )}
      <main class="ws">
        <section class="left panel" aria-label={t('exercise')}>
          {lab && (
            <ExercisePanel
              t={t}
              lang={lang}
              lab={lab}
              position={student.labs.length > 1 ? student.labs.findIndex((l) => l.current) + 1 || undefined : undefined}
              nodes={nodeAddresses}
              onNode={openTerminal}
            />
          )}
        </section>
        <section class="middle panel" aria-label={t('files')}>
          {lab && <EditorPanel key={lab.name} handle={editorRef} t={t} sid={sid} files={lab.files} />}
        </section>
        <section class="right panel" aria-label={t('check')}>
          <CheckPanel
            key={student.lab}
            lab={student.lab}
            t={t}
            sid={sid}
            student={student}
            progress={progress}
            attemptsVersion={attemptsVersion}
            beforeCheck={async () => {
              await editorRef.current?.flush();
            }}
            onStarted={(attemptId) => setProgress({ attemptId, lines: [] })}
          />
        </section>
        <section class="terms panel" aria-label={t('terminals')}>
          {lab && !ended && (
            <TerminalPanel
              key={lab.name}
              t={t}
              sid={sid}
              nodes={lab.nodes}
              open={openNodes}
              active={activeNode}
              onOpen={openTerminal}
              onSelect={setActiveNode}
              focusRequest={focusRequest}
              ready={student.state !== 'queued' && student.state !== 'starting'}
            />
          )}
        </section>
      </main>
    </div>
  );
}

/**
 * What a waiting student waits for: the progress of the instance being made for them ("Starting your lab: 2 of
 * 4 containers"), else their place in the queue, else the server's own line.
 */
function waitLine(student: Student, t: (k: MessageKey) => string): string {
  const made = /^starting your lab: (\d+) of (\d+) containers(,)?/.exec(student.progress ?? '');
  if (made)
    return made[3]
      ? t('capture')
      : t('containers')
          .replace('{n}', made[1] ?? '0')
          .replace('{total}', made[2] ?? '?');
  if (student.state === 'queued' && student.queuePosition !== null) return `${t('queue')} ${student.queuePosition}`;
  return student.progress ?? t('starting');
}
