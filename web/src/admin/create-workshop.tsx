import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Workshop } from '../shared/api.js';

function localInput(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Create a workshop: lab, title, capacity, end time, optional roster (one name a line). */
export function CreateWorkshop(props: { onCreated: (w: Workshop) => void; onCancel: () => void }) {
  const [labs, setLabs] = useState<{ name: string; title: string }[]>([]);
  const [lab, setLab] = useState('');
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
        labs: [lab],
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
          <label for="ws-lab">Lab</label>
          <select id="ws-lab" ref={first} value={lab} onChange={(e) => setLab((e.target as HTMLSelectElement).value)} required>
            {labs.map((l) => (
              <option key={l.name} value={l.name}>
                {l.name} — {l.title}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="ws-title">Title (optional)</label>
          <input id="ws-title" value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} placeholder="Network programming, week 4" />
        </div>
        <div class="row">
          <div class="field">
            <label for="ws-capacity">Capacity</label>
            <input id="ws-capacity" type="number" min={1} max={500} value={capacity} onInput={(e) => setCapacity(Number((e.target as HTMLInputElement).value))} required />
          </div>
          <div class="field">
            <label for="ws-ends">Ends at</label>
            <input id="ws-ends" type="datetime-local" value={ends} onInput={(e) => setEnds((e.target as HTMLInputElement).value)} required />
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
