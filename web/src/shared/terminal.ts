import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { terminalProtocol } from './api.js';

export type TerminalState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * One node's terminal: xterm.js on a WebSocket the server bridges to a `docker exec` with a TTY.
 * Output arrives in binary frames; xterm renders it in time slices, and while more than HIGH bytes wait to be
 * drawn the page tells the server to pause (flow control), so a flood like `yes` never freezes the tab.
 * A dropped connection reconnects by itself with a growing delay; the server replays its recent output,
 * so the screen is cleared first. Read-only terminals (the instructor's watch) send no input.
 */
export class TerminalView {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private ws: WebSocket | undefined;
  private pending = 0;
  private paused = false;
  private retry = 0;
  /** The last refusal the server sent (shown once until something else is shown). */
  private lastError: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;
  private readonly resizeObserver: ResizeObserver;
  private static readonly HIGH = 512 * 1024;
  private static readonly LOW = 64 * 1024;

  constructor(
    private readonly host: HTMLElement,
    private readonly url: () => string,
    private readonly opts: { readOnly?: boolean; label: string; onState?: (s: TerminalState) => void },
  ) {
    this.term = new Terminal({
      convertEol: false,
      cursorBlink: opts.readOnly !== true,
      disableStdin: opts.readOnly === true,
      scrollback: 5000,
      fontSize: 13,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      screenReaderMode: false,
      theme: { background: '#1d1f21', foreground: '#e0e0e0' },
    });
    this.term.loadAddon(this.fit);
    this.term.open(host);
    this.term.textarea?.setAttribute('aria-label', `${opts.label} (Escape then Tab leaves the terminal)`);
    // Tab belongs to the shell (completion), so the keyboard would be trapped here (WCAG 2.1.2): Escape then
    // Tab (or Shift+Tab) within a second moves the focus on instead, as in the editor (CodeMirror's rule).
    let leaveUntil = 0;
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      if (e.key === 'Escape') leaveUntil = Date.now() + 1000;
      else if (e.key === 'Tab' && Date.now() < leaveUntil) {
        leaveUntil = 0;
        return false; // xterm leaves it alone: the browser moves the focus
      } else if (e.key !== 'Shift') leaveUntil = 0;
      return true;
    });
    this.term.onData((d) => this.send(new TextEncoder().encode(d)));
    this.term.onBinary((d) => this.send(Uint8Array.from(d, (c) => c.charCodeAt(0))));
    this.term.onResize(({ cols, rows }) => this.control(terminalProtocol.resize(cols, rows)));
    this.resizeObserver = new ResizeObserver(() => this.refit());
    this.resizeObserver.observe(host);
    this.connect();
  }

  refit(): void {
    if (this.host.offsetWidth === 0 || this.host.offsetHeight === 0) return;
    try {
      this.fit.fit();
    } catch {
      /* not laid out yet */
    }
  }

  focus(): void {
    this.term.focus();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    this.resizeObserver.disconnect();
    this.ws?.close();
    this.term.dispose();
  }

  private setState(s: TerminalState): void {
    this.opts.onState?.(s);
  }

  private connect(): void {
    if (this.disposed) return;
    this.setState(this.retry === 0 ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(this.url());
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.pending = 0;
      this.paused = false;
      this.setState('open');
      this.refit();
      this.control(terminalProtocol.resize(this.term.cols, this.term.rows));
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (typeof ev.data === 'string') {
        const msg = terminalProtocol.parseControl(ev.data);
        // The server replays its recent output on every (re)connect: start from a clean screen.
        if (msg?.type === 'replay') {
          this.term.reset();
          this.lastError = undefined;
        }
        if (msg?.type === 'exit')
          this.term.write(`\r\n\x1b[2m[the shell ended${msg.code !== null ? ` (exit ${msg.code})` : ''}; a new one starts]\x1b[0m\r\n`);
        // Each reconnect while the instance is not ready brings the same refusal: say it once, not once a try.
        if (msg?.type === 'error' && msg.message !== this.lastError) this.term.write(`\r\n\x1b[31m${msg.message}\x1b[0m\r\n`);
        if (msg?.type === 'error') this.lastError = msg.message;
        return;
      }
      const data = new Uint8Array(ev.data);
      this.lastError = undefined;
      this.pending += data.length;
      if (!this.paused && this.pending > TerminalView.HIGH) {
        this.paused = true;
        this.control(terminalProtocol.pause());
      }
      this.term.write(data, () => {
        this.pending -= data.length;
        if (this.paused && this.pending < TerminalView.LOW) {
          this.paused = false;
          this.control(terminalProtocol.resume());
        }
      });
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.disposed) return;
      if (ev.code === 4001) {
        // Another tab or window opened this terminal and took it over.
        this.setState('closed');
        this.term.write('\r\n\x1b[33m[this terminal was opened in another tab; reload to take it back]\x1b[0m\r\n');
        return;
      }
      this.setState('reconnecting');
      const delay = Math.min(5000, 300 * 2 ** this.retry++);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private send(bytes: Uint8Array): void {
    if (this.opts.readOnly === true) return;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(terminalProtocol.input(bytes));
  }

  private control(msg: string | undefined): void {
    if (msg !== undefined && this.ws?.readyState === WebSocket.OPEN) this.ws.send(msg);
  }
}
