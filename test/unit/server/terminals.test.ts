import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import type { WebSocket } from 'ws';
import { describe, expect, it } from 'vitest';
import { Terminals } from '../../../src/server/terminals.js';
import { FakeExecStream } from '../../fakes/exec-stream.js';

/** Just enough of a `ws` socket for Terminals: what it was sent, whether and how it was closed. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: (string | Buffer)[] = [];
  closedWith: number | undefined;
  send(data: string | Buffer): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    if (this.readyState !== this.OPEN) return;
    this.closedWith = code ?? 1005;
    this.readyState = 3;
    this.emit('close');
  }
  controls(): { type: string; message?: string }[] {
    return this.sent.filter((d): d is string => typeof d === 'string').map((d) => JSON.parse(d) as { type: string; message?: string });
  }
  output(): string {
    return Buffer.concat(this.sent.filter((d): d is Buffer => Buffer.isBuffer(d))).toString();
  }
}

/** A Docker client whose every exec is a TTY shell that prints a prompt and then echoes nothing more. */
function dockerWithShell(): { docker: Docker; execs: number } {
  const state = { execs: 0 };
  const docker = {
    getContainer: () => ({
      exec: async () => {
        state.execs++;
        return {
          start: async () => new FakeExecStream({ chunks: [Buffer.from('student@server:~$ ')], ending: 'never' }),
          resize: async () => undefined,
          inspect: async () => ({ ExitCode: 0 }),
        };
      },
    }),
  } as unknown as Docker;
  return {
    docker,
    get execs() {
      return state.execs;
    },
  };
}

const size = { rows: 24, cols: 80 };
const sock = (s: FakeSocket): WebSocket => s as unknown as WebSocket;

describe('Terminals: an instructor watching a node where the student has no terminal yet', () => {
  it('keeps the watch open (no reconnect loop) and attaches it when the student opens that terminal', async () => {
    const engine = dockerWithShell();
    const terminals = new Terminals(() => engine.docker, 60_000);
    const watcher = new FakeSocket();
    await terminals.attach('s1', 'server', 'c-server', sock(watcher), { readOnly: true, size });
    // Told why the screen is empty, and left open: a closed watch made the page reconnect (and audit) ~3 times a second.
    expect(watcher.controls()).toEqual([
      { type: 'error', message: 'the student has no terminal open in this node yet: it shows here when they open one' },
    ]);
    expect(watcher.closedWith).toBeUndefined();
    expect(engine.execs).toBe(0); // a watch never opens a shell of its own

    const student = new FakeSocket();
    await terminals.attach('s1', 'server', 'c-server', sock(student), { readOnly: false, size });
    expect(engine.execs).toBe(1);
    expect(watcher.controls().map((c) => c.type)).toEqual(['error', 'replay', 'live']);
    await expect.poll(() => watcher.output()).toContain('student@server:~$');
    expect(student.output()).toContain('student@server:~$');
    expect(watcher.closedWith).toBeUndefined();
    terminals.endAll();
    expect(watcher.closedWith).toBe(1001);
  });

  it('attaches only the watchers of that node, and forgets a watcher that went away', async () => {
    const engine = dockerWithShell();
    const terminals = new Terminals(() => engine.docker, 60_000);
    const onClient = new FakeSocket();
    const gone = new FakeSocket();
    await terminals.attach('s1', 'client', 'c-client', sock(onClient), { readOnly: true, size });
    await terminals.attach('s1', 'server', 'c-server', sock(gone), { readOnly: true, size });
    gone.close(1000);
    const sentBefore = gone.sent.length;
    await terminals.attach('s1', 'server', 'c-server', sock(new FakeSocket()), { readOnly: false, size });
    expect(gone.sent.length).toBe(sentBefore);
    expect(onClient.controls().map((c) => c.type)).toEqual(['error']);
    terminals.endAll();
    expect(onClient.closedWith).toBe(1001);
  });
});
