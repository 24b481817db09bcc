import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../shared/base.css';
import './student.css';
import { api, ApiError, type Student, type WorkshopBrief } from '../shared/api.js';
import { initialLang, storeLang, translator, type Lang } from '../shared/i18n.js';
import { JoinForm } from './join.js';
import { Workspace } from './workspace.js';

/** Set in localStorage after a join (the session cookie itself is HttpOnly). */
const JOINED = 'toplab.joined';

type View = { kind: 'loading' } | { kind: 'join'; error?: string } | { kind: 'workspace'; student: Student; workshop: WorkshopBrief };

/** The event code from `/join/CODE` or `?code=CODE`, if the link carried one. */
function codeFromUrl(): string {
  const m = /^\/join\/([A-Za-z0-9]+)/.exec(location.pathname);
  return (m?.[1] ?? new URLSearchParams(location.search).get('code') ?? '').toUpperCase();
}

function App() {
  const [lang, setLang] = useState<Lang>(initialLang());
  const [view, setView] = useState<View>({ kind: 'loading' });
  const t = translator(lang);
  useEffect(() => storeLang(lang), [lang]);
  useEffect(() => {
    // Ask the server only when this browser joined before: a first visit makes no request that must fail.
    if (localStorage.getItem(JOINED) === null) {
      setView({ kind: 'join' });
      return;
    }
    api
      .me()
      .then((r) => setView({ kind: 'workspace', ...r }))
      .catch((e: unknown) => {
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) localStorage.removeItem(JOINED);
        setView({ kind: 'join', ...(e instanceof ApiError && e.status !== 401 ? { error: e.message } : {}) });
      });
  }, []);
  const toggle = (): void => setLang(lang === 'en' ? 'zh' : 'en');
  if (view.kind === 'loading')
    return (
      <p class="muted" style="padding:16px">
        …
      </p>
    );
  if (view.kind === 'join')
    return (
      <JoinForm
        t={t}
        lang={lang}
        onToggleLang={toggle}
        initialCode={codeFromUrl()}
        {...(view.error !== undefined ? { initialError: view.error } : {})}
        onJoined={(r) => {
          localStorage.setItem(JOINED, '1');
          setView({ kind: 'workspace', ...r });
        }}
      />
    );
  return (
    <Workspace
      t={t}
      lang={lang}
      onToggleLang={toggle}
      initialStudent={view.student}
      workshop={view.workshop}
      onLeave={() => {
        localStorage.removeItem(JOINED);
        void api.logout().finally(() => setView({ kind: 'join' }));
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
