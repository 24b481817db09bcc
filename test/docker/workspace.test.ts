import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import type { GradeResult } from '../../src/report/result.js';
import { ROOT, uniqueInstance } from '../helpers/cli.js';

// A student's workspace on a running lab: right after `lab up`, `lab check` in a workspace made by `lab init`
// grades the student's files there (here a server with a known mistake), not the lab's reference; the same
// command outside a workspace grades the reference and says so.
const runtime = await DockerRuntime.connect();
const instance = uniqueInstance('ws');
const work = mkdtempSync(join(tmpdir(), 'toplab-ws-test-'));

afterAll(async () => {
  await removeInstance(runtime, 'socket-addresses', instance).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

function labIn(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lab.js'), ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    child.stdin.end();
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('lab init, then lab check in the workspace', () => {
  it("grades the student's files there, and the reference only outside a workspace, saying so", async () => {
    const up = await labIn(work, ['up', 'socket-addresses', '--instance', instance]);
    expect(up.code, up.stderr).toBe(0);
    const init = await labIn(work, ['init', 'socket-addresses', 'mine']);
    expect(init.code, init.stderr).toBe(0);
    const ws = join(work, 'mine');
    copyFileSync(join(ROOT, 'labs/socket-addresses/mistakes/prints-own-address/server.ts'), join(ws, 'server.ts'));

    const mine = await labIn(ws, ['check', '--instance', instance, '--format', 'json']);
    const r = JSON.parse(mine.stdout) as GradeResult;
    expect(mine.stderr).toContain(`grading your files in ${ws}`);
    expect(r.reference).toBeUndefined();
    expect(r.submission).toBe(ws);
    expect(r.files?.submission).toEqual(['server.ts']);
    expect(
      r.checks.filter((c) => c.status !== 'passed').map((c) => c.id),
      mine.stderr,
    ).toEqual(['v4-address', 'v4-address-bytes', 'v6-address', 'v6-address-bytes']);
    expect(mine.code).toBe(1);
    // The captures of a workspace's check stay in the workspace.
    expect(r.artifactsDir?.startsWith(join(ws, 'results'))).toBe(true);

    const ref = await labIn(work, ['check', 'socket-addresses', '--instance', instance]);
    expect(ref.code, ref.stdout + ref.stderr).toBe(0);
    expect(ref.stdout).toContain(
      "graded the lab's own reference files, not yours: `lab init socket-addresses` makes a workspace of your own",
    );
    expect(ref.stderr).toContain("grading the lab's own reference files");
  }, 300_000);
});
