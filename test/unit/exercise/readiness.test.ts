import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitForExitScript, waitForOutputScript } from '../../../src/exercise/programs.js';
import { parseSocketTables, socketsAwk, waitInNodeScript } from '../../../src/exercise/readiness.js';
import { ROOT } from '../../helpers/cli.js';
import { pollLoop } from '../../../src/util/shell.js';

// The awk programs run here with this machine's awk (mawk, as in the lab image) over real /proc/net tables
// taken in a lab node (test/fixtures/sockets): LISTEN on 9000 (0x2328) and 9100..9600, UDP bound on 9002,
// a listening unix socket at /tmp/echo.sock.
const fixtures = join(ROOT, 'test/fixtures/sockets');
const work = mkdtempSync(join(tmpdir(), 'toplab-readiness-'));
const net = join(work, 'net');
mkdirSync(net);
for (const t of ['tcp', 'tcp6', 'udp', 'udp6', 'unix']) copyFileSync(join(fixtures, `server-proc-net-${t}.txt`), join(net, t));
const empty = join(work, 'empty');
mkdirSync(empty);
for (const t of ['tcp', 'tcp6', 'udp', 'udp6', 'unix']) writeFileSync(join(empty, t), 'header\n');

afterAll(() => rmSync(work, { recursive: true, force: true }));

function awkHolds(want: Parameters<typeof socketsAwk>[0], dir = net): boolean {
  const prog = socketsAwk(want);
  if (!prog) throw new Error('nothing to wait for');
  try {
    execFileSync('awk', ['-v', `u=${want.unix ?? ''}`, prog, ...['tcp', 'tcp6', 'udp', 'udp6', 'unix'].map((t) => join(dir, t))]);
    return true;
  } catch {
    return false;
  }
}

describe('readiness in the node', () => {
  it('sees a listening TCP port, a bound UDP port and a unix socket in real /proc/net tables', () => {
    expect(awkHolds({ tcp: 9000 })).toBe(true);
    expect(awkHolds({ tcp: 9001 })).toBe(false);
    expect(awkHolds({ udp: 9002 })).toBe(true);
    expect(awkHolds({ udp: 9000 })).toBe(false);
    expect(awkHolds({ unix: '/tmp/echo.sock' })).toBe(true);
    expect(awkHolds({ unix: '/tmp/other.sock' })).toBe(false);
    expect(awkHolds({ tcp: 9000, udp: 9002, unix: '/tmp/echo.sock' })).toBe(true);
    expect(awkHolds({ udp: 9003 })).toBe(true); // bound over IPv6 only
    expect(awkHolds({ tcp: 9000, udp: 9004 })).toBe(false);
    expect(awkHolds({ tcp: 9000 }, empty)).toBe(false);
    expect(socketsAwk({})).toBeUndefined();
  });

  it("never takes Docker's DNS listener (127.0.0.11) for the program's socket", () => {
    // In these tables it listens on TCP 0x9D13 (40211) and is bound on UDP 0xDE87 (56967).
    expect(awkHolds({ tcp: 0x9d13 })).toBe(false);
    expect(awkHolds({ udp: 0xde87 })).toBe(false);
    const { sockets } = parseSocketTables(
      execFileSync('sh', ['-c', waitInNodeScript({}, { dir: join(work, 'none') }, 1).replaceAll('/proc/net/', `${net}/`)]).toString(),
    );
    expect(sockets.some((s) => s.localAddress === '127.0.0.11')).toBe(false);
    expect(sockets.some((s) => s.localPort === 9000)).toBe(true);
  });

  it('waits a bounded number of rounds, then prints the tables the parser reads', () => {
    // The script as a node runs it, against a missing run directory: no exit, nothing listening on 9999.
    const script = waitInNodeScript({ tcp: 9999 }, { dir: join(work, 'run') }, 1).replaceAll('/proc/net/', `${net}/`);
    // Why the loop ended, as the script itself sees it: its clock reached the bound (not a count cut short).
    const r = spawnSync('sh', ['-c', `${script}\necho "clock=$tl_t end=$tl_end" >&2`], { encoding: 'utf8' });
    const [, clock, end] = /clock=(\d+) end=(\d+)/.exec(r.stderr) ?? [];
    expect(Number(clock)).toBeGreaterThanOrEqual(Number(end));
    const out = r.stdout;
    const { sockets, exited } = parseSocketTables(out);
    expect(exited).toBeUndefined();
    expect(sockets.some((s) => s.proto === 'tcp' && s.localPort === 9000 && s.state === 'LISTEN')).toBe(true);
    expect(sockets.some((s) => s.proto === 'unix' && s.path === '/tmp/echo.sock')).toBe(true);
  });

  it('stops waiting when the run it waits for has ended, and only that run', () => {
    const earlier = join(work, 'ended', 'earlier');
    mkdirSync(earlier, { recursive: true });
    writeFileSync(join(earlier, 'exit'), '3\n');
    // Bounded by an hour: it can only have returned (within the test's own limit) because the run ended.
    const mine = waitInNodeScript({ tcp: 9999 }, { dir: earlier }, 3600).replaceAll('/proc/net/', `${net}/`);
    expect(parseSocketTables(execFileSync('sh', ['-c', mine]).toString()).exited).toBe('3');
    const other = waitInNodeScript({ tcp: 9999 }, { dir: join(work, 'ended', 'mine') }, 1).replaceAll('/proc/net/', `${net}/`);
    expect(parseSocketTables(execFileSync('sh', ['-c', other]).toString()).exited).toBeUndefined();
  });
});

