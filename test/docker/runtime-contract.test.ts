// DockerRuntime on a real engine against the cases the in-memory engine of the unit tests also passes
// (test/unit/runtime/memory-runtime.test.ts): where the fake and Docker part, this is where it shows.
import { afterAll, beforeAll, describe } from 'vitest';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { labImageTag } from '../../src/runtime/lab-image.js';
import { overlaps4 } from '../fakes/memory-runtime.js';
import { runtimeContract, type ContractSetup } from '../fakes/runtime-contract.js';

const runtime = await DockerRuntime.connect();
const run = `ct${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const label: [string, string] = ['org.toplab.test.contract', run];
let setup: ContractSetup | undefined;

beforeAll(async () => {
  // Two /24s no network on the engine uses (another test's labs included), well away from the lab pool.
  const used = await runtime.usedSubnets();
  const free: string[] = [];
  for (let x = 0; x < 256 && free.length < 2; x++) {
    const s = `10.61.${x}.0/24`;
    if (!used.some((u) => overlaps4(u, s))) free.push(s);
  }
  const [a = '', b = ''] = free;
  setup = { runtime, prefix: `tl-${run}`, label, subnets: [a, b, a.replace(/\.0\/24$/, '.128/25')], image: labImageTag() };
});

afterAll(async () => {
  // Whatever a failing case left, by this run's label only.
  const filter = [`${label[0]}=${label[1]}`];
  await runtime.removeContainers((await runtime.listContainers(filter)).map((c) => c.id));
  await runtime.removeNetworks((await runtime.listNetworks(filter)).map((n) => n.id));
});

describe('DockerRuntime keeps the Runtime contract on a real engine', () => {
  runtimeContract(() => {
    if (!setup) throw new Error('no setup');
    return setup;
  });
});
