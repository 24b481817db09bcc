import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { ROOT, lab, uniqueInstance } from '../helpers/cli.js';
import { describeLabGrading } from '../helpers/grade-lab.js';

// tcpdump, through `lab selftest`: the student's command line runs in the server's observer; the reference
// scores full marks and each mistake fails exactly what its expect.yaml declares.
describeLabGrading('tcpdump');

const runtime = await DockerRuntime.connect();

interface Graded {
  failing: string[];
  steps: { description: string; status: string; message?: string }[];
  checks: { id: string; status: string; message: string }[];
  explain: string;
}

/**
 * `lab grade tcpdump` of a whole submission: this capture.txt and the reference's answers.txt, in an instance of
 * its own (removed after).
 */
async function gradeCommandLine(line: string): Promise<Graded> {
  const dir = mkdtempSync(join(tmpdir(), 'toplab-tcpdump-'));
  const instance = uniqueInstance('g');
  try {
    writeFileSync(join(dir, 'capture.txt'), line);
    copyFileSync(join(ROOT, 'labs', 'tcpdump', 'answers.txt'), join(dir, 'answers.txt'));
    const r = await lab(['grade', 'tcpdump', '--submission', dir, '--instance', instance, '--format', 'json', '--results', dir], {
      timeoutMs: 150_000,
    });
    const report = JSON.parse(r.stdout) as { checks: Graded['checks']; steps: Graded['steps'] };
    const failing = report.checks.filter((c) => c.status !== 'passed').map((c) => c.id);
    return { failing, steps: report.steps, checks: report.checks, explain: `${r.stdout}\n${r.stderr}` };
  } finally {
    await removeInstance(runtime, 'tcpdump', instance).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('tcpdump lab: a command line the lab will not run', () => {
  it('is refused before anything runs when it is more than tcpdump, and the checks say why', async () => {
    const g = await gradeCommandLine("tcpdump -i any -nn 'port 9000' ; touch /tmp/pwned\n");
    expect(g.failing, g.explain).toEqual(['all-asked', 'only-asked', 'numeric', 'packets']);
    const step = g.steps.find((s) => s.description.startsWith('capture mine'));
    expect(step?.status, g.explain).toBe('failed');
    expect(step?.message).toMatch(/capture\.txt: only one tcpdump command is run, with no shell: `;` cannot be used/);
    expect(g.checks.find((c) => c.id === 'all-asked')?.message).toMatch(/no shell/);
  });

  it('is refused when its filter names a host the lab does not know (no DNS query leaves the lab)', async () => {
    const g = await gradeCommandLine("tcpdump -i any -nn 'host example.com and port 9000'\n");
    const step = g.steps.find((s) => s.description.startsWith('capture mine'));
    expect(step?.status, g.explain).toBe('failed');
    expect(step?.message).toMatch(/the filter names `example\.com`, which this lab does not know/);
    expect(g.failing, g.explain).toEqual(['all-asked', 'only-asked', 'packets']);
  });
});