describe('waiting for a run in the node', () => {
  const runDir = join(work, 'runs');
  const spec = { runDir, name: 'client', token: 'thisrun' };
  const dir = join(runDir, 'client', 'thisrun');
  mkdirSync(dir, { recursive: true });
  const sh = (script: string): string => execFileSync('sh', ['-c', script]).toString();

  it('returns the output with the match, says when grep cannot read a pattern, and when the run ended', () => {
    writeFileSync(join(dir, 'stdout'), 'connecting\nhello\n');
    expect(sh(waitForOutputScript(spec, '^hello$', 1))).toBe('@@matched\nconnecting\nhello\n');
    expect(sh(waitForOutputScript(spec, "it's (", 1))).toBe('@@unreadable\n');
    writeFileSync(join(dir, 'exit'), '0\n');
    expect(sh(waitForOutputScript(spec, '^bye$', 1))).toBe('@@exited\n');
    expect(sh(waitForExitScript(spec, 1))).toBe('@@exited\n');
  });

  it('does not take an earlier run of the same name for this one', () => {
    rmSync(dir, { recursive: true });
    mkdirSync(join(runDir, 'client', 'earlier'));
    writeFileSync(join(runDir, 'client', 'earlier', 'stdout'), 'hello\n');
    writeFileSync(join(runDir, 'client', 'earlier', 'exit'), '0\n');
    expect(sh(waitForOutputScript(spec, '^hello$', 0.2))).toBe('@@waiting\n');
    expect(sh(waitForExitScript(spec, 0.2))).toBe('@@running\n');
  });
});

describe('a wait in the node ends on the clock as well as on its count of rounds', () => {
  it('looks every 10 ms in its first 0.2 s, then every 50 ms, and a count still stands for 50 ms', () => {
    // 1 s: 20 quick rounds (4 counts), then 16 of 50 ms; it was 20 rounds of 50 ms.
    const script = [...pollLoop(1, ['n=$((n + 1))']), 'echo $n'].join('\n');
    expect(Number(execFileSync('sh', ['-c', `n=0\n${script}`], { encoding: 'utf8' }).trim())).toBe(36);
  });

  // Each round here takes 0.2 s more than the 50 ms the count assumes (a loaded node): counted alone, a
  // 0.5 s wait (10 rounds) would last 2.5 s. Bounded by /proc/uptime, it stops after the first rounds past 0.5 s.
  it('stops a slow 0.5 s wait well before its 10 rounds', () => {
    const script = [...pollLoop(0.5, ['n=$((n + 1))', 'sleep 0.2'], { clock: true }), 'echo $n'].join('\n');
    const rounds = Number(execFileSync('sh', ['-c', `n=0\n${script}`], { encoding: 'utf8' }).trim());
    expect(rounds).toBeGreaterThanOrEqual(1);
    expect(rounds).toBeLessThan(10);
  });

  it("keeps the count alone unless asked (a grace before SIGKILL, tcpdump's flush)", () => {
    // 0.2 s is the first 20 rounds of 10 ms (five to a count of 50 ms): all of them run, however slow.
    const script = [...pollLoop(0.2, ['n=$((n + 1))', 'sleep 0.1']), 'echo $n'].join('\n');
    expect(Number(execFileSync('sh', ['-c', `n=0\n${script}`], { encoding: 'utf8' }).trim())).toBe(20);
  });

  it('still ends by its count when the clock cannot be read', () => {
    const script = [...pollLoop(0.2, ['n=$((n + 1))'], { clock: true }), 'echo $n']
      .join('\n')
      .replaceAll('/proc/uptime', '/nonexistent/uptime');
    expect(Number(execFileSync('sh', ['-c', `n=0\n${script}`], { encoding: 'utf8' }).trim())).toBe(20);
  });
});
