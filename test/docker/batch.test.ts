import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { labelFilter } from '../../src/plan/labels.js';
import { lab } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const out = mkdtempSync(join(tmpdir(), 'toplab-batch-'));

interface Summary {
  graded: number;
  durationMs: number;
  students: { student: string; score: number; maxScore: number; status: string; failedChecks: string[]; durationMs: number }[];
}
interface Report {
  instance: string;
  status: string;
  steps: { description: string; status: string; message?: string }[];
  checks: { id: string; status: string; message: string; evidence: string[] }[];
}

/** What each of the 20 submissions must get: passed, or failed with exactly these checks failing. */
const EXPECTED: Record<string, string[] | 'passed'> = {
  'ok-reference': 'passed',
  'ok-client-async': 'passed',
  'ok-server-manual': 'passed',
  'ok-both-alt': 'passed',
  'never-listens': ['listen', 'handshake', 'echo', 'close'],
  crashes: ['listen', 'handshake', 'echo', 'close'],
  'no-compile': ['handshake', 'echo', 'close'],
  // The busy loop starts before the name lookup's callback can run: no SYN is ever sent.
  loops: ['handshake', 'echo', 'close'],
  'wrong-port': ['handshake', 'echo', 'close'],
  // Node ends the server's side when the client's FIN arrives (allowHalfOpen false): the close is clean.
  'no-echo': ['echo'],
  'server-closes-first': ['close'],
  'client-prints-wrong': ['echo'],
  'client-resets': ['close'],
  'fork-bomb': ['handshake', 'echo', 'close'],
  'memory-hog': ['handshake', 'echo', 'close'],
  'stdout-flood': ['handshake', 'echo', 'close'],
  'raw-socket': ['handshake', 'echo', 'close'],
  'reach-host': ['handshake', 'echo', 'close'],
  'busy-server': ['echo', 'close'],
  'silent-client': ['handshake', 'echo', 'close'],
};

// Graded against a frozen copy of the four-check tcp-handshake lab, so the course lab can grow without
// changing what these twenty submissions are expected to get.
describe('lab grade --submissions: 20 submissions, correct, broken and hostile, in parallel', () => {
  let summary: Summary;
  const reports = new Map<string, Report>();

  afterAll(async () => {
    // Whatever happened, remove what a failed run may have left (by the instances the reports name).
    for (const r of reports.values()) if (r.instance) await removeInstance(runtime, 'tcp-handshake-basic', r.instance);
    rmSync(out, { recursive: true, force: true });
  });

  it('grades every submission with the right verdict, stops the one that never ends at its limit, and leaves nothing behind', async () => {
    const r = await lab(
      [
        'grade',
        'test/fixtures/labs/tcp-handshake-basic',
        '--submissions',
        'test/fixtures/submissions/batch-tcp-handshake',
        '--parallel',
        '4',
        '--format',
        'gradescope',
        '--output',
        out,
      ],
      { timeoutMs: 900_000 },
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(readFileSync(join(out, 'summary.csv'), 'utf8').split('\n')[0]).toBe(
      'student,score,max_score,status,failed_checks,seconds,message',
    );
    for (const s of summary.students)
      reports.set(s.student, JSON.parse(readFileSync(join(out, s.student, 'report.json'), 'utf8')) as Report);
    expect(summary.graded).toBe(20);
    const verdicts = Object.fromEntries(summary.students.map((s) => [s.student, s.status === 'passed' ? 'passed' : s.failedChecks]));
    expect(verdicts).toEqual(EXPECTED);
    // Every grading instance is gone.
    for (const rep of reports.values()) {
      expect(await runtime.listContainers(labelFilter('tcp-handshake-basic', rep.instance))).toEqual([]);
      expect(await runtime.listNetworks(labelFilter('tcp-handshake-basic', rep.instance))).toEqual([]);
    }
    // Each student's Gradescope file is named as Gradescope reads it; the compile error is in the summary.
    for (const s of summary.students) {
      const g = JSON.parse(readFileSync(join(out, s.student, 'results.json'), 'utf8')) as { score: number; max_score: number };
      expect([g.score, g.max_score]).toEqual([s.score, s.maxScore]);
      expect(existsSync(join(out, s.student, 'report.gradescope.json'))).toBe(false);
    }
    const csv = readFileSync(join(out, 'summary.csv'), 'utf8').split('\n');
    expect(csv.find((l) => l.startsWith('no-compile,'))).toMatch(/,"?client\.ts does not compile: client\.ts:\d+:\d+: /);
    process.stderr.write(`[batch] 20 submissions graded in ${(summary.durationMs / 1000).toFixed(1)}s with --parallel 4\n`);
  }, 1_200_000);

  it('stopped the hostile ones at their limits, and their attempts failed', () => {
    const client = (name: string): Report['checks'][number] | undefined => reports.get(name)?.checks.find((c) => c.id === 'echo');
    for (const name of ['fork-bomb', 'loops']) {
      expect(reports.get(name)?.steps.find((s) => s.description === 'run client')?.message, name).toMatch(
        /did not finish within 10s and was stopped|exited/,
      );
    }
    // Each limit is named for what it stopped, not as "nothing is listening there".
    expect(client('fork-bomb')?.message).toMatch(/in node client \d+ forks were refused at the limit of 256 processes \(a fork bomb\?\)/);
    expect(client('memory-hog')?.message).toMatch(/in node client the kernel's out-of-memory killer ended a process/);
    expect(client('stdout-flood')?.message).toMatch(/client wrote 1\.0 GiB of output; 1\.0 MiB kept/);
    expect(client('stdout-flood')?.evidence.join('\n')).toMatch(/\(\d{10} more bytes of output were counted, not kept\)/);
    const raw = client('raw-socket')?.evidence.join('\n') ?? '';
    expect(raw).toMatch(/tcpdump -i any -c 1 -w \/dev\/null: exit 1 .*Operation not permitted/);
    const reach = readFileSync(join(out, 'reach-host', 'artifacts', 'client.stdout'), 'utf8');
    expect(reach).toContain('docker.sock present: false');
    expect(reach.split('\n').filter((l) => /:\d+ /.test(l))).toHaveLength(4);
    expect(reach).not.toContain('CONNECTED');
    // The client that never exits was stopped at its run's time limit (not left to hold up the batch).
    expect(reports.get('loops')?.steps.map((s) => s.message ?? '')).toContainEqual(
      expect.stringMatching(/^client did not finish within \d+(\.\d+)?s and was stopped$/),
    );
  });
});
