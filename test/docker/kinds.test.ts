import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const instance = uniqueInstance('k');

describe('every check kind on a real engine (test/fixtures/labs/kinds)', () => {
  afterAll(async () => {
    await removeInstance(runtime, 'kinds', instance);
  });

  it('passes every check of the reference, each from real packets, tables and outputs', async () => {
    const r = await lab(['check', 'test/fixtures/labs/kinds', '--instance', instance, '--format', 'json'], { timeoutMs: 600_000 });
    const report = JSON.parse(r.stdout) as {
      status: string;
      steps: { description: string; status: string; message?: string }[];
      checks: { id: string; kind: string; status: string; message: string }[];
    };
    const failed = report.checks.filter((c) => c.status !== 'passed').map((c) => `${c.id}: ${c.message}`);
    expect(failed, JSON.stringify(report.steps.filter((s) => s.status !== 'ok'))).toEqual([]);
    expect(new Set(report.checks.map((c) => c.kind))).toEqual(
      new Set([
        'handshake',
        'teardown',
        'tcp-data',
        'udp',
        'icmp',
        'route',
        'socket',
        'output',
        'exit',
        'error',
        'interface',
        'window',
        'answer',
      ]),
    );
    // The neighbour table, read in the client's observer after its traceroute to the server.
    expect(report.steps.find((s) => s.description === 'probe neighbours: neighbours on client')?.status).toBe('ok');
    expect(r.code).toBe(0);
  }, 600_000);
});
