import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeInstance } from '../../src/deploy/down.js';
import { labelFilter } from '../../src/plan/labels.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab, ROOT, uniqueInstance } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const instance = uniqueInstance('rc');
const results = mkdtempSync(join(tmpdir(), 'toplab-recheck-'));

interface Report {
  status: string;
  score: number;
  maxScore: number;
  artifactsDir?: string;
  checks: { id: string; status: string; message: string }[];
}

describe('lab check run again and again on one instance', () => {
  afterAll(async () => {
    await removeInstance(runtime, 'udp-echo', instance);
    rmSync(results, { recursive: true, force: true });
  });

  it('gives the unmodified reference full marks every time, each run in its own results folder', async () => {
    const seen: string[] = [];
    const folders = new Set<string>();
    for (let i = 0; i < 10; i++) {
      if (i === 1) {
        // A busy client node (two CPU-bound loops of the student's, bounded) widens the moment where a new
        // run's wait can meet the previous run's files: the old wait took the last run's exit marker for this
        // one's (10/10, then 7/10 with "printed nothing") about once in fifteen checks this way.
        const [client] = await runtime.listContainers([
          ...labelFilter('udp-echo', instance),
          'org.toplab.node=client',
          'org.toplab.role=node',
        ]);
        await runtime.exec(
          client?.id ?? '',
          ['sh', '-c', 'for i in 1 2; do timeout 90 sh -c "while :; do :; done" </dev/null >/dev/null 2>&1 & done'],
          { user: '1000:1000' },
        );
      }
      const r = await lab(['check', 'udp-echo', '--instance', instance, '--format', 'json', '--results', results], { timeoutMs: 180_000 });
      const report = JSON.parse(r.stdout) as Report;
      seen.push(
        `run ${i + 1}: ${report.status} ${report.score}/${report.maxScore} ${report.checks
          .filter((c) => c.status !== 'passed')
          .map((c) => `${c.id}: ${c.message}`)
          .join('; ')}`,
      );
      if (report.artifactsDir) folders.add(report.artifactsDir);
    }
    expect(
      seen.filter((s) => !/passed 10\/10 $/.test(s)),
      seen.join('\n'),
    ).toEqual([]);
    expect(folders.size).toBe(10);
  }, 900_000);

  it('gives two grades at once of submissions whose folders share a last name their own artifacts', async () => {
    const work = mkdtempSync(join(tmpdir(), 'toplab-same-name-'));
    try {
      for (const who of ['a', 'b']) {
        const dir = join(work, who, 'submission');
        mkdirSync(dir, { recursive: true });
        cpSync(join(ROOT, 'labs/udp-echo/server.ts'), join(dir, 'server.ts'));
        // Student b's client says who it is first: its output must show up in b's folder only.
        const client = readFileSync(join(ROOT, 'labs/udp-echo/client.ts'), 'utf8');
        writeFileSync(join(dir, 'client.ts'), who === 'b' ? `console.log('this is b');\n${client}` : client);
      }
      const [a, b] = await Promise.all(
        ['a', 'b'].map(async (who) => {
          const r = await lab(
            ['grade', 'udp-echo', '--submission', join(work, who, 'submission'), '--format', 'json', '--results', results],
            { timeoutMs: 180_000 },
          );
          return JSON.parse(r.stdout) as Report;
        }),
      );
      expect(a?.artifactsDir).toBeDefined();
      expect(b?.artifactsDir).toBeDefined();
      expect(a?.artifactsDir).not.toBe(b?.artifactsDir);
      expect(readFileSync(join(a?.artifactsDir ?? '', 'client.stdout'), 'utf8')).toBe('one\ntwo\nthree\n');
      expect(readFileSync(join(b?.artifactsDir ?? '', 'client.stdout'), 'utf8')).toMatch(/^this is b\n/);
      expect(a?.score).toBe(10);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
