import { afterAll, describe, expect, it } from 'vitest';
import { removeInstance } from '../../../src/deploy/down.js';
import { cidrRange, overlaps } from '../../../src/util/address.js';
import { LABEL, labelFilter } from '../../../src/plan/labels.js';
import { DockerRuntime } from '../../../src/runtime/docker/docker-runtime.js';
import { lab, uniqueInstance } from '../../helpers/cli.js';
import { compileAll } from '../../../src/grade/session.js';
import { deploy } from '../../../src/deploy/up.js';
import { loadLab } from '../../../src/lab/load.js';
import { labImageTag } from '../../../src/runtime/lab-image.js';

const runtime = await DockerRuntime.connect();
const COUNT = Number(process.env.TOPLAB_TEST_INSTANCES ?? 50);
const BATCH = 10;
// A pool of its own (128 /24s), from TOPLAB_SUBNET_POOL: the mapping lives in Docker's labels and subnets.
const POOL = '10.192.0.0/17';
const prefix = uniqueInstance('m');
const instances = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`);
const env = { TOPLAB_SUBNET_POOL: POOL };

async function inBatches<T>(items: string[], run: (item: string) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map(run))));
  return out;
}

interface StatusJson {
  lab: string;
  instance: string;
  networks: { name: string; subnet?: string; declaredSubnet?: string }[];
  nodes: { name: string; running: boolean; interfaces: { network: string; address?: string }[] }[];
}

describe(`${COUNT} instances of tcp-handshake on one engine`, () => {
  afterAll(async () => {
    // Whatever happened above, nothing of these instances stays.
    for (let i = 0; i < instances.length; i += BATCH)
      await Promise.all(instances.slice(i, i + BATCH).map((inst) => removeInstance(runtime, 'tcp-handshake', inst)));
  }, 300_000);

  it('come up in parallel batches, each with its own subnet from the pool', async () => {
    // The first few through the CLI as a student would (networks, nodes, the server started and ready). The
    // rest are deployed in this process (networks, nodes, programs installed: `lab up` without starting the
    // server), which spares a shared two-core machine fifty Node start-ups, compilations and readiness polls;
    // `lab check` on a sample below starts and grades the programs in them.
    const started = Date.now();
    const cli = instances.slice(0, 3);
    const ups = await Promise.all(cli.map((inst) => lab(['up', 'tcp-handshake', '--instance', inst], { env, timeoutMs: 240_000 })));
    ups.forEach((r, i) => expect(r.code, `${cli[i]}: ${r.stdout}${r.stderr}`).toBe(0));
    const tcp = loadLab('tcp-handshake');
    const compiled = await compileAll(tcp);
    const image = labImageTag();
    process.env.TOPLAB_SUBNET_POOL = POOL;
    try {
      const outcomes = await inBatches(instances.slice(cli.length), (instance) =>
        deploy(tcp, { runtime, image, instance, programs: compiled.programs }),
      );
      for (const o of outcomes) expect(o.alreadyUp).toBe(false);
    } finally {
      delete process.env.TOPLAB_SUBNET_POOL;
    }
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(`[many-instances] ${COUNT} instances up in ${seconds.toFixed(1)}s (batches of ${BATCH})\n`);

    const status = await lab(['status', 'tcp-handshake', '--format', 'json']);
    const all = (JSON.parse(status.stdout) as StatusJson[]).filter((s) => instances.includes(s.instance));
    expect(all).toHaveLength(COUNT);
    const subnets = all.map((s) => s.networks[0]?.subnet ?? '');
    expect(new Set(subnets).size).toBe(COUNT);
    const pool = cidrRange(POOL)!;
    for (const s of subnets) {
      const r = cidrRange(s)!;
      expect(r.start >= pool.start && r.end <= pool.end, `${s} in ${POOL}`).toBe(true);
    }
    for (let i = 0; i < subnets.length; i++) for (let j = 0; j < i; j++) expect(overlaps(subnets[i]!, subnets[j]!)).toBe(false);
    // Real addresses keep the declared host parts, inside each instance's own subnet.
    for (const s of all) {
      expect(s.networks[0]?.declaredSubnet).toBe('10.0.1.0/24');
      const server = s.nodes.find((n) => n.name === 'server');
      expect(server?.running).toBe(true);
      expect(server?.interfaces[0]?.address).toBe(s.networks[0]?.subnet?.replace(/0\/24$/, '10'));
    }
  }, 600_000);

  it('pass `lab check` on a sample of them', async () => {
    const sample = [instances[0]!, instances[Math.floor(COUNT / 2)]!, instances[COUNT - 1]!];
    const results = await Promise.all(
      sample.map((inst) => lab(['check', 'tcp-handshake', '--instance', inst, '--format', 'json'], { env, timeoutMs: 120_000 })),
    );
    results.forEach((r, i) => {
      const report = JSON.parse(r.stdout) as { status: string; instance: string };
      expect(report.status, `${sample[i]}: ${r.stdout}${r.stderr}`).toBe('passed');
      expect(report.instance).toBe(sample[i]);
      expect(r.code).toBe(0);
    });
  }, 300_000);

  it('go down, leaving nothing of them', async () => {
    const started = Date.now();
    const cli = instances.slice(0, 3);
    const downs = await Promise.all(cli.map((inst) => lab(['down', 'tcp-handshake', '--instance', inst], { timeoutMs: 120_000 })));
    downs.forEach((r, i) => expect(r.code, `${cli[i]}: ${r.stderr}`).toBe(0));
    await inBatches(instances.slice(cli.length), (inst) => removeInstance(runtime, 'tcp-handshake', inst));
    process.stderr.write(`[many-instances] ${COUNT} instances down in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    const left = await runtime.listContainers(labelFilter('tcp-handshake'));
    expect(left.filter((c) => instances.includes(c.labels[LABEL.instance] ?? ''))).toEqual([]);
    const nets = await runtime.listNetworks(labelFilter('tcp-handshake'));
    expect(nets.filter((n) => instances.includes(n.labels[LABEL.instance] ?? ''))).toEqual([]);
  }, 300_000);
});
