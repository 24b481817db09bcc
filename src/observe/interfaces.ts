/** One network interface, from `ip addr` / `ip -d addr` / `ip link` or `ifconfig`. */
export interface InterfaceInfo {
  name: string;
  /** ip: the peer's interface index after `@`, e.g. eth0@if94. */
  index?: number;
  mtu: number;
  /** Upper-case flags: UP, LOWER_UP, BROADCAST, MULTICAST, LOOPBACK (ip) or RUNNING (ifconfig). */
  flags: string[];
  /** Operational state (ip only): UP, DOWN, UNKNOWN. */
  state?: string;
  mac?: string;
  addresses: InterfaceAddress[];
}

export interface InterfaceAddress {
  family: 4 | 6;
  address: string;
  prefix: number;
  broadcast?: string;
  scope?: string;
}

function prefixFromNetmask(mask: string): number {
  return mask.split('.').reduce(
    (n, part) =>
      n +
      (Number(part) >>> 0)
        .toString(2)
        .split('')
        .filter((b) => b === '1').length,
    0,
  );
}

/** Parses `ip addr`, `ip -d addr`, `ip link` (any of `ip -o` too). */
export function parseIpAddr(text: string): InterfaceInfo[] {
  const out: InterfaceInfo[] = [];
  let cur: InterfaceInfo | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+\\\s+/g, ' ');
    const head = /^(\d+):\s+([^:@\s]+)(?:@(?:if)?(\w+))?:\s+<([^>]*)>(.*)$/.exec(line);
    if (head) {
      const rest = head[5] ?? '';
      const peer = head[3] !== undefined && /^\d+$/.test(head[3]) ? Number(head[3]) : undefined;
      cur = {
        name: head[2] ?? '',
        ...(peer !== undefined ? { index: peer } : {}),
        mtu: Number(/\bmtu (\d+)/.exec(rest)?.[1] ?? 0),
        flags: (head[4] ?? '').split(',').filter((f) => f !== ''),
        addresses: [],
      };
      const state = /\bstate (\S+)/.exec(rest)?.[1];
      if (state) cur.state = state;
      out.push(cur);
      // `ip -o` puts everything on one line per interface or address; fall through for link/ether.
    }
    // `ip -o addr` lines start with the index and name again.
    const oneLine = /^\d+:\s+(\S+)\s+(inet6?)\s/.exec(line);
    if (oneLine) cur = out.find((i) => i.name === oneLine[1]) ?? cur;
    if (!cur) continue;
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(line)?.[1];
    if (mac) cur.mac = mac;
    const inet = /\binet (\d+\.\d+\.\d+\.\d+)\/(\d+)(?: brd (\S+))?(?: scope (\S+))?/.exec(line);
    if (inet)
      cur.addresses.push({
        family: 4,
        address: inet[1] ?? '',
        prefix: Number(inet[2]),
        ...(inet[3] ? { broadcast: inet[3] } : {}),
        ...(inet[4] ? { scope: inet[4] } : {}),
      });
    const inet6 = /\binet6 ([0-9a-f:.]+)\/(\d+)(?: scope (\S+))?/.exec(line);
    if (inet6)
      cur.addresses.push({ family: 6, address: inet6[1] ?? '', prefix: Number(inet6[2]), ...(inet6[3] ? { scope: inet6[3] } : {}) });
  }
  return out;
}

/** Parses `ifconfig` / `ifconfig -a` (net-tools 2.10). */
export function parseIfconfig(text: string): InterfaceInfo[] {
  const out: InterfaceInfo[] = [];
  let cur: InterfaceInfo | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+?):\s+flags=\d+<([^>]*)>\s+mtu (\d+)/.exec(line);
    if (head) {
      cur = { name: head[1] ?? '', mtu: Number(head[3]), flags: (head[2] ?? '').split(',').filter((f) => f !== ''), addresses: [] };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const inet = /^\s+inet (\d+\.\d+\.\d+\.\d+)\s+netmask (\S+)(?:\s+broadcast (\S+))?/.exec(line);
    if (inet)
      cur.addresses.push({
        family: 4,
        address: inet[1] ?? '',
        prefix: prefixFromNetmask(inet[2] ?? ''),
        ...(inet[3] ? { broadcast: inet[3] } : {}),
      });
    const inet6 = /^\s+inet6 (\S+)\s+prefixlen (\d+)(?:\s+scopeid \S+<(\w+)>)?/.exec(line);
    if (inet6)
      cur.addresses.push({ family: 6, address: inet6[1] ?? '', prefix: Number(inet6[2]), ...(inet6[3] ? { scope: inet6[3] } : {}) });
    const mac = /^\s+ether ([0-9a-f:]{17})/.exec(line)?.[1];
    if (mac) cur.mac = mac;
  }
  return out;
}

/** The interface that carries an address. */
export function interfaceWithAddress(list: InterfaceInfo[], address: string): InterfaceInfo | undefined {
  return list.find((i) => i.addresses.some((a) => a.address === address));
}
