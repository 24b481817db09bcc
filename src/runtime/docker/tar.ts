/** A minimal ustar writer: enough to hand a few files to the engine's archive endpoint. */
export interface TarEntry {
  path: string;
  /** Absent for a directory. */
  content?: Buffer | string;
  mode?: number;
}

export function makeTar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const isDir = e.content === undefined;
    const body = typeof e.content === 'string' ? Buffer.from(e.content) : (e.content ?? Buffer.alloc(0));
    if (Buffer.byteLength(e.path) > 100) throw new Error(`tar: path too long: ${e.path}`);
    const h = Buffer.alloc(512, 0);
    h.write(e.path, 0, 100, 'utf8');
    h.write(octal(e.mode ?? (isDir ? 0o755 : 0o644), 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(body.length, 12), 124);
    h.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    h.fill(' ', 148, 156);
    h.write(isDir ? '5' : '0', 156);
    h.write('ustar\u000000', 257, 'binary');
    let sum = 0;
    for (const byte of h) sum += byte;
    h.write(octal(sum, 7) + ' ', 148, 'binary');
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}
