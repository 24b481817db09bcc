/** A file or folder to hand to a container's tar or the engine's archive endpoint. */
export interface TarEntry {
  /** Relative to where the archive is unpacked; a folder's path ends in `/`. */
  path: string;
  /** Absent for a folder. */
  content?: Buffer | string;
  /** Default 0644 for a file, 0755 for a folder. */
  mode?: number;
}

/** A tar archive (ustar, by tar-stream) of the entries, owned by uid/gid 0, dated now. */
export async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  // Loaded on first use: the commands that make no archive (down, status, exec) start without it.
  const { pack } = await import('tar-stream');
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  const mtime = new Date();
  for (const e of entries) {
    const isDir = e.content === undefined;
    const header = {
      name: e.path,
      mode: e.mode ?? (isDir ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      mtime,
      type: isDir ? ('directory' as const) : ('file' as const),
    };
    const body = e.content ?? '';
    await new Promise<void>((resolve, reject) => p.entry(header, body, (err) => (err ? reject(err) : resolve())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
