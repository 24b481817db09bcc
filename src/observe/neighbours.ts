/**
 * The neighbour table of a node (`ip neigh show`): the ARP cache for IPv4 and the NDP neighbour cache for
 * IPv6 (RFC 4861), one entry per line, e.g.
 * `10.0.1.20 dev eth0 lladdr 02:42:0a:00:01:14 REACHABLE` or `10.0.1.99 dev eth0 FAILED`.
 */

export interface NeighbourEntry {
  family: 4 | 6;
  /** The neighbour's IP address. */
  address: string;
  /** The interface it was resolved on. */
  dev: string;
  /** Its link-layer (MAC) address, lower case; absent while unresolved (INCOMPLETE) or after it failed (FAILED). */
  lladdr?: string;
  /**
   * The kernel's neighbour unreachability detection state (ip-neighbour(8)): REACHABLE, STALE, DELAY, PROBE,
   * INCOMPLETE, FAILED, PERMANENT (added by hand), NOARP; several joined by a space when the kernel shows several.
   */
  state: string;
  /** IPv6: the neighbour said it is a router (NDP's R flag). */
  router: boolean;
}

/** Parses `ip neigh show` (IPv4 and IPv6 alike); lines it cannot read are skipped. */
export function parseIpNeigh(text: string): NeighbourEntry[] {
  const out: NeighbourEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const address = words[0];
    if (!address || !/^[0-9a-fA-F.:]+$/.test(address) || !/[.:]/.test(address)) continue;
    let dev = '';
    let lladdr: string | undefined;
    let router = false;
    const states: string[] = [];
    for (let i = 1; i < words.length; i++) {
      const w = words[i] ?? '';
      if (w === 'dev') dev = words[++i] ?? '';
      else if (w === 'lladdr') lladdr = (words[++i] ?? '').toLowerCase();
      else if (w === 'router') router = true;
      else if (/^[A-Z_]+$/.test(w)) states.push(w);
    }
    out.push({ family: address.includes(':') ? 6 : 4, address, dev, ...(lladdr ? { lladdr } : {}), state: states.join(' '), router });
  }
  return out;
}
