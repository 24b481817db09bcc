import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../shared/base.css';
import './admin.css';
import { api, ApiError, type Workshop } from '../shared/api.js';
import { ClassView } from './class-view.js';
import { CreateWorkshop } from './create-workshop.js';

const SIGNED_IN = 'toplab.admin';

function Login(props: { onDone: () => void; error?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(props.error ?? '');
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await api.adminLogin(token.trim());
      props.onDone();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <main class="card panel">
      <h2>Instructor sign-in</h2>
      <p class="muted">The admin token was printed once in the server's log (or set with TOPLAB_ADMIN_TOKEN).</p>
      <form onSubmit={(e) => void submit(e)}>
        <input type="text" name="username" autocomplete="username" value="instructor" hidden readOnly />
        <div class="field">
          <label for="admin-token">Admin token</label>
          <input
            id="admin-token"
            type="password"
            autocomplete="current-password"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            required
          />
        </div>
        {error && (
          <p class="error-text" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit">
          Sign in
        </button>
      </form>
    </main>
  );
}

function Dashboard() {
  const [auth, setAuth] = useState<'unknown' | 'no' | 'yes'>('unknown');
  const [workshops, setWorkshops] = useState<Workshop[]>([]);
  const [selected, setSelected] = useState<string | undefined>(new URLSearchParams(location.search).get('workshop') ?? undefined);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState('');

  const load = async (): Promise<void> => {
    try {
      const list = await api.workshops();
      setWorkshops(list);
      localStorage.setItem(SIGNED_IN, '1');
      setAuth('yes');
      setSelected((s) => s ?? list.find((w) => w.endedAt === null)?.id);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
        localStorage.removeItem(SIGNED_IN);
        setAuth('no');
      } else setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    // A browser that never signed in asks nothing that must fail (a 401 shows as a console error).
    if (localStorage.getItem(SIGNED_IN) === null) setAuth('no');
    else void load();
  }, []);
  // The list's counts (students per workshop) stay current without a reload.
  useEffect(() => {
    if (auth !== 'yes') return;
    const i = setInterval(() => void load(), 15_000);
    return () => clearInterval(i);
  }, [auth]);
  useEffect(() => {
    if (selected !== undefined) history.replaceState(null, '', `?workshop=${encodeURIComponent(selected)}`);
  }, [selected]);

  const current = workshops.find((w) => w.id === selected);
  return (
    <div class="page">
      <header class="bar">
        <h1>toplab · instructor</h1>
        <span class="spacer" />
        {auth === 'yes' && (
          <button
            type="button"
            onClick={() => {
              localStorage.removeItem(SIGNED_IN);
              void api.adminLogout().finally(() => setAuth('no'));
            }}
          >
            Sign out
          </button>
        )}
      </header>
      {error && (
        <div class="banner error-text" role="alert">
          {error}
        </div>
      )}
      {auth === 'no' && <Login onDone={() => void load()} />}
      {auth === 'yes' && (
        <div class="admin">
          <nav class="side panel" aria-label="Workshops">
            <h2 class="sec">Workshops</h2>
            <button type="button" class="primary" onClick={() => setCreating(true)} aria-expanded={creating}>
              New workshop
            </button>
            <ul class="workshops">
              {workshops.map((w) => (
                <li key={w.id}>
                  <button
                    type="button"
                    class={`ws-item ${w.id === selected ? 'current' : ''}`}
                    aria-current={w.id === selected ? 'page' : undefined}
                    onClick={() => {
                      setSelected(w.id);
                      setCreating(false);
                    }}
                  >
                    <strong>{w.title}</strong>
                    <span class="muted small">
                      {w.code} · {w.labs.join(', ')} · {w.counts.students} student(s){w.endedAt !== null ? ' · ended' : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          <main class="content">
            {creating ? (
              <CreateWorkshop
                onCancel={() => setCreating(false)}
                onCreated={(w) => {
                  setWorkshops((l) => [w, ...l.filter((x) => x.id !== w.id)]);
                  setSelected(w.id);
                  setCreating(false);
                }}
              />
            ) : current ? (
              <ClassView
                key={current.id}
                workshop={current}
                onWorkshop={(w) => setWorkshops((l) => l.map((x) => (x.id === w.id ? w : x)))}
              />
            ) : (
              <p class="muted">Create a workshop to start.</p>
            )}
          </main>
        </div>
      )}
    </div>
  );
}

const root = document.getElementById('app');
if (root) render(<Dashboard />, root);
