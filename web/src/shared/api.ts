/**
 * The workshop server's HTTP and WebSocket API as the pages use it. Shapes and paths follow
 * docs/workshop.md; this is the one place the pages name a URL.
 */
export type StudentState = 'queued' | 'starting' | 'ready' | 'checking' | 'resetting' | 'stopped' | 'failed' | 'removed';
export type AttemptStatus = 'running' | 'passed' | 'failed' | 'error';
export type Progression = 'ordered' | 'free';

/** One of the workshop's labs as a student stands on it. */
export interface LabStanding {
  name: string;
  current: boolean;
  open: boolean;
  passed: boolean;
  attempts: number;
  lastScore: number | null;
  maxScore: number | null;
  lastStatus: 'passed' | 'failed' | 'error' | null;
  failing: string[];
}

export interface Workshop {
  id: string;
  code: string;
  title: string;
  labs: string[];
  /** How students move between the labs: `ordered` (the next opens once the furthest reached passed) or `free`. */
  progression: Progression;
  capacity: number;
  warm: number;
  endsAt: string;
  createdAt: string;
  endedAt: string | null;
  roster: string[] | null;
  joinUrl: string;
  counts: { students: number; ready: number; queued: number; warmInstances: number };
}
export interface WorkshopBrief {
  id: string;
  title: string;
  endsAt: string;
}
export interface NodeInfo {
  name: string;
  running: boolean;
  addresses: { network: string; address?: string; address6?: string }[];
}
export interface Student {
  id: string;
  workshopId: string;
  name: string;
  lab: string;
  state: StudentState;
  queuePosition: number | null;
  progress: string | null;
  message: string | null;
  joinedAt: string;
  lastActiveAt: string;
  idleCullAt: string | null;
  nodes: NodeInfo[];
  /** With an engine pool: the engine that holds the instance. */
  engine: string | null;
  attempts: number;
  lastScore: number | null;
  maxScore: number | null;
  lastStatus: 'passed' | 'failed' | 'error' | null;
  failing: string[];
  /** Every lab of the workshop in order; attempts… above are those of the current lab (`lab`). */
  labs: LabStanding[];
}
export interface FileInfo {
  name: string;
  size: number;
  updatedAt: string | null;
  modified: boolean;
}
export interface FileBody extends FileInfo {
  content: string;
}
export interface AttemptSummary {
  id: number;
  lab: string;
  status: AttemptStatus;
  score: number | null;
  maxScore: number | null;
  startedAt: string;
  finishedAt: string | null;
}
export interface CheckResult {
  id: string;
  kind: string;
  title: string;
  status: 'passed' | 'failed' | 'skipped';
  points: number;
  maxPoints: number;
  message: string;
  evidence: string[];
}
export interface GradeResult {
  lab: string;
  status: 'passed' | 'failed' | 'error';
  score: number;
  maxScore: number;
  checks: CheckResult[];
  steps: { index: number; description: string; status: 'ok' | 'failed'; message?: string; durationMs: number }[];
  message?: string;
}
export interface Attempt extends AttemptSummary {
  result: GradeResult | null;
  artifacts: { name: string; size: number; url: string }[];
}
export interface LabInfo {
  name: string;
  title: string;
  summary: string | null;
  readme: { en: string | null; zh: string | null };
  graph: string;
  files: string[];
  nodes: string[];
  checks: { id: string; title: string; points: number }[];
}

export type ServerEvent =
  | { type: 'student'; student: Student }
  | { type: 'progress'; studentId: string; attemptId: number | null; line: string }
  | { type: 'attempt'; studentId: string; attempt: AttemptSummary }
  | { type: 'idle-warning'; studentId: string; cullAt: string }
  | { type: 'workshop'; workshop: Workshop };

