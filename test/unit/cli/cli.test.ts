import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from '../../helpers/cli.js';

// These run the built CLI (npm test builds it first) and need no Docker engine.
describe('the lab command without an engine', { timeout: 60_000 }, () => {
  it('says plainly that no engine answers, and how to get one, with exit code 4', async () => {
    const r = await lab(['up', 'tcp-handshake'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('error: no Docker engine answers at unix:///nonexistent/docker.sock');
    expect(r.stderr).toContain('scripts/ensure-docker.sh');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('lists the labs with their titles', async () => {
    const r = await lab(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^tcp-handshake\s+The TCP three-way handshake$/m);
  });

  it('validates a lab without touching Docker', async () => {
    const r = await lab(['validate', 'tcp-handshake'], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/labs\/tcp-handshake\/lab\.yaml: ok/);
  });

  it('prints the plan of a dry run without an engine', async () => {
    const r = await lab(['up', 'tcp-handshake', '--dry-run', '--instance', 'x1'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}lan\s+10\.\d+\.\d+\.0\/24\s+\(declared 10\.0\.1\.0\/24\)\s+docker network tl-tcp-handshake-x1-lan/m);
    expect(r.stdout).toMatch(/^ {2}server\s+container tl-tcp-handshake-x1-server\n\s+lan\s+10\.\d+\.\d+\.10$/m);
  });

  it('calls a subnet pool too small for the lab a usage error with a hint, not a bug in toplab', async () => {
    const r = await lab(['up', 'traceroute', '--dry-run', '--instance', 'x1', '--subnet-pool', '10.200.0.0/24'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: no free /24 left in the subnet pool 10.200.0.0/24');
    expect(r.stderr).toMatch(/hint: give a larger pool with --subnet-pool/);
    expect(r.stderr).toContain('the lab traceroute has 3 networks');
    expect(r.stderr).not.toContain('bug in toplab');
  });

  it('answers usage errors with exit code 2 and a hint', async () => {
    const unknown = await lab(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const missing = await lab(['up', 'no-such-lab']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no lab named 'no-such-lab'");
    expect(missing.stderr).toContain('lab list');
    const badFlag = await lab(['check', 'tcp-handshake', '--colour']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--colour/);
  });

  it("says a subnet pool too small for the lab is the user's to change (exit 2), not a bug", async () => {
    const r = await lab(['up', 'traceroute', '--dry-run', '--instance', 'cli-pool', '--subnet-pool', '10.200.0.0/24'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no free \/24 left in the subnet pool 10\.200\.0\.0\/24/);
    expect(r.stderr).toMatch(/hint: give a larger pool with --subnet-pool/);
    expect(r.stderr).toMatch(/the lab traceroute has 3 networks/);
    expect(r.stderr).not.toMatch(/bug in toplab/);
  });

  it('lab list --json lists the labs as data; an unknown option is refused, not ignored', async () => {
    const r = await lab(['list', '--json']);
    expect(r.code).toBe(0);
    const labs = JSON.parse(r.stdout) as { name: string; title: string | null; valid: boolean }[];
    expect(labs).toContainEqual(expect.objectContaining({ name: 'tcp-handshake', title: 'The TCP three-way handshake', valid: true }));
    const bad = await lab(['list', '--jsno']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: unknown option '--jsno' for lab list; did you mean `--json`\?\nhint: see `lab list --help`\n$/);
  });

  it('serves a workshop from an engines file, checked before anything starts', async () => {
    // The file is read first: a missing one is a usage error, a wrong one every problem at its position.
    for (const [args, env] of [
      [['serve', '--engines', 'no-such-engines.yaml'], {}],
      [['serve'], { TOPLAB_ENGINES: 'no-such-engines.yaml' }],
    ] as const) {
      const r = await lab([...args], { env: { ...env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no engines file at .*no-such-engines\.yaml/);
    }
    const dir = mkdtempSync(join(tmpdir(), 'toplab-serve-engines-'));
    try {
      const file = join(dir, 'engines.yaml');
      writeFileSync(file, 'engines:\n  - name: e1\n    address: tcp://lab2.example.edu:2375\n    capacity: 4\n');
      const r = await lab(['serve', '--engines', file, '--data', join(dir, 'data')], {
        env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
      });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`${file.replace(/\./g, '\\.')}:3:\\d+.*plain tcp:// to lab2\\.example\\.edu`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has help for every command', async () => {
    const r = await lab(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['list', 'up', 'exec', 'check', 'status', 'down', 'grade', 'validate', 'image']) {
      expect(r.stdout).toContain(`  ${cmd}`);
      const h = await lab([cmd, '--help']);
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`Usage: lab ${cmd}`);
    }
  });
});
