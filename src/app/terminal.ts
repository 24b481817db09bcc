import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { PROGRAM_USER } from '../deploy/node-layout.js';

export interface TerminalOptions {
  docker: Docker;
  /** The node's container id. */
  container: string;
  /** Size of the terminal in characters. */
  size: { rows: number; cols: number };
  /** The command; default a login shell as the lab's program user, as `lab exec` gives. */
  cmd?: string[];
  user?: string;
}

/** A `docker exec -it` session: the raw TTY stream (pause it for flow control), resize, and its end. */
export interface TerminalExec {
  stream: Duplex;
  resize(size: { rows: number; cols: number }): void;
  /** Resolves with the command's exit code (null when unknown) once the stream has ended. */
  exited: Promise<number | null>;
  /** Ends the session: closes the stream (the shell gets SIGHUP) and kills what is left of its process group. */
  close(): void;
}

/** The shell students get: bash as uid 1000 in its home, its pid noted (in the node's /tmp) so the server can end it. */
function shell(pidFile: string): string[] {
  return ['sh', '-c', `echo $$ > ${pidFile}; cd /home/student 2>/dev/null; exec bash -l`];
}

/** Opens a terminal in a container with `docker exec` and a TTY (nothing is installed in the image). */
export async function openTerminal(opts: TerminalOptions): Promise<TerminalExec> {
  const container = opts.docker.getContainer(opts.container);
  const pidFile = `/tmp/.toplab-terminal-${randomBytes(6).toString('hex')}`;
  const exec = await container.exec({
    Cmd: opts.cmd ?? shell(pidFile),
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    User: opts.user ?? PROGRAM_USER,
    Env: ['HOME=/home/student', 'TERM=xterm-256color', 'LANG=C.UTF-8'],
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as unknown as Duplex;
  const resize = (size: { rows: number; cols: number }): void => {
    const h = Math.max(1, Math.min(500, Math.floor(size.rows)));
    const w = Math.max(1, Math.min(1000, Math.floor(size.cols)));
    void exec.resize({ h, w }).catch(() => undefined);
  };
  resize(opts.size);
  const exited = new Promise<number | null>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      exec.inspect().then(
        (info) => resolve(typeof info.ExitCode === 'number' ? info.ExitCode : null),
        () => resolve(null),
      );
    };
    stream.on('end', finish);
    stream.on('close', finish);
    stream.on('error', finish);
  });
  const close = (): void => {
    stream.destroy();
    // A program in the shell that ignores SIGHUP would outlive the stream: end the shell's process group.
    if (opts.cmd !== undefined) return;
    void container
      .exec({
        Cmd: ['sh', '-c', `p=$(cat ${pidFile} 2>/dev/null) && kill -KILL -- -$p $p 2>/dev/null; rm -f ${pidFile}; true`],
        User: opts.user ?? PROGRAM_USER,
      })
      .then((kill) => kill.start({ Detach: true }))
      .catch(() => undefined);
  };
  return { stream, resize, exited, close };
}
