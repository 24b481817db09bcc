import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { followProgress } from '../../src/runtime/docker/build-progress.js';
import { DockerRuntime } from '../../src/runtime/docker/docker-runtime.js';
import { makeTar } from '../../src/runtime/docker/tar.js';

const { docker } = await DockerRuntime.connect();

describe('the image builders talk to the engine with dockerode and tar-stream', () => {
  it('a tar-stream archive imported with `docker import`, its progress read with followProgress, gives the image id and the files', async () => {
    const tar = await makeTar([{ path: 'etc/' }, { path: 'etc/toplab-layers-test', content: 'imported\n', mode: 0o600 }]);
    const stream = await docker.importImage(Readable.from([tar]), {
      changes: ['LABEL org.toplab.test=image-build'],
      message: 'toplab image-build test',
    });
    const messages = await followProgress<{ status?: string; error?: string }>(docker, stream);
    expect(messages.some((m) => m.error !== undefined)).toBe(false);
    const id = messages.map((m) => m.status?.trim() ?? '').find((s) => /^sha256:[0-9a-f]{64}$/.test(s));
    expect(id).toBeDefined();
    try {
      const info = await docker.getImage(id ?? '').inspect();
      expect(info.Config?.Labels?.['org.toplab.test']).toBe('image-build');
      // The engine read the archive: its one layer is not empty.
      expect(info.Size).toBeGreaterThan(0);
    } finally {
      await docker
        .getImage(id ?? '')
        .remove({ force: true })
        .catch(() => undefined);
    }
  });

  it('followProgress rejects when the stream fails', async () => {
    const broken = new Readable({ read() {} });
    const done = followProgress(docker, broken);
    broken.destroy(new Error('connection reset'));
    await expect(done).rejects.toThrow('connection reset');
  });
});
