// `lab new` then `lab selftest` on a real engine, as a lab's author runs them: the new lab passes at once, and a
// wrong declaration is caught. The lab is made in a temp folder with a name of its own, removed afterwards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const tmp = mkdtempSync(join(tmpdir(), 'toplab-new-'));
const name = `scaffold-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const dir = join(tmp, name);

afterAll(async () => {
  await removeInstance(runtime, name, undefined).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

interface Report {
  ok: boolean;
  rows: { case: string; ok: boolean; expectFails: string[]; actualFails?: string[]; status?: string; mismatch?: string }[];
}

it('a lab made by lab new passes lab selftest at once, and leaves nothing behind', async () => {
  const made = await lab(['new', name, '--dir', tmp]);
  expect(made.code, made.stderr).toBe(0);
  const r = await lab(['selftest', dir, '--format', 'json', '--parallel', '2'], { timeoutMs: 170_000 });
  const report = JSON.parse(r.stdout) as Report;
  expect(
    report.rows.map((x) => [x.case, x.ok, x.status, x.actualFails]),
    `${r.stdout}\n${r.stderr}`,
  ).toEqual([
    ['reference', true, 'passed', []],
    ['listens-on-localhost', true, 'failed', ['handshake', 'echo', 'close']],
  ]);
  expect(report.ok).toBe(true);
  expect(r.code).toBe(0);
  expect(await runtime.listContainers(labelFilter(name))).toEqual([]);
  expect(await runtime.listNetworks(labelFilter(name))).toEqual([]);
});

it('a mistake declared to fail less than it does is a mismatch: exit 1, and the table says what differs', async () => {
  writeFileSync(join(dir, 'mistakes/listens-on-localhost/expect.yaml'), 'why: "declared wrong on purpose"\nfails: [handshake]\n');
  const r = await lab(['selftest', dir, '--case', 'listens-on-localhost'], { timeoutMs: 170_000 });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toMatch(/listens-on-localhost +MISMATCH +1\/6 +handshake +handshake, echo, close/);
  expect(r.stdout).toContain(`${name} listens-on-localhost: also failed echo, close`);
  expect(r.stdout).toContain('selftest FAILED: 1 of 1 case(s)');
});
