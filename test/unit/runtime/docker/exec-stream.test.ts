// DockerRuntime's exec and execAttached over a fake engine connection: the frames Docker sends for an exec
// without a terminal, cut as a socket may deliver them, through docker-modem's own demultiplexer.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { EngineError, InterruptedError } from '../../../../src/errors.js';
import { DockerRuntime } from '../../../../src/runtime/docker/docker-runtime.js';
import { runHostHelper } from '../../../../src/runtime/docker/host-rules.js';
import { fakeDocker, frame, pieces, type ExecStreamScript } from '../../../fakes/exec-stream.js';

const MiB = 1024 * 1024;

function runtimeSending(
  script: (cmd: string[]) => ExecStreamScript,
  more: { exitCode?: number; runningFor?: number; runningForMs?: number } = {},
): { rt: DockerRuntime; execs: ReturnType<typeof fakeDocker>['execs'] } {
  const { docker, execs } = fakeDocker({
    stream: script,
    ...(more.exitCode !== undefined ? { exitCode: () => more.exitCode as number } : {}),
    ...(more.runningFor !== undefined ? { runningFor: more.runningFor } : {}),
    ...(more.runningForMs !== undefined ? { runningForMs: more.runningForMs } : {}),
  });
  return { rt: new DockerRuntime(docker as Docker), execs };
}

describe('exec output from the multiplexed stream', () => {
  it('splits interleaved stdout and stderr frames, whatever the reads cut them into (headers too)', async () => {
    const wire = Buffer.concat([
      frame(1, 'first line\n'),
      frame(2, 'warning: x\n'),
      frame(1, 'second '),
      frame(1, 'line\n'),
      frame(2, 'error: y\n'),
      frame(1, ''),
    ]);
    for (const size of [1, 3, 7, 8, 9, wire.length]) {
      const { rt } = runtimeSending(() => ({ chunks: pieces(wire, size) }), { exitCode: 2 });
      const r = await rt.exec('c1', ['sh', '-c', 'x']);
      expect({ size, stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode, timedOut: r.timedOut }).toEqual({
        size,
        stdout: 'first line\nsecond line\n',
        stderr: 'warning: x\nerror: y\n',
        exitCode: 2,
        timedOut: false,
      });
    }
  });

  it('keeps binary payloads byte for byte (a pcap read with cat)', async () => {
    const payload = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff));
    const wire = Buffer.concat([frame(1, payload.subarray(0, 32_768)), frame(1, payload.subarray(32_768))]);
    const { rt } = runtimeSending(() => ({ chunks: pieces(wire, 4096) }));
    const r = await rt.exec('c1', ['cat', '/tmp/x.pcap']);
    expect(r.stdout.equals(payload)).toBe(true);
    expect(r.stderr.length).toBe(0);
  });

  it('keeps 1 MiB of each stream by default and counts the rest; the live copy sees every byte', async () => {
    const block = Buffer.alloc(64 * 1024, 0x61);
    const frames: Buffer[] = [];
    for (let i = 0; i < 16; i++) frames.push(frame(1, block), frame(2, block));
    frames.push(frame(1, Buffer.alloc(1000, 0x62)), frame(2, Buffer.alloc(5, 0x63)));
    const { rt } = runtimeSending(() => ({ chunks: pieces(Buffer.concat(frames), 50_000) }));
    let live = 0;
    const r = await rt.exec('c1', ['flood'], { onStdout: (c) => (live += c.length) });
    expect(r.stdout.length).toBe(MiB);
    expect(r.stderr.length).toBe(MiB);
    expect(r.droppedStdout).toBe(1000);
    expect(r.droppedStderr).toBe(5);
    expect(r.stdout.subarray(MiB - 1).toString()).toBe('a');
    expect(live).toBe(MiB + 1000);
  });

  it('keeps exactly maxBytes when asked for fewer, cutting inside a frame', async () => {
    const { rt } = runtimeSending(() => ({ chunks: [frame(1, 'abcdef'), frame(1, 'ghij'), frame(2, '0123456789xyz')] }));
    const r = await rt.exec('c1', ['x'], { maxBytes: 8 });
    expect([r.stdout.toString(), r.droppedStdout, r.stderr.toString(), r.droppedStderr]).toEqual(['abcdefgh', 2, '01234567', 5]);
  });

  it('writes stdin and half-closes it, so the command sees the end of its input', async () => {
    const { rt, execs } = runtimeSending(() => ({ chunks: [frame(1, 'ok')] }));
    const r = await rt.exec('c1', ['tar', '-x'], { stdin: 'archive bytes' });
    expect(r.stdout.toString()).toBe('ok');
    expect(execs[0]?.options).toMatchObject({ Cmd: ['tar', '-x'], AttachStdin: true, Tty: false });
    expect(Buffer.concat(execs[0]?.stream?.written ?? []).toString()).toBe('archive bytes');
    expect(execs[0]?.stream?.stdinEnded).toBe(true);
  });

  it('reads the exit code only once the stream has ended, asking again while the engine still says running', async () => {
    const { rt, execs } = runtimeSending(() => ({ chunks: [frame(1, 'done\n')], gapMs: 20 }), { exitCode: 7, runningFor: 3 });
    const r = await rt.exec('c1', ['x']);
    expect(r.exitCode).toBe(7);
    expect(execs[0]?.inspections).toBe(4);
  });

  it('an engine slow to record the exit (still "running" for a while after the stream ended): the exit code is waited for', async () => {
    const { rt, execs } = runtimeSending(() => ({ chunks: [frame(1, 'done\n')] }), { exitCode: 0, runningForMs: 800 });
    const r = await rt.exec('c1', ['x']);
    expect([r.exitCode, r.stdout.toString()]).toEqual([0, 'done\n']);
    expect(execs[0]?.inspections).toBeGreaterThan(1);
  });

  it('a command that outlives its timeout: timedOut, no exit code, the stream dropped, the output so far kept', async () => {
    const { rt, execs } = runtimeSending(() => ({ chunks: [frame(1, 'partial')], ending: 'never' }));
    const r = await rt.exec('c1', ['sleep', '100'], { timeoutMs: 100 });
    expect([r.timedOut, r.exitCode, r.stdout.toString()]).toEqual([true, null, 'partial']);
    expect(execs[0]?.stream?.destroyedByCaller).toBe(true);
    expect(execs[0]?.inspections).toBe(0);
  });

  it("an abort ends a running exec with the signal's reason and drops the stream", async () => {
    const { rt, execs } = runtimeSending(() => ({ chunks: [frame(1, 'x')], ending: 'never' }));
    const controller = new AbortController();
    const running = rt.exec('c1', ['sleep', '100'], { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 30));
    controller.abort(new InterruptedError('SIGINT'));
    await expect(running).rejects.toBeInstanceOf(InterruptedError);
    expect(execs[0]?.stream?.destroyedByCaller).toBe(true);
  });

  it("a stream that is not multiplexed (a terminal's) goes to stdout whole", async () => {
    const { rt } = runtimeSending(() => ({ chunks: [Buffer.from('plain text, no frame headers\n')] }));
    const r = await rt.exec('c1', ['x']);
    expect([r.stdout.toString(), r.stderr.toString()]).toEqual(['plain text, no frame headers\n', '']);
  });
});

