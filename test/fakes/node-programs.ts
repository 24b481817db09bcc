// Script-table rules that answer the shell toplab sends into nodes and observers (src/exercise/programs.ts,
// readiness.ts, observer.ts, sandbox.ts, socket-scope.ts) as a node running the lab's programs would: each
// run is started by the wrapper, prints, listens, ends (or is killed), and every wait, read and probe sees
// that. Programs behave as declared, by run name; nothing runs for real. For the step runner and grading
// tests: the shell itself is tested for real with sh in test/unit/exercise/run-state.test.ts and readiness.test.ts.
import type { ExecCall, ExecReply, ExecRule, MemoryContainer, MemoryRuntime } from './memory-runtime.js';

/** What one program (or command step) does when it runs, by its run name. */
export interface ProgramBehaviour {
  stdout?: string;
  stderr?: string;
  /** Exit code when it ends by itself (default 0). */
  exitCode?: number;
  /** How long it runs before it ends by itself, in ms (default 0); Infinity: until it is killed. */
  runsMs?: number;
  /** Listening sockets it holds while it runs. */
  listens?: { tcp?: number };
  /** Ignores SIGTERM and SIGINT (only SIGKILL ends it). */
  ignoresTerm?: boolean;
  /**
   * From this many ms after its start it is asleep and uses no CPU time (what the idle watch of idle.ts looks
   * for); unset: it never is (it keeps computing).
   */
  idleAfterMs?: number;
}

export interface Run {
  name: string;
  dir: string;
  /** The node container (network and PID namespace) it runs in. */
  node: string;
  argv: string[];
  env: Record<string, string>;
  behaviour: ProgramBehaviour;
  pid: number;
  startedAt: number;
  endedAt?: number;
  exitCode?: number;
  /** Signals it was sent, in order. */
  signals: string[];
}

const SIGNALS: Record<string, number> = { INT: 2, KILL: 9, TERM: 15 };
const SEP = '@@toplab@@';

/** A pcap file with no packets (the global header only, Ethernet link type): what a capture of nothing holds. */
export function emptyPcap(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16);
  b.writeUInt32LE(1, 20);
  return b;
}

/**
 * The simulated programs of one engine. `rules()` gives the script-table rules; `runs` every run started,
 * in order, to assert on (what ran, with which arguments, which signals it got, whether it is still running).
 */
export class NodePrograms {
  readonly runs: Run[] = [];
  private nextPid = 100;

  constructor(
    private readonly engine: MemoryRuntime,
    private readonly behaviours: Record<string, ProgramBehaviour>,
  ) {}

  /** The runs of one name, in order. */
  runsOf(name: string): Run[] {
    return this.runs.filter((r) => r.name === name);
  }

  rules(): ExecRule[] {
    return [
      { match: (c) => c.cmd[3] === 'toplab-launch', reply: (c) => this.launch(c) },
      { match: (c) => c.cmd[0] === 'sh' && c.cmd[1] === '-c', reply: (c) => this.script(c, c.cmd[2] ?? '') },
    ];
  }

  private ended(run: Run, now = Date.now()): boolean {
    if (run.endedAt === undefined) {
      const ms = run.behaviour.runsMs ?? 0;
      if (Number.isFinite(ms) && now >= run.startedAt + ms) {
        run.endedAt = run.startedAt + ms;
        run.exitCode = run.behaviour.exitCode ?? 0;
      }
    }
    return run.endedAt !== undefined;
  }

  private runAt(dir: string): Run | undefined {
    return this.runs.find((r) => r.dir === dir);
  }

  private netns(c: MemoryContainer): string {
    return this.engine.netnsOf(c).id;
  }

  private async launch(call: ExecCall): Promise<ExecReply> {
    const [, , script = '', , , base = '', , token = '', fresh = '0', ...argv] = call.cmd;
    const name = base.split('/').pop() ?? '';
    const node = this.netns(call.container);
    if (fresh !== '1') {
      // The wrapper ends the earlier runs of this name in this node first.
      for (const r of this.runs) if (r.node === node && r.name === name && !this.ended(r)) this.end(r, 'KILL');
    }
    const env = { ...(call.opts.env ?? {}) };
    this.runs.push({
      name,
      dir: `${base}/${token}`,
      node,
      argv,
      env,
      behaviour: this.behaviours[name] ?? {},
      pid: this.nextPid++,
      startedAt: Date.now(),
      signals: [],
    });
    const then = script.split('\n').slice(2).join('\n');
    return this.script(call, then);
  }

