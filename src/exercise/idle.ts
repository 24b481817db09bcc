/**
 * The idle rule (`ready.idle`, `wait.idle` in a lab file; DEFAULTS.idleS): a program that is asleep and has used
 * no CPU time for `idle` seconds has done all it is going to do on its own, so a wait for it to listen, print or
 * exit ends there as not met instead of at its timeout.
 *
 * What "idle" means, measured in the node by the wait that is already looping there (readiness.ts,
 * programs.ts), one sample a round (50 ms), with no exec of its own:
 * - the processes watched are those the wrapper marked (TOPLAB_RUN_BASE, src/sh/run-wrapper.sh) for the
 *   programs of the run still running in that node; for the awaited program, its own pid must be among them
 *   (the window starts only once it has started);
 * - every thread of them (/proc/<pid>/task/<tid>/stat) is asleep (S), stopped or ended: one runnable (R, also
 *   while it waits for a CPU on a loaded machine) or in disk wait (D) is not idle, nor is a name lookup the
 *   engine's DNS (127.0.0.11) has not answered yet (a UDP socket to it in the node);
 * - their CPU time (utime + stime + cutime + cstime of /proc/<pid>/stat, clock ticks of 10 ms) and the set of
 *   processes have not changed for the whole window. A timer that wakes a program for less than a tick now
 *   and then is not counted: a program that only keeps a timer going is idle.
 *
 * A wait for a program holds the rule for the awaited program AND every other program of the run still
 * running: a peer in another node may be computing the answer. Those nodes are other containers on the same
 * kernel, so /proc/uptime is one clock for all. Once the awaited program's node has been idle for the window,
 * the same watch runs in every other node with running programs, alongside the awaited node's wait, until a
 * common moment E (uptime, centiseconds); the rule holds when every node reports an idle streak covering
 * [E - window, E]. A node's streak carries over from one wait to the next by its signature (the processes and
 * their CPU time): unchanged, nothing ran in between.
 */
import { InterruptedError, rethrowEngineError } from '../errors.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { pollLoop, shellQuote, UPTIME_CS } from '../util/shell.js';

/** What one node's watch needs: set up with idleInit, sampled by idleSample in a poll loop, reported by IDLE_REPORT. */
export interface IdleWatch {
  /** The window, in seconds. */
  seconds: number;
  /** The TOPLAB_RUN_BASE marks (`<run dir>/<name>`) of the programs watched in this node. */
  bases: string[];
  /** The awaited program's run directory: its pid must be among the processes (it has started). */
  own?: string;
  /** An idle streak carried over from an earlier wait in this node: its start (uptime, cs) and signature. */
  since?: number;
  sig?: string;
  /** End on idleness only once the clock (uptime, cs) has reached this. */
  until?: number;
  /** A peer's confirmation: end at `until` whatever the state, or as soon as a sample is not idle. */
  confirm?: boolean;
}

/** What a watch saw, from its report line: `ended` when the window was reached (at or after `until`). */
export interface IdleReport {
  ended: boolean;
  /** Start of the current idle streak (uptime, cs), -1 when the last sample was not idle. */
  since: number;
  /** The last sample's time (uptime, cs). */
  now: number;
  sig: string;
}

const cs = (seconds: number): number => Math.max(1, Math.round(seconds * 100));

/** Shell lines before the loop: the watch's state. */
export function idleInit(w: IdleWatch): string[] {
  return [
    `tl_w=${cs(w.seconds)}; tl_un=${Math.floor(w.until ?? 0)}; tl_s=${Math.floor(w.since ?? -1)}; tl_g=${shellQuote(w.sig ?? '')}; tl_i=0`,
  ];
}

/**
 * The awk that reads one sample: its arguments are the node's /proc/net/udp, then each watched process's stat
 * and its threads' stats (`.../task/<tid>/stat`). Prints `busy`, or the signature `,<pid>,...:<cpu ticks>`.
 * With `need`, `r` is the stat file of the awaited program's pid, which must be there. Files that are gone (a process that ended
 * meanwhile) are skipped: mawk would stop at a file it cannot open, so each is read with getline.
 */
