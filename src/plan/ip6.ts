/** Small IPv6 helpers (pure), on 128-bit BigInts. */
const MAX = (1n << 128n) - 1n;

/** Parses an IPv6 address (with :: and an optional embedded IPv4 tail); undefined when it is not one. */
export function parseIp6(text: string): bigint | undefined {
  let s = text.trim().toLowerCase();
  if (s.length === 0 || s.length > 45 || !/^[0-9a-f:.]+$/.test(s)) return undefined;
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const o = v4.slice(1, 5).map(Number);
    if (o.some((x) => x > 255) || !s.slice(0, v4.index).endsWith(':')) return undefined;
    // An embedded IPv4 tail is two 16-bit groups.
    s = s.slice(0, v4.index) + (((o[0] ?? 0) << 8) | (o[1] ?? 0)).toString(16) + ':' + (((o[2] ?? 0) << 8) | (o[3] ?? 0)).toString(16);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string | undefined): number[] | undefined => {
    if (h === undefined || h === '') return [];
    const groups = h.split(':');
    if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = part(halves[0]);
  const rest = part(halves[1]);
  if (!head || !rest) return undefined;
  const known = head.length + rest.length;
  let groups: number[];
  if (halves.length === 2) {
    if (known > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - known).fill(0), ...rest];
  } else {
    groups = head;
    if (groups.length !== 8) return undefined;
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** The canonical (RFC 5952) text of an address: lower case, the longest run of zero groups as ::. */
export function formatIp6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (MAX << BigInt(128 - prefix)) & MAX;
}

export interface Cidr6 {
  start: bigint;
  end: bigint;
  prefix: number;
  /** The address as written (host bits may be set). */
  address: bigint;
}

export function parseCidr6(text: string): Cidr6 | undefined {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const address = parseIp6(m[1] ?? '');
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 128) return undefined;
  const start = address & mask6(prefix);
  return { start, end: start | (~mask6(prefix) & MAX), prefix, address };
}

export function formatCidr6(start: bigint, prefix: number): string {
  return `${formatIp6(start)}/${prefix}`;
}

export function overlaps6(a: string, b: string): boolean {
  const x = parseCidr6(a);
  const y = parseCidr6(b);
  if (!x || !y) return false;
  return x.start <= y.end && y.start <= x.end;
}

export function inCidr6(address: string, cidr: string): boolean {
  const a = parseIp6(address);
  const c = parseCidr6(cidr);
  return a !== undefined && c !== undefined && a >= c.start && a <= c.end;
}

/** Keeps the host part of an address while moving it from one subnet to another of the same size. */
export function translate6(address: string, declared: string, subnet: string): string {
  const a = parseIp6(address);
  const d = parseCidr6(declared);
  const s = parseCidr6(subnet);
  if (a === undefined || !d || !s) return address;
  return formatIp6(s.start | (a & ~mask6(d.prefix) & MAX));
}
