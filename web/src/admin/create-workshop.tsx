import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Progression, type Workshop } from '../shared/api.js';

function localInput(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Create a workshop: its labs in order (the first, then any more), title, capacity, end time, optional roster (one name a line). */
export function CreateWorkshop(props: { onCreated: (w: Workshop) => void; onCancel: () => void }) {
  const [labs, setLabs] = useState<{ name: string; title: string }[]>([]);
  const [lab, setLab] = useState('');
  const [more, setMore] = useState<string[]>([]);
  const [adding, setAdding] = useState('');
  const [progression, setProgression] = useState<Progression>('ordered');
  const [title, setTitle] = useState('');
  const [capacity, setCapacity] = useState(30);
  const [ends, setEnds] = useState(localInput(new Date(Date.now() + 3 * 3600_000)));
  const [roster, setRoster] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLSelectElement>(null);

  useEffect(() => {
    api.labs().then(
      (l) => {
        setLabs(l);
        setLab((x) => x || (l.find((y) => y.name === 'tcp-handshake') ?? l[0])?.name || '');
        first.current?.focus();
      },
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, []);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const names = roster
        .split(/\r?\n|,/)
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const w = await api.createWorkshop({
        labs: [lab, ...more],
        ...(more.length > 0 ? { progression } : {}),
        capacity,
        endsAt: new Date(ends).toISOString(),
        ...(title.trim() ? { title: title.trim() } : {}),
        ...(names.length > 0 ? { roster: names } : {}),
      });
      props.onCreated(w);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };

  return (
    <section class="panel pad" aria-labelledby="create-title">
      <h2 id="create-title">New workshop</h2>
      <form onSubmit={(e) => void submit(e)} class="create-form">
        <div class="field">
          <label for="ws-lab">{more.length > 0 ? 'First lab' : 'Lab'}</label>
          <select
            id="ws-lab"
            ref={first}
            value={lab}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              setLab(v);
              setMore((l) => l.filter((x) => x !== v));
            }}
            required
          >
            {labs.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name} — {l.title}
              </option>
            ))}
          </select>
        </div>
        <fieldset class="field more-labs">
          <legend>Then these labs, in order (optional)</legend>
          {more.length > 0 && (
            <ol data-testid="more-labs">
              {more.map((m, i) => (
                <li key={m}>
                  {m}{' '}
                  <button
                    type="button"
                    class="linklike"
                    onClick={() => setMore((l) => l.filter((x) => x !== m))}
                    aria-label={`Remove ${m} (lab ${i + 2})`}
                  >
                    remove
                  </button>
                </li>
              ))}
            </ol>
          )}
          <label for="ws-more" class="sr-only">
            Lab to add
          </label>
          <select id="ws-more" value={adding} onChange={(e) => setAdding((e.target as HTMLSelectElement).value)}>
            <option value="">choose a lab…</option>
            {labs
              .filter((l) => l.name !== lab && !more.includes(l.name))
              .map((l) => (
                <option key={l.name} value={l.name}>
                  {l.name} — {l.title}
                </option>
              ))}
          </select>{' '}
          <button
            type="button"
            disabled={!adding}
            onClick={() => {
              setMore((l) => [...l, adding]);
              setAdding('');
            }}
          >
            Add lab
          </button>
          {more.length > 0 && (
            <div class="field">
              <label for="ws-progression">Students move</label>
              <select
                id="ws-progression"
                value={progression}
                onChange={(e) => setProgression((e.target as HTMLSelectElement).value as Progression)}
              >
                <option value="ordered">in order: the next lab opens once the last one reached has passed</option>
                <option value="free">freely: any lab at any time</option>
              </select>
            </div>
          )}
        </fieldset>
        <div class="field">
          <label for="ws-title">Title (optional)</label>
          <input
            id="ws-title"
            value={title}
            onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
            placeholder="Network programming, week 4"
          />
        </div>
        <div class="row">
          <div class="field">
            <label for="ws-capacity">Capacity</label>
            <input
              id="ws-capacity"
              type="number"
              min={1}
              max={500}
              value={capacity}
              onInput={(e) => setCapacity(Number((e.target as HTMLInputElement).value))}
              required
            />
          </div>
          <div class="field">
            <label for="ws-ends">Ends at</label>
            <input
              id="ws-ends"
              type="datetime-local"
              value={ends}
              onInput={(e) => setEnds((e.target as HTMLInputElement).value)}
              required
            />
          </div>
        </div>
        <div class="field">
          <label for="ws-roster">Roster (optional: one name a line; only these names can join)</label>
          <textarea id="ws-roster" rows={5} value={roster} onInput={(e) => setRoster((e.target as HTMLTextAreaElement).value)} />
        </div>
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || !lab}>
          {busy ? 'Creating…' : 'Create'}
        </button>{' '}
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </form>
    </section>
  );
}