  private end(run: Run, signal: string): void {
    run.signals.push(signal);
    if (this.ended(run)) return;
    if (signal !== 'KILL' && run.behaviour.ignoresTerm) return;
    run.endedAt = Date.now();
    run.exitCode = 128 + (SIGNALS[signal] ?? 15);
  }

  /**
   * The idle watch a wait carries (src/exercise/idle.ts), answered from the runs' `idleAfterMs`: the clock is
   * Date.now() in centiseconds; `reached` once every watched run has been idle for the window (and the clock is
   * at `until`), `line` the report the node prints first.
   */
  private idleWatch(text: string, node: string): { reached: () => boolean; line: () => string; confirm: boolean } | undefined {
    const init = /tl_w=(\d+); tl_un=(\d+); tl_s=(-?\d+);/.exec(text);
    if (!init) return undefined;
    const windowCs = Number(init[1]);
    const until = Number(init[2]);
    const bases = [...text.matchAll(/-e 'TOPLAB_RUN_BASE=([^']+)'/g)].map((m) => m[1]);
    const own = /read tl_r 2>\/dev\/null <(\S+)\/pid/.exec(text)?.[1];
    const confirm = text.includes('[ $tl_s -lt 0 ] && break');
    const now = (): number => Math.floor(Date.now() / 10);
    const since = (): number => {
      const runs = this.runs.filter((r) => r.node === node && bases.includes(r.dir.slice(0, r.dir.lastIndexOf('/'))) && !this.ended(r));
      if (own !== undefined && !runs.some((r) => r.dir === own)) return -1;
      let from = 0;
      for (const r of runs) {
        if (r.behaviour.idleAfterMs === undefined) return -1;
        from = Math.max(from, Math.floor((r.startedAt + r.behaviour.idleAfterMs) / 10));
      }
      return from <= now() ? from : -1;
    };
    const reached = (): boolean => {
      const s = since();
      return s >= 0 && now() - s >= windowCs && now() >= until;
    };
    return {
      confirm,
      reached: () => reached() || (confirm && (since() < 0 || now() >= until)),
      line: () => {
        const s = since();
        const pids = this.runs.filter((r) => r.node === node && !this.ended(r)).map((r) => r.pid);
        return `@@idlewatch ${reached() ? 1 : 0} ${s} ${now()} ${s >= 0 ? `,${pids.join(',')}:0` : ''}\n`;
      },
    };
  }

