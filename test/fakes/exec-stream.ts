// A fake of what the Docker engine sends back for an exec without a terminal: the hijacked connection, carrying
// stdout and stderr multiplexed in frames (an 8-byte header: stream type 1 or 2, three zero bytes, the payload
// length as a big-endian uint32; then the payload). See Docker's API, "Attach to a container: stream format".
// With fakeDocker, DockerRuntime runs its real exec code, docker-modem's demultiplexer included, without an engine.
import { Duplex } from 'node:stream';
import Modem from 'docker-modem';

/** One frame of Docker's multiplexed stream: 1 stdout, 2 stderr. */
export function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const data = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/** Cuts bytes into pieces of at most `size` bytes: frames split across reads, headers included. */
export function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

export interface ExecStreamScript {
  /** What the engine sends, chunk by chunk, as it would arrive on the socket. */
  chunks: Buffer[];
  /** Pause between chunks, in ms (default none: each on the next turn of the event loop). */
  gapMs?: number;
  /** How the stream ends after the last chunk: `end` (the engine closed it), or `never` (the command hangs). */
  ending?: 'end' | 'never';
}

/**
 * The hijacked exec connection: its readable side sends the scripted chunks, its writable side takes stdin
 * (kept in `written`; `stdinEnded` once the caller half-closed it).
 */
export class FakeExecStream extends Duplex {
  readonly written: Buffer[] = [];
  stdinEnded = false;
  destroyedByCaller = false;
  private started = false;

  constructor(private readonly script: ExecStreamScript) {
    super();
  }

  override _read(): void {
    if (this.started) return;
    this.started = true;
    void this.send();
  }

  private async send(): Promise<void> {
    for (const c of this.script.chunks) {
      await new Promise((r) => (this.script.gapMs ? setTimeout(r, this.script.gapMs) : setImmediate(r)));
      if (this.destroyed) return;
      this.push(c);
    }
    if ((this.script.ending ?? 'end') === 'end') this.push(null);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.written.push(Buffer.from(chunk));
    done();
  }

  override _final(done: (e?: Error | null) => void): void {
    this.stdinEnded = true;
    done();
  }

  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    this.destroyedByCaller = true;
    done(err);
  }
}

export interface FakeExec {
  /** The stream the exec's start gave, once started. */
  stream?: FakeExecStream;
  /** The options the exec was created with (Cmd, User, Env, ...). */
  options: Record<string, unknown>;
  /** How many times inspect was asked. */
  inspections: number;
}

export interface FakeDockerScript {
  /** The stream for an exec of this command. */
  stream: (cmd: string[]) => ExecStreamScript;
  /** The exit code inspect reports once the stream has ended (default 0). */
  exitCode?: (cmd: string[]) => number;
  /** How many inspections report the command still running before it is seen ended (default 0). */
  runningFor?: number;
  /** How long after the stream ended inspections still report it running, in ms (an engine slow to record the exit). */
  runningForMs?: number;
}

/**
 * Just enough of dockerode for DockerRuntime's exec: getContainer(id).exec(...) → { start, inspect }, and a real
 * docker-modem Modem, so `modem.demuxStream` is the library's own. `execs` records every exec made.
 */
export function fakeDocker(script: FakeDockerScript): { docker: unknown; execs: FakeExec[] } {
  const execs: FakeExec[] = [];
  const modem = new Modem({ socketPath: '/nonexistent/fake-docker.sock' });
  const docker = {
    modem,
    getContainer: (_id: string) => ({
      exec: async (options: Record<string, unknown>) => {
        const cmd = options.Cmd as string[];
        const record: FakeExec = { options, inspections: 0 };
        execs.push(record);
        let ended = false;
        let endedAt = 0;
        return {
          start: async () => {
            const stream = new FakeExecStream(script.stream(cmd));
            stream.on('end', () => {
              ended = true;
              endedAt = Date.now();
            });
            record.stream = stream;
            return stream;
          },
          inspect: async () => {
            record.inspections++;
            const running = !ended || record.inspections <= (script.runningFor ?? 0) || Date.now() - endedAt < (script.runningForMs ?? 0);
            return { Running: running, ExitCode: running ? null : (script.exitCode?.(cmd) ?? 0) };
          },
        };
      },
    }),
  };
  return { docker, execs };
}
