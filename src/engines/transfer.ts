import type Docker from 'dockerode';
import { Transform, type TransformCallback } from 'node:stream';
import { EngineError, errorMessage } from '../errors.js';

/** Counts the bytes going through, for progress lines. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

/**
 * Copies an image from one engine to another without a registry: `GET /images/<tag>/get` on the source
 * streamed straight into `POST /images/load` on the target (`docker save | docker load`, through the API).
 * `onProgress` gets a line about every 2 s with the megabytes sent. Throws an EngineError naming both ends.
 */
export async function transferImage(
  from: Docker,
  to: Docker,
  tag: string,
  opts: { fromName?: string; toName?: string; onProgress?: (line: string) => void } = {},
): Promise<{ bytes: number; ms: number }> {
  const started = Date.now();
  const where = `${tag} from ${opts.fromName ?? 'the source engine'} to ${opts.toName ?? 'the target engine'}`;
  const counter = new ByteCounter();
  const meter = setInterval(() => opts.onProgress?.(`copying ${where}: ${Math.round(counter.bytes / 1e6)} MB sent`), 2000);
  meter.unref();
  try {
    const source = (await from.getImage(tag).get()) as NodeJS.ReadableStream;
    source.on('error', (e) => counter.destroy(e));
    source.pipe(counter);
    const reply = (await to.loadImage(counter, { quiet: true })) as NodeJS.ReadableStream;
    const text = await new Promise<string>((resolve, reject) => {
      let t = '';
      reply.on('data', (c: Buffer) => (t += c.toString()));
      reply.on('end', () => resolve(t));
      reply.on('error', reject);
    });
    const failure = /"error(?:Detail)?":\s*(?:\{"message":)?"([^"]+)"/.exec(text);
    if (failure) throw new Error(failure[1]);
    await to.getImage(tag).inspect();
    opts.onProgress?.(`copied ${where}: ${Math.round(counter.bytes / 1e6)} MB in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return { bytes: counter.bytes, ms: Date.now() - started };
  } catch (e) {
    throw new EngineError(`could not copy ${where}: ${errorMessage(e)}`, { cause: e });
  } finally {
    clearInterval(meter);
  }
}
