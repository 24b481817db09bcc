/**
 * The workshop server's HTTP and WebSocket API as the pages use it: the one place the pages name a URL. The
 * shapes are the server's own (src/server/api.ts, a type-only import: nothing of it is bundled); docs/workshop.md
 * lists the routes.
 */
export type {
  Attempt,
  AttemptStatus,
  AttemptSummary,
  CheckResult,
  CreateWorkshopRequest,
  FileBody,
  FileInfo,
  GradeResult,
  JoinInfo,
  LabInfo,
  LabList,
  LabStanding,
  NodeInfo,
  PatchWorkshopRequest,
  Progression,
  ServerEvent,
  Session,
  Student,
  StudentState,
  TerminalCommand,
  TerminalControl,
  Workshop,
  WorkshopBrief,
} from '../../../src/server/api.js';
import type {
  ApiErrorBody,
  Attempt,
  AttemptSummary,
  CheckStarted,
  CreateWorkshopRequest,
  FileBody,
  FileInfo,
  JoinInfo,
  JoinRequest,
  LabInfo,
  LabList,
  MoveLabRequest,
  PatchWorkshopRequest,
  SaveFileRequest,
  ServerEvent,
  Session,
  Student,
  TerminalCommand,
  TerminalControl,
  Workshop,
} from '../../../src/server/api.js';

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
    const e = (data ?? {}) as Partial<ApiErrorBody>;
    throw new ApiError(res.status, e.error ?? `http-${res.status}`, e.message ?? `The server answered ${res.status} ${res.statusText}.`);
  }
  return data as T;
}

const enc = encodeURIComponent;
const s = (sid: string): string => `/api/students/${enc(sid)}`;

export const api = {
  joinInfo: (code: string) => request<JoinInfo>('GET', `/api/join/${enc(code)}`),
  join: (code: string, name: string) => request<Session>('POST', '/api/join', { code, name } satisfies JoinRequest),
  logout: () => request<void>('POST', '/api/logout'),
  me: () => request<Session>('GET', '/api/me'),
  student: (sid: string) => request<Student>('GET', s(sid)),
  lab: (sid: string) => request<LabInfo>('GET', `${s(sid)}/lab`),
  files: (sid: string) => request<FileInfo[]>('GET', `${s(sid)}/files`),
  file: (sid: string, name: string) => request<FileBody>('GET', `${s(sid)}/files/${enc(name)}`),
  saveFile: (sid: string, name: string, content: string) =>
    request<FileInfo>('PUT', `${s(sid)}/files/${enc(name)}`, { content } satisfies SaveFileRequest),
  resetFile: (sid: string, name: string) => request<FileBody>('DELETE', `${s(sid)}/files/${enc(name)}`),
  check: (sid: string) => request<CheckStarted>('POST', `${s(sid)}/check`),
  attempts: (sid: string, lab?: string) =>
    request<AttemptSummary[]>('GET', `${s(sid)}/attempts${lab !== undefined ? `?lab=${enc(lab)}` : ''}`),
  moveLab: (sid: string, lab: string) => request<Student>('POST', `${s(sid)}/lab`, { lab } satisfies MoveLabRequest),
  labInfo: (name: string) => request<LabInfo>('GET', `/api/labs/${enc(name)}`),
  attempt: (sid: string, aid: number) => request<Attempt>('GET', `${s(sid)}/attempts/${aid}`),
  restart: (sid: string) => request<object>('POST', `${s(sid)}/restart`),
  reset: (sid: string) => request<object>('POST', `${s(sid)}/reset`),
  start: (sid: string) => request<object>('POST', `${s(sid)}/start`),
  stillHere: (sid: string) => request<Student>('POST', `${s(sid)}/still-here`),
  adminLogin: (token: string) => request<void>('POST', '/api/admin/login', { token }),
  adminLogout: () => request<void>('POST', '/api/admin/logout'),
  labs: () => request<LabList>('GET', '/api/labs'),
  workshops: () => request<Workshop[]>('GET', '/api/workshops'),
  createWorkshop: (body: CreateWorkshopRequest) => request<Workshop>('POST', '/api/workshops', body),
  patchWorkshop: (wid: string, body: PatchWorkshopRequest) => request<Workshop>('PATCH', `/api/workshops/${enc(wid)}`, body),
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
  resize: (cols: number, rows: number): string => JSON.stringify({ type: 'resize', cols, rows } satisfies TerminalCommand),
  pause: (): string => JSON.stringify({ type: 'pause' } satisfies TerminalCommand),
  resume: (): string => JSON.stringify({ type: 'resume' } satisfies TerminalCommand),
  input: (bytes: Uint8Array): Uint8Array => bytes,
  parseControl(text: string): TerminalControl | undefined {
    try {
      const m = JSON.parse(text) as { type?: string };
      return typeof m.type === 'string' ? (m as TerminalControl) : undefined;
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
