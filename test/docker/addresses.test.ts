// The addresses a lab's README quotes are real on the default instance: in `ip addr` and netstat of its
// nodes. When the declared subnet is in use, the default instance takes a pool subnet, `lab up` says so,
// and `lab graph --instance default` draws the addresses the nodes really have.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { overlaps } from '../../src/util/address.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { lab } from '../helpers/cli.js';

const runtime = await DockerRuntime.connect();
const work = mkdtempSync(join(tmpdir(), 'toplab-addresses-'));
const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const labs = [`addr-a-${tag}`, `addr-b-${tag}`];

afterAll(async () => {
  for (const name of labs) await lab(['down', join(work, name)]);
  rmSync(work, { recursive: true, force: true });
});

/** A free /24 under 10.0.200.0/21 (far from the course labs' 10.0.1-73 and from the pool). */
async function freeSubnet(): Promise<string> {
  const used = await runtime.usedSubnets();
  for (let i = 0; i < 8; i++) {
    const s = `10.0.${200 + ((i + Number.parseInt(tag, 36)) % 8)}.0/24`;
    if (!used.some((u) => !u.includes(':') && overlaps(u, s))) return s;
  }
  throw new Error('no free 10.0.200.0/21 subnet on this engine');
}

function writeLab(name: string, subnet: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const net = subnet.replace(/\.0\/24$/, '');
  writeFileSync(join(dir, 'server.ts'), "import { createServer } from 'node:net';\ncreateServer((s) => s.pipe(s)).listen(9000);\n");
  writeFileSync(
    join(dir, 'lab.yaml'),
    `name: ${name}
title: Addresses as the README quotes them
networks:
  lan: { subnet: ${subnet} }
nodes:
  server: { interfaces: { lan: ${net}.10 } }
  client: { interfaces: { lan: ${net}.20 } }
programs:
  server: { node: server, source: server.ts }
exercise:
  - start: server
    ready: { tcp: 9000 }
checks:
  - { id: listen, points: 1, socket: { node: server, tcp: 9000, state: LISTEN } }
`,
  );
  return dir;
}

describe('the default instance on a real engine', () => {
  it('has the declared addresses when they are free, and falls back (saying so) when they are not', async () => {
    const subnet = await freeSubnet();
    const net = subnet.replace(/\.0\/24$/, '');
    const a = writeLab(labs[0]!, subnet);
    const upA = await lab(['up', a]);
    expect(upA.code, upA.stderr).toBe(0);
    expect(upA.stdout).not.toContain('note:');
    // What a student types, and what the README says they will see.
    const netstat = await lab(['exec', a, 'client', '--', 'sh', '-c', `sleep 3 | nc -w 4 ${net}.10 9000 & sleep 1; netstat -tn`]);
    expect(netstat.stdout).toMatch(
      new RegExp(`${net.replace(/\./g, '\\.')}\\.20:\\d+ +${net.replace(/\./g, '\\.')}\\.10:9000 +ESTABLISHED`),
    );
    expect((await lab(['graph', a, '--instance', 'default'])).stdout).toBe((await lab(['graph', a])).stdout);

    // A second lab declaring the same subnet: its default instance cannot have it.
    const b = writeLab(labs[1]!, subnet);
    const upB = await lab(['up', b]);
    expect(upB.code, upB.stderr).toBe(0);
    const note = /note: network lan: (10\.\d+\.\d+)\.0\/24 instead of (\S+): its declared subnet is in use on this engine/.exec(upB.stdout);
    expect(note?.[2], upB.stdout).toBe(subnet);
    const moved = note?.[1] ?? '';
    expect(moved).not.toBe(net);
    const ip = await lab(['exec', b, 'server', '--', 'ip', '-4', '-o', 'addr', 'show']);
    expect(ip.stdout).toContain(`inet ${moved}.10/24`);
    const graph = (await lab(['graph', b, '--instance', 'default'])).stdout;
    expect(graph).toContain(`${moved}.0/24`);
    expect(graph).toContain(`"${moved}.10"`);
    expect(graph).not.toContain(`${net}.10`);
    expect(readFileSync(join(b, 'lab.yaml'), 'utf8')).toContain(subnet);
  });
});
