import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Student, type WorkshopBrief } from '../shared/api.js';
import type { Lang, MessageKey } from '../shared/i18n.js';

/** Join: the event code, then a name (typed, or picked from the roster when the workshop has one). */
export function JoinForm(props: {
  t: (k: MessageKey) => string;
  lang: Lang;
  onToggleLang: () => void;
  initialCode: string;
  initialError?: string;
  onJoined: (r: { student: Student; workshop: WorkshopBrief }) => void;
}) {
  const { t } = props;
  const [code, setCode] = useState(props.initialCode);
  const [name, setName] = useState('');
  const [info, setInfo] = useState<{ title: string; roster: string[] | null } | undefined>();
  const [error, setError] = useState(props.initialError ?? '');
  const [busy, setBusy] = useState(false);
  const nameRef = useRef<HTMLInputElement & HTMLSelectElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const c = code.trim().toUpperCase();
    setInfo(undefined);
    if (c.length !== 6) return;
    let live = true;
    api
      .joinInfo(c)
      .then((i) => {
        if (!live) return;
        setInfo(i);
        setError('');
      })
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, [code]);

  useEffect(() => {
    (props.initialCode.length === 6 ? nameRef : codeRef).current?.focus();
  }, []);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      props.onJoined(await api.join(code.trim().toUpperCase(), name.trim()));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <>
      <header class="bar">
        <h1>{t('title')}</h1>
        <span class="spacer" />
        <button type="button" onClick={props.onToggleLang} title={t('languageLabel')} lang={props.lang === 'en' ? 'zh' : 'en'}>
          {t('language')}
        </button>
      </header>
      <main class="card panel">
        <h2>{t('joinTitle')}</h2>
        {info && <p class="muted">{info.title}</p>}
        <form onSubmit={(e) => void submit(e)}>
          <div class="field">
            <label for="join-code">{t('code')}</label>
            <input
              id="join-code"
              ref={codeRef}
              value={code}
              autocomplete="off"
              spellcheck={false}
              maxLength={6}
              style="text-transform:uppercase;letter-spacing:2px"
              onInput={(e) => setCode((e.target as HTMLInputElement).value)}
              required
            />
          </div>
          <div class="field">
            <label for="join-name">{info?.roster ? t('pickName') : t('name')}</label>
            {info?.roster ? (
              <select id="join-name" ref={nameRef} value={name} onChange={(e) => setName((e.target as HTMLSelectElement).value)} required>
                <option value="">—</option>
                {info.roster.map((n) => (
                  <option value={n} key={n}>
                    {n}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id="join-name"
                ref={nameRef}
                value={name}
                maxLength={64}
                autocomplete="name"
                onInput={(e) => setName((e.target as HTMLInputElement).value)}
                required
              />
            )}
          </div>
          {error && (
            <p class="error-text" role="alert">
              {error}
            </p>
          )}
          <button class="primary" type="submit" disabled={busy || code.trim().length === 0 || name.trim().length === 0}>
            {busy ? t('joining') : t('join')}
          </button>
        </form>
      </main>
    </>
  );
}
