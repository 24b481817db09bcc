import type Docker from 'dockerode';
import { PassThrough, Readable } from 'node:stream';

/**
 * A container's whole multiplexed output (Docker's stream format: frames with an 8-byte header naming stdout
 * or stderr, as `container.logs()` returns for a container without a terminal) as one text, stdout and stderr
 * in the order they came. Demultiplexed by docker-modem's own `demuxStream`, which also passes output that
 * has no frame headers (a terminal's) through whole.
 */
export async function demuxedText(modem: Docker['modem'], multiplexed: Buffer): Promise<string> {
  const both = new PassThrough();
  const chunks: Buffer[] = [];
  both.on('data', (c: Buffer) => chunks.push(c));
  const source = Readable.from([multiplexed], { objectMode: false });
  const ended = new Promise<void>((resolve, reject) => {
    source.on('end', resolve);
    source.on('error', reject);
  });
  modem.demuxStream(source, both, both);
  await ended;
  both.end();
  await new Promise<void>((resolve) => (both.readableEnded ? resolve() : both.on('end', resolve)));
  return Buffer.concat(chunks).toString('utf8');
}