export const IDLE_SAMPLE_AWK = `BEGIN {
  busy = 0; t = 0; p = ""; seen = 0
  for (i = 1; i < ARGC; i++) {
    f = ARGV[i]
    if (f ~ /\\/net\\/udp$/) {
      while ((getline l < f) > 0) { split(l, a, " "); if (a[3] == "0B00007F:0035") busy = 1 }
      close(f); continue
    }
    if ((getline l < f) <= 0) { close(f); continue }
    close(f)
    pid = l; sub(/ .*/, "", pid)
    sub(/^.*\\) /, "", l); split(l, a, " ")
    if (f ~ /\\/task\\/[0-9]+\\/stat$/) { if (a[1] !~ /^[SZXTtI]$/) busy = 1; continue }
    if (f == r) seen = 1
    t += a[12] + a[13] + a[14] + a[15]
    p = p "," pid
  }
  if (busy || (need && !seen)) print "busy"; else print p ":" t
  exit
}`;

/**
 * Shell lines for one round of a poll loop with the clock (pollLoop's `clock`, which sets tl_t): takes a sample,
 * keeps the streak, and leaves the loop (`break`) once the window is reached (tl_i=1). Put after the lines that
 * look for what is awaited.
 */
export function idleSample(w: IdleWatch): string[] {
  const marks = w.bases.map((b) => `-e ${shellQuote(`TOPLAB_RUN_BASE=${b}`)}`).join(' ');
  const own = w.own !== undefined ? `tl_r=; read tl_r 2>/dev/null <${w.own}/pid; ` : 'tl_r=; ';
  const files =
    w.bases.length > 0
      ? `for tl_e in $(grep -lzxF ${marks} /proc/[0-9]*/environ 2>/dev/null); do tl_e=\${tl_e%/environ}; tl_fl="$tl_fl $tl_e/stat $tl_e/task/*/stat"; done; `
      : '';
  const lines = [
    `tl_c=$(tl_fl=; ${files}${own}exec awk -v need=${w.own !== undefined ? 1 : 0} -v r="/proc/$tl_r/stat" ${shellQuote(IDLE_SAMPLE_AWK)} /proc/net/udp $tl_fl)`,
    // No answer (awk failed) is not idle either.
    'if [ "$tl_c" = busy ] || [ -z "$tl_c" ]; then tl_s=-1; tl_g=; elif [ $tl_s -lt 0 ] || [ "$tl_c" != "$tl_g" ]; then tl_s=$tl_t; tl_g=$tl_c; fi',
    '[ $tl_s -ge 0 ] && [ $((tl_t - tl_s)) -ge $tl_w ] && [ $tl_t -ge $tl_un ] && { tl_i=1; break; }',
  ];
  if (w.confirm === true) lines.push('[ $tl_s -lt 0 ] && break', '[ $tl_t -ge $tl_un ] && break');
  return lines;
}

/** The report line, printed after the loop: `@@idlewatch <ended 0|1> <since> <now> <sig>`. */
export const IDLE_REPORT = 'echo "@@idlewatch $tl_i $tl_s $tl_t $tl_g"';

/** Shell that takes one sample now (no loop to put it in): the clock, the sample, the report line. */
export function idleOnce(w: IdleWatch): string[] {
  return [UPTIME_CS, ...idleInit(w), 'for tl_once in 1; do', ...idleSample(w).map((l) => `  ${l}`), 'done', IDLE_REPORT];
}

/** The report line at the start of a wait's output, and the rest. A wait without a watch gives no report. */
export function takeIdleReport(stdout: string): { report?: IdleReport; rest: string } {
  const m = /^@@idlewatch (\d) (-?\d+) (-?\d+) (\S*)\n/.exec(stdout);
  if (!m) return { rest: stdout };
  return {
    report: { ended: m[1] === '1', since: Number(m[2]), now: Number(m[3]), sig: m[4] ?? '' },
    rest: stdout.slice(m[0].length),
  };
}

/** A node with programs of the run still running: where its watch runs, as whom, and their marks. */
export interface IdleNode {
  container: string;
  user?: string;
  bases: string[];
}

