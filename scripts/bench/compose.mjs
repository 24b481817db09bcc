// The Compose side of the benchmark: a docker-compose.yml with the same containers as a toplab lab —
// same image, same internal networks and addresses, `init: true`, the same command, capabilities, limits,
// tmpfs and logging — so that the only difference measured is the tool that creates them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { BENCH_LABEL, BENCH_RUN_LABEL } from './engine.mjs';

function ipToInt(ip) {
  return ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
}
function intToIp(n) {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
function range(cidr) {
  const [ip, p] = cidr.split('/');
  const prefix = Number(p);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const start = (ipToInt(ip) & mask) >>> 0;
  return { start, end: (start | ~mask) >>> 0, prefix, mask };
}
function overlaps(a, b) {
  const x = range(a);
  const y = range(b);
  return x.start <= y.end && y.start <= x.end;
}

/**
 * Hands out subnets for Compose projects from a pool that toplab's own pool (10.128.0.0/9) does not use,
 * skipping every subnet in use on the engine.
 */
export class SubnetPool {
  constructor(used, pool = '10.96.0.0/11') {
    this.used = [...used];
    this.pool = range(pool);
    this.next = Math.floor(Math.random() * 4096);
  }

  take(prefix) {
    const size = 2 ** (32 - prefix);
    const blocks = Math.floor((this.pool.end - this.pool.start + 1) / size);
    for (let i = 0; i < blocks; i++) {
      const b = (this.next + i) % blocks;
      const candidate = `${intToIp(this.pool.start + b * size)}/${prefix}`;
      if (!this.used.some((u) => overlaps(u, candidate))) {
        this.used.push(candidate);
        this.next = b + 1;
        return candidate;
      }
    }
    throw new Error('no free subnet left for the Compose projects');
  }
}

/** The lab file's networks and nodes, read the way toplab plans them (interfaces in file order). */
export function readLab(file) {
  const def = parse(readFileSync(file, 'utf8'));
  return { name: def.name, networks: def.networks, nodes: def.nodes };
}

/**
 * Writes `<dir>/<project>.yml` for a lab and returns its path. The containers mirror what toplab's
 * DockerRuntime.createContainer asks the engine for.
 */
export function writeComposeFile({ dir, project, lab, image, runId, pool }) {
  const subnets = {};
  const networks = {};
  for (const [name, n] of Object.entries(lab.networks)) {
    const subnet = pool.take(range(n.subnet).prefix);
    subnets[name] = subnet;
    networks[name] = {
      driver: 'bridge',
      internal: true,
      driver_opts: { 'com.docker.network.bridge.inhibit_ipv4': 'true' },
      ipam: { config: [{ subnet }] },
      labels: { [BENCH_LABEL]: 'true', [BENCH_RUN_LABEL]: runId },
    };
  }
  const services = {};
  for (const [node, n] of Object.entries(lab.nodes)) {
    const nets = {};
    for (const [net, address] of Object.entries(n.interfaces)) {
      const declared = range(lab.networks[net].subnet);
      const target = range(subnets[net]);
      nets[net] = { ipv4_address: intToIp((target.start | (ipToInt(address) & ~declared.mask)) >>> 0), aliases: [node] };
    }
    services[node] = {
      image,
      hostname: node,
      init: true,
      command: ['sleep', 'infinity'],
      environment: { HOME: '/home/student', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      labels: { [BENCH_LABEL]: 'true', [BENCH_RUN_LABEL]: runId },
      cap_drop: ['ALL'],
      security_opt: ['no-new-privileges'],
      pids_limit: 256,
      mem_limit: '512m',
      memswap_limit: '512m',
      cpus: 1.0,
      tmpfs: ['/run/toplab:rw,nosuid,nodev,size=64m,mode=1777'],
      logging: { driver: 'none' },
      networks: nets,
    };
  }
  const file = join(dir, `${project}.yml`);
  writeFileSync(file, stringify({ version: '2.4', services, networks }));
  return file;
}