  /** Answers one `sh -c` script by what it is for. */
  private async script(call: ExecCall, text: string): Promise<ExecReply> {
    const node = this.netns(call.container);
    const idle = this.idleWatch(text, node);
    const first = (): string => idle?.line() ?? '';
    // Kill a run (killScript), possibly followed by a wait for its end (signalAndWait).
    const kill = /p=\$\(cat (\S+)\/pid 2>\/dev\/null\) && \[ ! -e \S+\/exit \] && \{ kill -(\w+) /.exec(text);
    if (kill) {
      const run = this.runAt(kill[1] ?? '');
      if (run) this.end(run, kill[2] ?? 'TERM');
    }
    const seconds = Number(/while \[ \$i -lt (\d+) \]/.exec(text)?.[1] ?? '0') / 20;
    // A run's state (processState).
    const state = /\[ -d (\S+) \] \|\| exit 3;/.exec(text);
    if (state) {
      const run = this.runAt(state[1] ?? '');
      if (!run) return { exitCode: 3 };
      this.ended(run);
      const started = BigInt(run.startedAt) * 1_000_000n;
      const fields = [
        `${run.pid}\n`,
        run.exitCode !== undefined ? `${run.exitCode}\n` : '',
        '0\n',
        '0\n',
        `${started}\n`,
        run.endedAt !== undefined ? `${BigInt(run.endedAt) * 1_000_000n}\n` : '',
      ];
      return {
        stdout: fields.map((f) => `${f}${SEP}\n`).join('') + (run.behaviour.stdout ?? '') + `${SEP}\n` + (run.behaviour.stderr ?? ''),
      };
    }
    // A wait for output (waitForOutputScript).
    const grep = /grep -qE -- '((?:[^']|'\\'')*)' (\S+)\/stdout/.exec(text);
    if (grep) {
      const run = this.runAt(grep[2] ?? '');
      const re = new RegExp((grep[1] ?? '').replace(/'\\''/g, "'"), 'm');
      const printed = (): boolean => run !== undefined && re.test(run.behaviour.stdout ?? '');
      await this.until(() => printed() || (run !== undefined && this.ended(run)) || idle?.reached() === true, seconds);
      if (run && printed()) return { stdout: `${first()}@@matched\n${run.behaviour.stdout ?? ''}` };
      return { stdout: first() + (run && this.ended(run) ? '@@exited\n' : '@@waiting\n') };
    }
    // Socket tables, after a wait in the node for sockets or the run's end (waitInNodeScript, socketTablesScript).
    if (text.includes('cat /proc/net/tcp 2>/dev/null; echo @@')) {
      const dir = /cat (\S+)\/exit 2>\/dev\/null; true$/.exec(text)?.[1];
      const run = dir !== undefined ? this.runAt(dir) : undefined;
      const port = /\/:([0-9A-F]{4})\$\//.exec(text)?.[1];
      if (text.includes('awk -v u='))
        await this.until(
          () =>
            (run !== undefined && this.ended(run)) ||
            (port !== undefined && this.listening(node).includes(parseInt(port, 16))) ||
            idle?.reached() === true,
          seconds,
        );
      const tcp = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode']
        .concat(
          this.listening(node).map(
            (p, i) =>
              `   ${i}: 00000000:${p.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 ${9000 + i} 1 0000000000000000 100 0 0 10 0`,
          ),
        )
        .join('\n');
      const exit = run && this.ended(run) ? `${run.exitCode}\n` : '';
      return { stdout: `${first()}${tcp}\n@@\n@@\n@@\n@@\n@@\n${exit}` };
    }
    if (text.startsWith('cat /proc/net/tcp 2>/dev/null; echo @@; cat /proc/net/tcp6')) return { stdout: '@@\n' };
    // A wait for the run's end (waitForExitScript), alone or after a kill.
    const exit = /\[ -e (\S+)\/exit \] && \{ echo @@exited; exit 0; \}/.exec(text);
    if (exit) {
      const run = this.runAt(exit[1] ?? '');
      await this.until(() => run !== undefined && this.ended(run), seconds);
      return { stdout: run && this.ended(run) ? '@@exited\n' : '@@running\n' };
    }
    // The same with the idle watch.
    const exitIdle = /\[ -e (\S+)\/exit \] && \{ tl_o=exited; break; \}/.exec(text);
    if (exitIdle) {
      const run = this.runAt(exitIdle[1] ?? '');
      await this.until(() => (run !== undefined && this.ended(run)) || idle?.reached() === true, seconds);
      return { stdout: first() + (run && this.ended(run) ? '@@exited\n' : '@@running\n') };
    }
    // Another node's idle watch alone (idle.ts, a confirmation).
    if (idle?.confirm) {
      await this.until(() => idle.reached(), seconds);
      return { stdout: first() };
    }
    if (kill) return { exitCode: 0 };
    if (text.includes('oom_kill')) return { stdout: 'oom_kill 0\npids_refused 0\npids_max 256\n' };
    // The observer: tcpdump started, stopped, and every student process killed (a fork bomb's clean-up).
    if (text.includes('@@listening')) return { stdout: '@@listening\n' };
    if (text.includes('@@toplab-pcap@@')) return { stdout: Buffer.concat([Buffer.from('@@toplab-pcap@@\n'), emptyPcap()]) };
    if (text.includes('pkill -KILL -U 1000')) {
      for (const r of this.runs) if (r.node === node && !this.ended(r)) this.end(r, 'KILL');
      return { stdout: 'none\n' };
    }
    if (text.startsWith('ss -tanp; echo @@;')) {
      const lines = this.listening(node).map(
        (p) => `LISTEN 0      511          0.0.0.0:${p}        0.0.0.0:*    users:(("node",pid=${this.pidOn(node, p)},fd=18))`,
      );
      return { stdout: ['State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess', ...lines].join('\n') + '\n@@\n@@\n' };
    }
    return { exitCode: 127, stderr: `no simulation for: ${text.slice(0, 120)}\n` };
  }

  private listening(node: string): number[] {
    return this.runs
      .filter((r) => r.node === node && r.behaviour.listens?.tcp !== undefined && !this.ended(r))
      .map((r) => r.behaviour.listens?.tcp as number);
  }

  private pidOn(node: string, port: number): number {
    return this.runs.find((r) => r.node === node && r.behaviour.listens?.tcp === port && !this.ended(r))?.pid ?? 0;
  }

  /** Waits, as the loop in the node does, until `done` or `seconds` have passed (polling every 10 ms). */
  private async until(done: () => boolean, seconds: number): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }
}

/** Also the `ss -tan` that lets captures settle, answered with no connection half-way. */
export const SETTLED: ExecRule = { match: /^ss -tan$/, reply: { stdout: 'State Recv-Q Send-Q Local Address:Port Peer Address:Port\n' } };
