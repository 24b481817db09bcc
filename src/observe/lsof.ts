/** One network file of `lsof -nP -i` output. */
export interface LsofEntry {
  command: string;
  pid: number;
  user: string;
  /** File descriptor with its mode, e.g. `3u`. */
  fd: string;
  /** IPv4 or IPv6. */
  type: string;
  proto: 'tcp' | 'udp' | string;
  localAddress: string;
  localPort?: number;
  peerAddress?: string;
  peerPort?: number;
  /** TCP state as lsof prints it (LISTEN, ESTABLISHED ...); absent for UDP. */
  state?: string;
}

/** Splits `addr:port` where addr may be `*`, IPv4, or `[IPv6]`. */
function splitEndpoint(s: string): { address: string; port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*|.*):(\d+|\*)$/.exec(s);
  if (!m) return { address: s };
  const address = (m[1] ?? '').replace(/^\[|\]$/g, '');
  return m[2] === '*' ? { address } : { address, port: Number(m[2]) };
}

/**
 * Parses `lsof -nP -i` (optionally `-i :port`, `-s TCP:LISTEN`). Columns: COMMAND PID USER FD TYPE DEVICE
 * SIZE/OFF NODE NAME, where NAME is `local->peer (STATE)`. Lines that are not network files are skipped.
 */
export function parseLsof(text: string): LsofEntry[] {
  const out: LsofEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('COMMAND')) continue;
    const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(IPv[46])\s+\S+\s+\S+\s+(TCP|UDP|\S+)\s+(\S+)(?:\s+\((\w+)\))?\s*$/.exec(line);
    if (!m) continue;
    const [local = '', peer] = (m[7] ?? '').split('->');
    const l = splitEndpoint(local);
    const entry: LsofEntry = {
      command: (m[1] ?? '').replace(/\\x20/g, ' '),
      pid: Number(m[2]),
      user: m[3] ?? '',
      fd: m[4] ?? '',
      type: m[5] ?? '',
      proto: (m[6] ?? '').toLowerCase(),
      localAddress: l.address,
      ...(l.port !== undefined ? { localPort: l.port } : {}),
    };
    if (peer !== undefined) {
      const p = splitEndpoint(peer);
      entry.peerAddress = p.address;
      if (p.port !== undefined) entry.peerPort = p.port;
    }
    if (m[8]) entry.state = m[8];
    out.push(entry);
  }
  return out;
}