/** One program as launched (a LaunchSpec's fields the rule needs). */
export interface IdleProgram {
  container: string;
  user?: string;
  runDir: string;
  name: string;
  token: string;
}

/**
 * The rule for one wait: the awaited program's node watches in its own wait loop (watch() before each wait in
 * the node, decide() with its report after); the other nodes with running programs are asked (a watch each,
 * alongside) only once that node has been idle for the window.
 */
export class IdleRule {
  private readonly windowCs: number;
  private streak = { since: -1, sig: '' };
  private until = 0;
  private confirming = false;
  private readonly peerStreaks = new Map<string, { since: number; sig: string }>();
  private peersRunning: Promise<(IdleReport | undefined)[]> | undefined;
  /** The other nodes' first samples, taken as the wait begins (prime()). */
  private primed: Promise<void> | undefined;

  constructor(
    private readonly running: RunningLab,
    /** The window, seconds. */
    readonly seconds: number,
    private readonly own: IdleNode & { dir: string },
    private readonly peers: IdleNode[],
  ) {
    this.windowCs = cs(seconds);
  }

  /** Whether other programs than the awaited one are watched. */
  get watchesOthers(): boolean {
    return this.peers.length > 0 || this.own.bases.length > 1;
  }

  /** The watch for the awaited program's next wait in its node; starts the other nodes' watches when they are due. */
  watch(): IdleWatch {
    if (this.primed === undefined && this.peers.length > 0) {
      this.primed = this.prime();
      // Awaited by decide(); a wait that ends on what it awaited never asks.
      this.primed.catch(() => undefined);
    }
    if (this.confirming && this.peers.length > 0 && !this.peersRunning) {
      const all = Promise.all(this.peers.map((p) => this.confirmIn(p)));
      // Read by decide(); a wait that ends on what it awaited never asks, and their failure is then nobody's.
      all.catch(() => undefined);
      this.peersRunning = all;
    }
    return {
      seconds: this.seconds,
      bases: this.own.bases,
      own: this.own.dir,
      since: this.streak.since,
      sig: this.streak.sig,
      until: this.until,
    };
  }

  /**
   * After a wait in the awaited program's node, with the report it printed (undefined: none, e.g. the exec
   * failed): whether every program of the run has been idle for the window, so the wait ends as not met.
   */
  async decide(report: IdleReport | undefined): Promise<boolean> {
    const peers = this.peersRunning ? await this.peersRunning : undefined;
    this.peersRunning = undefined;
    if (!report || report.since < 0) {
      this.streak = { since: -1, sig: '' };
      this.reset(0);
      return false;
    }
    this.streak = { since: report.since, sig: report.sig };
    if (report.now - report.since < this.windowCs || report.now < this.until) return false;
    if (this.peers.length === 0) return true;
    if (!this.confirming || !peers) {
      // The awaited program's node is idle: now the others, until a moment late enough for their watches to
      // have started and seen a whole window.
      this.confirming = true;
      // Each other node sampled as the wait began: one whose processes and CPU time are still the same when it
      // is asked has been idle since then, so the common window can end now rather than a whole window later.
      if (this.primed) await this.primed;
      const primed = this.peers.map((p) => this.peerStreaks.get(p.container));
      this.until = primed.every((p) => p !== undefined)
        ? Math.max(report.now, ...primed.map((p) => (p?.since ?? 0) + this.windowCs))
        : report.now + this.windowCs + 25;
      return false;
    }
    if (peers.some((p) => !p || p.since < 0)) {
      // Another program was at work: look again after a while, from the awaited node's wait.
      this.reset(report.now + Math.max(this.windowCs, 100));
      return false;
    }
    peers.forEach((p, i) => {
      const node = this.peers[i];
      if (p && node) this.peerStreaks.set(node.container, { since: p.since, sig: p.sig });
    });
    const streaks = [report, ...(peers as IdleReport[])];
    const from = this.until - this.windowCs;
    if (streaks.every((s) => s.since <= from && s.now >= this.until)) return true;
    // A streak began late (a watch that started late, or a program that woke up): a common window ends later.
    this.until = Math.max(...streaks.map((s) => s.since)) + this.windowCs;
    return false;
  }

