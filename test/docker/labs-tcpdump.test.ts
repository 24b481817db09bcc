import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLabGrading, gradeLab } from '../helpers/grade-lab.js';

// tcpdump: the student's command line runs in the server's observer; the reference scores full marks and
// each mistake fails exactly the checks it should.
describeLabGrading('tcpdump', {
  'no-interface': ['all-asked', 'only-asked', 'packets'],
  'names-on': ['numeric'],
  'other-clients': ['only-asked'],
});

describe('tcpdump lab: a command line that is not only tcpdump', () => {
  it('is refused before anything runs, and the checks say why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-tcpdump-'));
    try {
      writeFileSync(join(dir, 'capture.txt'), "tcpdump -i any -nn 'port 9000' ; touch /tmp/pwned\n");
      const g = await gradeLab('tcpdump', dir);
      expect(g.failing, g.explain).toEqual(['all-asked', 'only-asked', 'numeric', 'packets']);
      const step = g.report.steps.find((s) => s.description.startsWith('capture mine'));
      expect(step?.status, g.explain).toBe('failed');
      expect(step?.message).toMatch(/capture\.txt: only one tcpdump command is run, with no shell: `;` cannot be used/);
      expect(g.report.checks.find((c) => c.id === 'all-asked')?.message).toMatch(/no shell/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused when its filter names a host the lab does not know (no DNS query leaves the lab)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toplab-tcpdump-'));
    try {
      writeFileSync(join(dir, 'capture.txt'), "tcpdump -i any -nn 'host example.com and port 9000'\n");
      const g = await gradeLab('tcpdump', dir);
      const step = g.report.steps.find((s) => s.description.startsWith('capture mine'));
      expect(step?.status, g.explain).toBe('failed');
      expect(step?.message).toMatch(/the filter names `example\.com`, which this lab does not know/);
      expect(g.failing, g.explain).toEqual(['all-asked', 'only-asked', 'packets']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
