import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../shared/api.js';
import { createEditor, type CodeEditor } from '../shared/editor.js';
import { tablistKeys } from '../shared/tabs.js';
import type { T } from './workspace.js';

export interface EditorPanelHandle {
  /** Saves every file with unsaved changes now; resolves when the server has them (or a save failed). */
  flush(): Promise<void>;
}

type SaveState = 'loading' | 'saved' | 'unsaved' | 'saving' | 'failed';

interface Doc {
  editor?: CodeEditor;
  timer?: ReturnType<typeof setTimeout>;
  saving?: Promise<void>;
  dirty: boolean;
}

const SAVE_DELAY_MS = 700;
const RETRY_MS = 3000;

/**
 * The submission files in tabs, each in its own CodeMirror editor (kept while the page lives). A change is
 * saved after a short pause; the tab shows saved / saving / failed, and a failed save is retried.
 */
export function EditorPanel(props: { t: T; sid: string; files: string[]; handle: RefObject<EditorPanelHandle | null> }) {
  const { t, sid, files } = props;
  const [active, setActive] = useState(files[0] ?? '');
  const [states, setStates] = useState<Record<string, SaveState>>({});
  const [error, setError] = useState('');
  const docs = useRef(new Map<string, Doc>());
  const hosts = useRef(new Map<string, HTMLDivElement>());

  const setState = (name: string, s: SaveState): void => setStates((o) => ({ ...o, [name]: s }));

  const save = async (name: string): Promise<void> => {
    const d = docs.current.get(name);
    if (!d?.editor) return;
    if (d.saving) await d.saving;
    if (!d.dirty) return;
    clearTimeout(d.timer);
    d.dirty = false;
    setState(name, 'saving');
    const text = d.editor.getText();
    d.saving = api.saveFile(sid, name, text).then(
      () => {
        d.saving = undefined;
        setState(name, d.dirty ? 'unsaved' : 'saved');
        setError('');
      },
      (e: unknown) => {
        d.saving = undefined;
        d.dirty = true;
        setState(name, 'failed');
        setError(e instanceof Error ? e.message : String(e));
        d.timer = setTimeout(() => void save(name), RETRY_MS);
      },
    );
    await d.saving;
  };

  props.handle.current = {
    async flush() {
      await Promise.all([...docs.current.keys()].map((n) => save(n)));
    },
  };

  // Open the active file's editor the first time its tab is shown.
  useEffect(() => {
    const name = active;
    const host = hosts.current.get(name);
    if (!name || !host || docs.current.has(name)) return;
    const d: Doc = { dirty: false };
    docs.current.set(name, d);
    setState(name, 'loading');
    api
      .file(sid, name)
      .then((f) =>
        createEditor(host, {
          text: f.content,
          fileName: name,
          onChange: () => {
            d.dirty = true;
            setState(name, 'unsaved');
            clearTimeout(d.timer);
            d.timer = setTimeout(() => void save(name), SAVE_DELAY_MS);
          },
        }),
      )
      .then((ed) => {
        d.editor = ed;
        setState(name, 'saved');
      })
      .catch((e: unknown) => {
        docs.current.delete(name);
        setState(name, 'failed');
        setError(e instanceof Error ? e.message : String(e));
      });
  }, [active, sid]);

  useEffect(
    () => () => {
      for (const d of docs.current.values()) {
        clearTimeout(d.timer);
        d.editor?.destroy();
      }
    },
    [],
  );

  const resetFile = async (): Promise<void> => {
    if (!confirm(t('resetFileConfirm'))) return;
    const d = docs.current.get(active);
    try {
      clearTimeout(d?.timer);
      if (d?.saving) await d.saving;
      const f = await api.resetFile(sid, active);
      if (d?.editor) {
        d.editor.setText(f.content);
        clearTimeout(d.timer);
        d.dirty = false;
      }
      setState(active, 'saved');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const label = (s: SaveState | undefined): string =>
    s === 'saving' ? t('saving') : s === 'failed' ? t('saveFailed') : s === 'unsaved' ? t('unsaved') : s === 'loading' ? '…' : t('saved');

  return (
    <div class="editor-panel">
      <div class="tabs">
        <div class="tablist" role="tablist" aria-label={t('files')} onKeyDown={tablistKeys}>
          {files.map((f) => (
            <button
              type="button"
              role="tab"
              id={`file-tab-${f}`}
              key={f}
              aria-selected={f === active}
              aria-controls={`file-pane-${f}`}
              tabIndex={f === active ? 0 : -1}
              onClick={() => setActive(f)}
            >
              {f}
              {(states[f] === 'unsaved' || states[f] === 'saving') && <span aria-hidden="true"> •</span>}
              {states[f] === 'failed' && <span aria-hidden="true"> !</span>}
            </button>
          ))}
        </div>
        <span class="spacer" />
        <span class={`save-state ${states[active] ?? ''}`} role="status" data-testid="save-state" data-state={states[active] ?? ''}>
          {label(states[active])}
        </span>
        <button type="button" onClick={() => void resetFile()} disabled={!active}>
          {t('resetFile')}
        </button>
      </div>
      {error && (
        <p class="error-text small" role="alert">
          {error}
        </p>
      )}
      {files.map((f) => (
        <div
          key={f}
          id={`file-pane-${f}`}
          role="tabpanel"
          aria-labelledby={`file-tab-${f}`}
          class="editor-host"
          hidden={f !== active}
          data-file={f}
          ref={(el) => {
            if (el) hosts.current.set(f, el);
          }}
        />
      ))}
    </div>
  );
}
