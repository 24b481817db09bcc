/** What `traceroute` (Linux traceroute 2.1) printed. */
export interface TracerouteResult {
  target?: string;
  address?: string;
  maxHops?: number;
  hops: TracerouteHop[];
}

export interface TracerouteHop {
  ttl: number;
  /** Addresses that answered at this TTL, in order, without duplicates; empty when every probe timed out. */
  addresses: string[];
  /** Probes with no answer (`*`). */
  timeouts: number;
  /** Annotations such as !H, !N, !X (unreachable). */
  annotations: string[];
}

/** Parses `traceroute` output, with or without -n (names then `(address)`). */
export function parseTraceroute(text: string): TracerouteResult {
  const r: TracerouteResult = { hops: [] };
  for (const line of text.split('\n')) {
    const head = /^traceroute6? to (\S+) \(([^)]+)\), (\d+) hops max/.exec(line);
    if (head) {
      r.target = head[1] ?? '';
      r.address = head[2] ?? '';
      r.maxHops = Number(head[3]);
      continue;
    }
    const hop = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!hop) continue;
    const h: TracerouteHop = { ttl: Number(hop[1]), addresses: [], timeouts: 0, annotations: [] };
    const rest = hop[2] ?? '';
    // Tokens: `*`, `addr`, `name (addr)`, `0.123 ms`, `!H`.
    const tokens = rest.match(/\*|\S+ \([^)]+\)|!\w*|[\d.]+ ms|\S+/g) ?? [];
    for (const t of tokens) {
      if (t === '*') h.timeouts++;
      else if (t.startsWith('!')) h.annotations.push(t);
      else if (/^[\d.]+ ms$/.test(t) || t === 'ms') continue;
      else {
        const m = /\(([^)]+)\)$/.exec(t);
        const addr = m ? (m[1] ?? '') : t;
        if (/^[\d.]+$/.test(addr) && !/^\d+\.\d+\.\d+\.\d+$/.test(addr)) continue;
        if (!h.addresses.includes(addr)) h.addresses.push(addr);
      }
    }
    r.hops.push(h);
  }
  return r;
}

/** The number of hops to the destination: the TTL of the first hop that is the target address, or the last hop. */
export function hopCount(r: TracerouteResult): number {
  const i = r.address ? r.hops.findIndex((h) => h.addresses.includes(r.address ?? '')) : -1;
  return i >= 0 ? (r.hops[i]?.ttl ?? 0) : (r.hops[r.hops.length - 1]?.ttl ?? 0);
}
