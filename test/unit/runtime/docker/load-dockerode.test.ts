import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDockerode } from '../../../../src/runtime/docker/load-dockerode.js';

const require = createRequire(import.meta.url);

describe('loadDockerode', () => {
  it('gives the Docker class and leaves BuildKit, ssh and tar support loadable on first use', () => {
    const Docker = loadDockerode();
    expect(typeof Docker).toBe('function');
    expect(typeof new Docker().listContainers).toBe('function');
    const main = require.resolve('dockerode');
    const fromDockerode = createRequire(main);
    const session = require.cache[join(dirname(main), 'session.js')]?.exports as unknown;
    const ssh = require.cache[join(dirname(fromDockerode.resolve('docker-modem')), 'ssh.js')]?.exports as unknown;
    const tar = require.cache[fromDockerode.resolve('tar-fs')]?.exports as { pack?: unknown } | undefined;
    expect(typeof session).toBe('function');
    expect(typeof ssh).toBe('function');
    // Touching the stand-in loads the real module.
    expect(typeof tar?.pack).toBe('function');
  });
});
