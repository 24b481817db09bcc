// The in-memory engine against the cases DockerRuntime passes on a real engine (test/docker/runtime-contract.test.ts).
import { describe } from 'vitest';
import { MemoryRuntime } from '../../fakes/memory-runtime.js';
import { runtimeContract } from '../../fakes/runtime-contract.js';

describe('the in-memory engine keeps the Runtime contract', () => {
  const engine = new MemoryRuntime({ foreignSubnets: ['172.17.0.0/16'] });
  runtimeContract(() => ({
    runtime: engine,
    prefix: 'mem-contract',
    label: ['org.toplab.test.contract', 'mem'],
    subnets: ['10.1.1.0/24', '10.1.2.0/24', '10.1.1.128/25'],
    image: 'toplab/lab:test',
  }));
});
