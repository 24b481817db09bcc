// Progress of a long image build for a person watching: phase lines, throttled detail, a heartbeat, and the
// last lines of a failing step for its error message; and the engine's JSON progress stream, read with
// dockerode's own reader.
import type Docker from 'dockerode';

/** Emits phase lines as they come, other lines at most every `everyMs`, and a heartbeat when quiet. */
export class ProgressReporter {
  private lastEmit = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  phase = 'starting';

  constructor(
    private readonly out: (line: string) => void,
    private readonly everyMs = 2000,
    heartbeatMs = 5000,
  ) {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastEmit >= heartbeatMs) this.emit(`${this.phase} (${this.elapsed()} s elapsed)`);
    }, 1000);
    this.timer.unref();
  }

  elapsed(): number {
    return Math.round((Date.now() - this.started) / 1000);
  }

  emit(line: string): void {
    this.lastEmit = Date.now();
    this.out(line);
  }

  /** A line that may be dropped when lines come fast. */
  maybe(line: string): void {
    if (Date.now() - this.lastEmit >= this.everyMs) this.emit(line);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Keeps the last `max` lines of a child's output, for error messages. */
export class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 25) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.map((l) => '  | ' + l).join('\n');
  }
}

export function splitLines(onLine: (line: string) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString('utf8');
    let i: number;
    while ((i = buf.search(/[\r\n]/)) >= 0) {
      const line = buf.slice(0, i).trimEnd();
      buf = buf.slice(i + 1);
      if (line) onLine(line);
    }
  };
}

/**
 * Reads a Docker JSON-lines progress stream (`docker build`, `docker import`) to its end with dockerode's own
 * reader (docker-modem's followProgress): every message, in order, each also given to `onMessage` as it comes.
 * Rejects when the stream fails; the messages' own `error` fields are the caller's to read.
 */
export function followProgress<T>(docker: Docker, stream: NodeJS.ReadableStream, onMessage?: (msg: T) => void): Promise<T[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, messages: T[]) => (err ? reject(err) : resolve(messages)),
      onMessage ? (msg: T) => onMessage(msg) : undefined,
    );
  });
}