  private reset(until: number): void {
    this.confirming = false;
    this.until = until;
    this.peerStreaks.clear();
  }

  /**
   * One sample in each other node as the wait begins: where its programs are idle, the streak starts there (the
   * confirmation carries it on while their processes and CPU time stay the same). Not read is not idle.
   */
  private async prime(): Promise<void> {
    await Promise.all(
      this.peers.map(async (node) => {
        const report = await this.reportIn(node, idleOnce({ seconds: this.seconds, bases: node.bases }), 0);
        if (report && report.since >= 0 && !this.peerStreaks.has(node.container))
          this.peerStreaks.set(node.container, { since: report.since, sig: report.sig });
      }),
    );
  }

  /** A peer node's watch, up to the moment `until`: its report, or undefined when it could not be read. */
  private confirmIn(node: IdleNode): Promise<IdleReport | undefined> {
    const carried = this.peerStreaks.get(node.container);
    const w: IdleWatch = {
      seconds: this.seconds,
      bases: node.bases,
      until: this.until,
      confirm: true,
      ...(carried ? { since: carried.since, sig: carried.sig } : {}),
    };
    const bound = this.seconds + 2;
    return this.reportIn(node, [...idleInit(w), ...pollLoop(bound, idleSample(w), { clock: true }), IDLE_REPORT], bound);
  }

  /** Runs a watch's shell lines in a node (as its programs' user), bounded by `seconds` plus 15 s: its report. */
  private async reportIn(node: IdleNode, lines: string[], seconds: number): Promise<IdleReport | undefined> {
    try {
      const r = await this.running.runtime.exec(node.container, ['sh', '-c', lines.join('\n')], {
        ...(node.user !== undefined ? { user: node.user } : {}),
        timeoutMs: seconds * 1000 + 15_000,
      });
      return takeIdleReport(r.stdout.toString()).report;
    } catch (e) {
      // Not observed is not idle: the wait goes on. The engine's failure, or an interruption, goes on up.
      rethrowEngineError(e);
      if (e instanceof InterruptedError) throw e;
      return undefined;
    }
  }
}

/**
 * The rule for a wait on `awaited` (seconds, or false: none), with the other programs of the run still running:
 * grouped by node, the awaited program's node first.
 */
export function idleRule(running: RunningLab, seconds: number | false, awaited: IdleProgram, others: IdleProgram[]): IdleRule | undefined {
  if (seconds === false) return undefined;
  const byNode = new Map<string, IdleNode>();
  for (const p of [awaited, ...others]) {
    const n = byNode.get(p.container) ?? { container: p.container, ...(p.user !== undefined ? { user: p.user } : {}), bases: [] };
    const base = `${p.runDir}/${p.name}`;
    if (!n.bases.includes(base)) n.bases.push(base);
    byNode.set(p.container, n);
  }
  const own = byNode.get(awaited.container) as IdleNode;
  return new IdleRule(
    running,
    seconds,
    { ...own, dir: `${awaited.runDir}/${awaited.name}/${awaited.token}` },
    [...byNode.values()].filter((n) => n !== own),
  );
}

/**
 * What a step says when the idle rule ended its wait, e.g. `server did not listen on TCP port 9000 in node
 * server: after starting it went idle (asleep, no CPU time used) for 0.5 s without doing so; this lab takes that
 * as never (ready.idle)`. `what`: what it did not do (`listen on TCP port 9000 in node server`, `exit`).
 */
export function idleMessage(
  name: string,
  what: string,
  seconds: number,
  opts: { key: 'ready.idle' | 'wait.idle'; others: boolean },
): string {
  const when = opts.key === 'ready.idle' ? 'after starting it' : 'it';
  const others = opts.others ? ', and so did every other program of the run still running' : '';
  return `${name} did not ${what}: ${when} went idle (asleep, no CPU time used) for ${Number(seconds.toFixed(2))} s without doing so${others}; this lab takes that as never (${opts.key})`;
}