/** An error the server answered with: `{error, message}`; `message` says what to do next. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response | undefined;
  // A request that never reached the server (a network change, a restarting server) is tried again when it
  // is safe to repeat: reads, and saves of a whole file (PUT).
  const tries = method === 'GET' || method === 'PUT' ? 3 : 1;
  for (let i = 0; res === undefined; i++) {
    try {
      res = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: body !== undefined ? { 'content-type': 'application/json' } : {},
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      if (i + 1 >= tries)
        throw new ApiError(0, 'offline', 'The server does not answer. Check your connection; the page retries by itself.');
      await new Promise((r) => setTimeout(r, 500 * 2 ** i));
    }
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown;
  try {
    data = text === '' ? undefined : JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? `http-${res.status}`, e.message ?? `The server answered ${res.status} ${res.statusText}.`);
  }
  return data as T;
}

const enc = encodeURIComponent;
const s = (sid: string): string => `/api/students/${enc(sid)}`;

export const api = {
  joinInfo: (code: string) =>
    request<{ title: string; labs: string[]; endsAt: string; roster: string[] | null }>('GET', `/api/join/${enc(code)}`),
  join: (code: string, name: string) => request<{ student: Student; workshop: WorkshopBrief }>('POST', '/api/join', { code, name }),
  logout: () => request<void>('POST', '/api/logout'),
  me: () => request<{ student: Student; workshop: WorkshopBrief }>('GET', '/api/me'),
  student: (sid: string) => request<Student>('GET', s(sid)),
  lab: (sid: string) => request<LabInfo>('GET', `${s(sid)}/lab`),
  files: (sid: string) => request<FileInfo[]>('GET', `${s(sid)}/files`),
  file: (sid: string, name: string) => request<FileBody>('GET', `${s(sid)}/files/${enc(name)}`),
  saveFile: (sid: string, name: string, content: string) => request<FileInfo>('PUT', `${s(sid)}/files/${enc(name)}`, { content }),
  resetFile: (sid: string, name: string) => request<FileBody>('DELETE', `${s(sid)}/files/${enc(name)}`),
  check: (sid: string) => request<{ attemptId: number }>('POST', `${s(sid)}/check`),
  attempts: (sid: string, lab?: string) =>
    request<AttemptSummary[]>('GET', `${s(sid)}/attempts${lab !== undefined ? `?lab=${enc(lab)}` : ''}`),
  moveLab: (sid: string, lab: string) => request<Student>('POST', `${s(sid)}/lab`, { lab }),
  labInfo: (name: string) => request<LabInfo>('GET', `/api/labs/${enc(name)}`),
  attempt: (sid: string, aid: number) => request<Attempt>('GET', `${s(sid)}/attempts/${aid}`),
  restart: (sid: string) => request<object>('POST', `${s(sid)}/restart`),
  reset: (sid: string) => request<object>('POST', `${s(sid)}/reset`),
  start: (sid: string) => request<object>('POST', `${s(sid)}/start`),
  stillHere: (sid: string) => request<Student>('POST', `${s(sid)}/still-here`),
  adminLogin: (token: string) => request<void>('POST', '/api/admin/login', { token }),
  adminLogout: () => request<void>('POST', '/api/admin/logout'),
  labs: () => request<{ name: string; title: string }[]>('GET', '/api/labs'),
  workshops: () => request<Workshop[]>('GET', '/api/workshops'),
  createWorkshop: (body: {
    labs: string[];
    title?: string;
    capacity?: number;
    endsAt?: string;
    roster?: string[];
    warm?: number;
    progression?: Progression;
  }) => request<Workshop>('POST', '/api/workshops', body),
  patchWorkshop: (wid: string, body: { endsAt?: string; capacity?: number }) =>
    request<Workshop>('PATCH', `/api/workshops/${enc(wid)}`, body),
  endWorkshop: (wid: string) => request<Workshop>('POST', `/api/workshops/${enc(wid)}/end`),
  students: (wid: string) => request<Student[]>('GET', `/api/workshops/${enc(wid)}/students`),
  exportUrl: (wid: string, format: string, lab?: string) =>
    `/api/workshops/${enc(wid)}/export?format=${enc(format)}${lab !== undefined ? `&lab=${enc(lab)}` : ''}`,
};

function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${path}`;
}

export const urls = {
  events: (workshopId?: string) => wsUrl(workshopId === undefined ? '/api/events' : `/api/events?workshop=${enc(workshopId)}`),
  terminal: (sid: string, node: string, watch = false) => wsUrl(`${s(sid)}/terminals/${enc(node)}${watch ? '?watch=1' : ''}`),
};

/** The terminal WebSocket's text (control) frames, both ways. */
export const terminalProtocol = {
  resize: (cols: number, rows: number): string => JSON.stringify({ type: 'resize', cols, rows }),
  pause: (): string => JSON.stringify({ type: 'pause' }),
  resume: (): string => JSON.stringify({ type: 'resume' }),
  input: (bytes: Uint8Array): Uint8Array => bytes,
  parseControl(
    text: string,
  ):
    { type: 'replay'; bytes: number } | { type: 'live' } | { type: 'exit'; code: number } | { type: 'error'; message: string } | undefined {
    try {
      const m = JSON.parse(text) as { type?: string };
      return typeof m.type === 'string' ? (m as ReturnType<typeof terminalProtocol.parseControl>) : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * The live event stream (`/api/events`): reconnects by itself with a growing delay; the server sends the
 * current rows first on every connect, so nothing is missed across a drop. `onStatus(false)` while down.
 */
export function subscribe(url: string, onEvent: (e: ServerEvent) => void, onStatus: (up: boolean) => void): () => void {
  let ws: WebSocket | undefined;
  let retry = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = (): void => {
    if (stopped) return;
    ws = new WebSocket(url);
    ws.onopen = () => {
      retry = 0;
      onStatus(true);
    };
    ws.onmessage = (m: MessageEvent<string>) => {
      try {
        onEvent(JSON.parse(m.data) as ServerEvent);
      } catch {
        /* not an event */
      }
    };
    ws.onclose = () => {
      if (stopped) return;
      onStatus(false);
      timer = setTimeout(open, Math.min(5000, 300 * 2 ** retry++));
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ws?.close();
  };
}