describe('execAttached without a terminal', () => {
  it("demultiplexes onto the caller's stdout and stderr and returns the exit code", async () => {
    const wire = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    const { rt } = runtimeSending(() => ({ chunks: pieces(wire, 5) }), { exitCode: 4 });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const stdin = new PassThrough();
    stdin.end();
    const code = await rt.execAttached('c1', ['df', '-h'], { tty: false, stdin, stdout, stderr });
    expect([code, Buffer.concat(out).toString(), Buffer.concat(err).toString()]).toEqual([4, 'out 1\nout 2\n', 'err 1\n']);
  });
});

describe("the host helper container's output (runHostHelper)", () => {
  /** A dockerode whose one container exits with `status` after writing `logs` (Docker's multiplexed format). */
  function helperDocker(status: number, logs: Buffer): { docker: Docker; removed: string[] } {
    const removed: string[] = [];
    const { docker } = fakeDocker({ stream: () => ({ chunks: [] }) });
    const container = {
      id: 'helper1',
      start: async () => undefined,
      wait: async () => ({ StatusCode: status }),
      logs: async () => logs,
      remove: async () => void removed.push('helper1'),
    };
    return { docker: { ...(docker as object), createContainer: async () => container } as unknown as Docker, removed };
  }

  it('gives stdout and stderr in the order they came, and removes the helper', async () => {
    const logs = Buffer.concat([
      frame(1, '-A DOCKER-USER -j ACCEPT\n'),
      frame(2, 'iptables: note\n'),
      frame(1, '-A TOPLAB-ISOLATION -j DROP\n'),
    ]);
    const { docker, removed } = helperDocker(0, logs);
    await expect(runHostHelper(docker, 'img', ['list'])).resolves.toBe(
      '-A DOCKER-USER -j ACCEPT\niptables: note\n-A TOPLAB-ISOLATION -j DROP\n',
    );
    expect(removed).toEqual(['helper1']);
  });

  it('a failing script: an EngineError with its exit code and what it printed; the helper is removed all the same', async () => {
    const { docker, removed } = helperDocker(4, frame(2, "iptables v1.8.9 (nf_tables): can't initialize iptables table `filter'\n"));
    await expect(runHostHelper(docker, 'img', ['list'])).rejects.toThrow(
      "could not set the host's packet filter for lab bridges (exit 4): iptables v1.8.9 (nf_tables): can't initialize iptables table `filter'",
    );
    await expect(runHostHelper(docker, 'img', ['list']).catch((e: unknown) => e)).resolves.toBeInstanceOf(EngineError);
    expect(removed).toEqual(['helper1', 'helper1']);
  });
});
