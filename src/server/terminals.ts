import type Docker from 'dockerode';
import type { TerminalControl } from './api.js';
import type { WebSocket } from 'ws';
import { openTerminal, type TerminalExec } from '../app/terminal.js';

/** Output kept per terminal and replayed to a socket that (re)connects. */
export const SCROLLBACK_BYTES = 256 * 1024;
/** The exec stream is paused while a socket has more than this queued (the program then blocks on write). */
export const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

interface Attached {
  ws: WebSocket;
  readOnly: boolean;
  paused: boolean;
}

/** Bounded scroll-back: the last `limit` bytes of output, in chunks. */
class Scrollback {
  private chunks: Buffer[] = [];
  private bytes = 0;
  constructor(private readonly limit: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.bytes += b.length;
    while (this.bytes > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const over = this.bytes - this.limit;
      if (first.length <= over) {
        this.chunks.shift();
        this.bytes -= first.length;
      } else {
        this.chunks[0] = first.subarray(over);
        this.bytes -= over;
      }
    }
  }
  read(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** One shell in one node of one student's instance, kept across socket reconnects. */
class Terminal {
  readonly scrollback = new Scrollback(SCROLLBACK_BYTES);
  readonly sockets = new Set<Attached>();
  private keepTimer: NodeJS.Timeout | undefined;
  private flowTimer: NodeJS.Timeout | undefined;
  ended = false;

  constructor(
    readonly key: string,
    readonly exec: TerminalExec,
    private readonly keepMs: number,
    private readonly onGone: () => void,
  ) {
    exec.stream.on('data', (b: Buffer) => {
      this.scrollback.push(b);
      for (const a of this.sockets) if (a.ws.readyState === a.ws.OPEN) a.ws.send(b, { binary: true });
      this.flow();
    });
    void exec.exited.then((code) => {
      this.ended = true;
      for (const a of this.sockets) {
        if (a.ws.readyState === a.ws.OPEN) a.ws.send(JSON.stringify({ type: 'exit', code } satisfies TerminalControl));
        a.ws.close(1000, 'the shell ended');
      }
      this.dispose();
    });
  }

  /** Pauses the exec stream while any socket is behind or asked for a pause; resumes when all have drained. */
  flow(): void {
    const behind = [...this.sockets].some((a) => a.paused || a.ws.bufferedAmount > HIGH_WATER);
    if (behind || this.sockets.size === 0) {
      if (!this.exec.stream.isPaused()) this.exec.stream.pause();
      if (!this.flowTimer && this.sockets.size > 0) {
        this.flowTimer = setInterval(() => {
          const still = [...this.sockets].some((a) => a.paused || a.ws.bufferedAmount > LOW_WATER);
          if (!still && this.sockets.size > 0) {
            clearInterval(this.flowTimer);
            this.flowTimer = undefined;
            this.exec.stream.resume();
          }
        }, 20);
      }
    } else if (this.exec.stream.isPaused() && !this.flowTimer) {
      this.exec.stream.resume();
    }
  }

  attach(ws: WebSocket, readOnly: boolean): void {
    if (this.keepTimer) clearTimeout(this.keepTimer);
    this.keepTimer = undefined;
    if (!readOnly) {
      // One interactive socket per terminal: the newest (a reload, another tab) takes over.
      for (const a of this.sockets) if (!a.readOnly) a.ws.close(4001, 'opened elsewhere');
    }
    const me: Attached = { ws, readOnly, paused: false };
    const replay = this.scrollback.read();
    ws.send(JSON.stringify({ type: 'replay', bytes: replay.length } satisfies TerminalControl));
    if (replay.length > 0) ws.send(replay, { binary: true });
    ws.send(JSON.stringify({ type: 'live' } satisfies TerminalControl));
    this.sockets.add(me);
    this.flow();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (!readOnly && !this.ended) this.exec.stream.write(data);
        return;
      }
      let msg: { type?: unknown; cols?: unknown; rows?: unknown };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return;
      }
      if (msg.type === 'resize' && !readOnly && typeof msg.cols === 'number' && typeof msg.rows === 'number')
        this.exec.resize({ cols: msg.cols, rows: msg.rows });
      else if (msg.type === 'pause') me.paused = true;
      else if (msg.type === 'resume') me.paused = false;
      this.flow();
    });
    ws.on('close', () => {
      this.sockets.delete(me);
      if (this.sockets.size === 0 && !this.ended) {
        this.flow();
        this.keepTimer = setTimeout(() => this.end(), this.keepMs);
        this.keepTimer.unref();
      }
    });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const a of this.sockets) a.ws.close(1001, 'terminal closed');
    this.exec.close();
    this.dispose();
  }

  private dispose(): void {
    if (this.keepTimer) clearTimeout(this.keepTimer);
    if (this.flowTimer) clearInterval(this.flowTimer);
    this.onGone();
  }
}

/** Every open terminal, by student and node: `docker exec` with a TTY, bridged to WebSockets. */
export class Terminals {
  private readonly open = new Map<string, Terminal>();
  private readonly opening = new Map<string, Promise<Terminal>>();
  /** Read-only sockets (an instructor's watch) waiting for the student to open that node's terminal. */
  private readonly waiting = new Map<string, Set<WebSocket>>();

  /** `docker`: the client of the engine that holds the student's instance (with a pool, one of several). */
  constructor(
    private readonly docker: (studentId: string) => Docker,
    private readonly keepMs: number,
  ) {}

  /** Attaches a socket to the student's shell in that node, opening one when none is kept. */
  async attach(
    studentId: string,
    node: string,
    container: string,
    ws: WebSocket,
    opts: { readOnly: boolean; size: { rows: number; cols: number } },
  ): Promise<void> {
    const key = `${studentId}/${node}`;
    let t = this.open.get(key);
    if (t && t.ended) t = undefined;
    if (!t) {
      if (opts.readOnly) {
        // Kept open, not closed: a watcher that reconnected on every close would loop (and write the audit
        // log each time). It is attached when the student opens this terminal.
        ws.send(
          JSON.stringify({
            type: 'error',
            message: 'the student has no terminal open in this node yet: it shows here when they open one',
          } satisfies TerminalControl),
        );
        const set = this.waiting.get(key) ?? new Set<WebSocket>();
        set.add(ws);
        this.waiting.set(key, set);
        ws.on('close', () => {
          set.delete(ws);
          if (set.size === 0 && this.waiting.get(key) === set) this.waiting.delete(key);
        });
        return;
      }
      let p = this.opening.get(key);
      if (!p) {
        p = openTerminal({ docker: this.docker(studentId), container, size: opts.size }).then((exec) => {
          const term = new Terminal(key, exec, this.keepMs, () => {
            if (this.open.get(key) === term) this.open.delete(key);
          });
          this.open.set(key, term);
          return term;
        });
        this.opening.set(key, p);
        p.finally(() => this.opening.delete(key)).catch(() => undefined);
      }
      t = await p;
    }
    t.attach(ws, opts.readOnly);
    if (!opts.readOnly) {
      const watchers = this.waiting.get(key);
      this.waiting.delete(key);
      for (const w of watchers ?? []) if (w.readyState === w.OPEN) t.attach(w, true);
    }
  }

  /** Ends the student's terminals (an instance reset or removed). */
  endStudent(studentId: string): void {
    for (const [key, t] of this.open) if (key.startsWith(`${studentId}/`)) t.end();
  }

  endAll(): void {
    for (const t of this.open.values()) t.end();
    for (const set of this.waiting.values()) for (const w of set) w.close(1001, 'terminal closed');
    this.waiting.clear();
  }

  count(): number {
    return this.open.size;
  }
}
