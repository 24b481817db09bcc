import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../src/deploy/down.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { labelFilter } from '../../src/plan/labels.js';
import { lab, run, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const instance = uniqueInstance('t');

interface JsonReport {
  status: string;
  score: number;
  maxScore: number;
  instance: string;
  checks: { id: string; status: string; points: number; maxPoints: number; message: string; evidence: string[] }[];
}

describe('tcp-handshake on a real engine', () => {
  afterAll(async () => {
    await removeInstance(runtime, 'tcp-handshake', instance);
  });

  it('comes up, says so when already up, and changes nothing the second time', async () => {
    const first = await lab(['up', 'tcp-handshake', '--instance', instance]);
    expect(first.stderr + first.stdout).toContain('is up');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/server\s+lan 10\.\d+\.\d+\.10/);
    expect(first.stdout).toMatch(/client\s+lan 10\.\d+\.\d+\.20/);
    const before = await runtime.listContainers(labelFilter('tcp-handshake', instance));
    expect(before.map((c) => c.labels['org.toplab.node']).sort()).toEqual(['client', 'server']);

    const second = await lab(['up', 'tcp-handshake', '--instance', instance]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('already up');
    const after = await runtime.listContainers(labelFilter('tcp-handshake', instance));
    expect(after.map((c) => c.id).sort()).toEqual(before.map((c) => c.id).sort());
  });

  it('runs netstat in a node and passes its exit code through', async () => {
    const r = await lab(['exec', 'tcp-handshake', '--instance', instance, 'server', '--', 'netstat', '-tlnp']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/:9000\s.*LISTEN\s+\d+\/node/);
    const failing = await lab([
      'exec',
      'tcp-handshake',
      '--instance',
      instance,
      'server',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 7',
    ]);
    expect(failing.code).toBe(7);
    expect(failing.stdout).toBe('out\n');
    expect(failing.stderr).toContain('err\n');
  });

  it("gives everything after -- to the command, its options included (df -h is df's -h, not toplab's help)", async () => {
    const df = await lab(['exec', 'tcp-handshake', '--instance', instance, 'server', '--', 'df', '-h', '/']);
    expect(df.stderr).toBe('');
    expect(df.code).toBe(0);
    expect(df.stdout).toMatch(/^Filesystem\s+Size\s+Used\s+Avail/);
    expect(df.stdout).not.toMatch(/Usage: lab/);
  });

  it('says a tool needs --privileged, in a command that keeps the instance', async () => {
    const r = await lab([
      'exec',
      'tcp-handshake',
      '--instance',
      instance,
      'server',
      '--',
      'tcpdump',
      '-i',
      'any',
      '-c',
      '1',
      'tcp port 9000',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `hint: nodes have no capabilities; tools like tcpdump need --privileged: lab exec tcp-handshake --instance ${instance} --privileged server -- tcpdump -i any -c 1 'tcp port 9000'`,
    );
  });

  it('gives the command what is piped in, and a terminal when run from one', async () => {
    // The example of `lab exec --help`: the echo server answers through the lab network.
    const piped = await lab(['exec', 'tcp-handshake', '--instance', instance, 'client', '--', 'nc', '-N', 'server', '9000'], {
      input: 'hello over the lab\n',
    });
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe('hello over the lab\n');
    expect(piped.code).toBe(0);
    // From a terminal (`script` gives the CLI one, as a user's shell would): an interactive shell in the node.
    const cli = `${process.execPath} bin/lab.js exec tcp-handshake --instance ${instance} server -- sh`;
    const term = await run('script', ['-qec', cli, '/dev/null'], { input: 'tty\necho inside-$((6*7))\nexit 3\n' });
    expect(term.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(term.stdout).toContain('inside-42');
    expect(term.code).toBe(3);
  });

  it('grades the reference with full marks from the real capture', async () => {
    const r = await lab(['check', 'tcp-handshake', '--instance', instance, '--format', 'json']);
    const report = JSON.parse(r.stdout) as JsonReport;
    expect(report.status, r.stdout + r.stderr).toBe('passed');
    expect(r.code).toBe(0);
    expect(report.score).toBe(report.maxScore);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['listen', 'passed'],
      ['handshake', 'passed'],
      ['established-server', 'passed'],
      ['established-client', 'passed'],
      ['echo', 'passed'],
      ['close', 'passed'],
    ]);
    const hs = report.checks.find((c) => c.id === 'handshake');
    expect(hs?.evidence).toHaveLength(3);
    expect(hs?.evidence[0]).toMatch(/\[S\] seq=\d+/);
    expect(hs?.evidence[1]).toMatch(/\[S\.\] seq=\d+ ack=\d+/);
  });

  it('grades a second check on its own run, not on what the first left under the same names', async () => {
    // The first check left its run of the client (/run/toplab/client/<token>: exit code, output) behind. Make
    // it unmistakable: a second check must wait for its own runs, never read these.
    const [client] = await runtime.listContainers([
      ...labelFilter('tcp-handshake', instance),
      'org.toplab.node=client',
      'org.toplab.role=node',
    ]);
    expect(client).toBeDefined();
    const planted = await runtime.exec(
      client?.id ?? '',
      [
        'sh',
        '-c',
        'for d in /run/toplab/client/*; do test -e $d/exit && printf "stale output\\n" >$d/stdout && echo 42 >$d/exit && echo planted; done',
      ],
      { user: '1000:1000' },
    );
    expect(planted.stdout.toString()).toBe('planted\n');
    const dir = mkdtempSync(join(tmpdir(), 'toplab-second-'));
    try {
      const r = await lab(['check', 'tcp-handshake', '--instance', instance, '--format', 'json', '--results', dir]);
      const report = JSON.parse(r.stdout) as JsonReport & { artifactsDir: string };
      expect(report.status, r.stdout + r.stderr).toBe('passed');
      const out = readFileSync(join(report.artifactsDir, 'client.stdout'), 'utf8');
      expect(out).not.toContain('stale');
      expect(out.trim()).not.toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('goes down leaving nothing labelled for the instance', async () => {
    const r = await lab(['down', 'tcp-handshake', '--instance', instance]);
    expect(r.code).toBe(0);
    expect(await runtime.listContainers(labelFilter('tcp-handshake', instance))).toEqual([]);
    expect(await runtime.listNetworks(labelFilter('tcp-handshake', instance))).toEqual([]);
  });
});
