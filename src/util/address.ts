/**
 * IP addresses and subnets, IPv4 and IPv6: the one module that parses and formats them (on ipaddr.js), plus
 * the integer forms the subnet allocator does its arithmetic in. Pure.
 *
 * Text forms accepted: IPv4 as a dotted quad of decimal octets without leading zeros (`10.0.1.10`; not
 * `10.1` or `010.0.0.1`, which inet_aton would read differently); IPv6 as RFC 4291 §2.2 text, with `::`,
 * an optional embedded dotted quad and, where said, a zone (`fe80::1%eth0`). Text written: RFC 5952
 * (lower case, the longest run of two or more zero groups as `::`, the first on a tie), IPv4-mapped
 * addresses as `::ffff:a.b.c.d` (RFC 5952 §5).
 */
import ipaddr from 'ipaddr.js';

const MAX6 = (1n << 128n) - 1n;

// ---------------------------------------------------------------------------------------------------------
// Parsing and formatting

/** The 4 octets of a dotted-quad IPv4 address; undefined when the text is not one. */
export function parseIpv4Bytes(text: string): number[] | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text).octets : undefined;
}

/** The 16 bytes of an IPv6 address (a zone, `%eth0`, is allowed and dropped); undefined when the text is not one. */
export function parseIpv6Bytes(text: string): number[] | undefined {
  const s = text.trim();
  if (!ipaddr.IPv6.isValid(s)) return undefined;
  return ipaddr.IPv6.parse(s).toByteArray();
}

/** An address's bytes, network order: 4 for dotted IPv4, 16 for IPv6 (brackets and a zone allowed). */
export function addressBytes(text: string): number[] | undefined {
  const a = text.trim().replace(/^\[|\]$/g, '');
  return a.includes(':') ? parseIpv6Bytes(a) : parseIpv4Bytes(a);
}

/** Dotted-quad text of the 4 bytes at `at`. */
export function formatIpv4(b: ArrayLike<number>, at = 0): string {
  return `${b[at] ?? 0}.${b[at + 1] ?? 0}.${b[at + 2] ?? 0}.${b[at + 3] ?? 0}`;
}

/** RFC 5952 text of the 16 bytes at `at` (IPv4-mapped addresses as `::ffff:a.b.c.d`). */
export function formatIpv6(b: ArrayLike<number>, at = 0): string {
  const parts: number[] = [];
  for (let i = 0; i < 8; i++) parts.push(((b[at + 2 * i] ?? 0) << 8) | (b[at + 2 * i + 1] ?? 0));
  const a = new ipaddr.IPv6(parts);
  return a.isIPv4MappedAddress() ? `::ffff:${a.toIPv4Address().toString()}` : a.toRFC5952String();
}

/**
 * Canonical text for an address as a tool prints it: no brackets or zone, IPv6 in RFC 5952 form, an
 * IPv4-mapped address as the IPv4 address it maps (what crossed the wire), `*` as `::`. Text that is no
 * address comes back trimmed (IPv6-looking text also lower-cased).
 */
export function normaliseAddress(text: string): string {
  let a = text.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (a === '*') return '::';
  if (!a.includes(':')) return a;
  const bytes = parseIpv6Bytes(a);
  if (!bytes) return a.toLowerCase();
  const canonical = formatIpv6(bytes);
  return canonical.startsWith('::ffff:') && canonical.includes('.') ? canonical.slice('::ffff:'.length) : canonical;
}

/** True for addresses that mean "every local address": 0.0.0.0, ::, *. */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '*';
}

// ---------------------------------------------------------------------------------------------------------
// IPv4 as 32-bit unsigned integers (the subnet allocator's arithmetic)

/** A dotted-quad address as an unsigned 32-bit integer; NaN when the text is not one. */
export function ipToInt(ip: string): number {
  const o = parseIpv4Bytes(ip);
  if (!o) return NaN;
  return (((o[0] ?? 0) << 24) | ((o[1] ?? 0) << 16) | ((o[2] ?? 0) << 8) | (o[3] ?? 0)) >>> 0;
}

export function intToIp(n: number): string {
  return formatIpv4([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

/** `a.b.c.d/p` (p 0–32): the address as written (host bits may be set) and the prefix length. */
export function parseCidr(cidr: string): { address: string; prefix: number } | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  if (!m || parseIpv4Bytes(m[1] ?? '') === undefined) return undefined;
  const prefix = Number(m[2]);
  return prefix > 32 ? undefined : { address: m[1] ?? '', prefix };
}

/** The netmask of a prefix length, as an unsigned 32-bit integer. */
export function maskBits(prefix: number): number {
  return prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
}

/** First and last address of an IPv4 subnet, as integers. */
export function cidrRange(cidr: string): { start: number; end: number; prefix: number } | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  const start = (ipToInt(c.address) & maskBits(c.prefix)) >>> 0;
  return { start, end: (start | ~maskBits(c.prefix)) >>> 0, prefix: c.prefix };
}

/** Whether a dotted-quad address lies in an IPv4 subnet (false when either is not one). */
export function inCidr(address: string, cidr: string): boolean {
  const c = cidrRange(cidr);
  const a = ipToInt(address);
  return c !== undefined && !Number.isNaN(a) && a >= c.start && a <= c.end;
}

/** Whether two IPv4 subnets share an address (false when either is not a subnet). */
export function overlaps(a: string, b: string): boolean {
  const x = cidrRange(a);
  const y = cidrRange(b);
  if (!x || !y) return false;
  return x.start <= y.end && y.start <= x.end;
}

// ---------------------------------------------------------------------------------------------------------
// IPv6 as 128-bit BigInts

/** An IPv6 address (no zone) as a 128-bit integer; undefined when the text is not one. */
export function parseIp6(text: string): bigint | undefined {
  const bytes = text.includes('%') ? undefined : parseIpv6Bytes(text);
  return bytes?.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
}

/** RFC 5952 text of a 128-bit integer. */
export function formatIp6(n: bigint): string {
  const bytes: number[] = [];
  for (let i = 15; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return formatIpv6(bytes);
}

export function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (MAX6 << BigInt(128 - prefix)) & MAX6;
}

export interface Cidr6 {
  start: bigint;
  end: bigint;
  prefix: number;
  /** The address as written (host bits may be set). */
  address: bigint;
}

/** `addr/p` (p 0–128). */
export function parseCidr6(text: string): Cidr6 | undefined {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const address = parseIp6(m[1] ?? '');
  const prefix = Number(m[2]);
  if (address === undefined || prefix > 128) return undefined;
  const start = address & mask6(prefix);
  return { start, end: start | (~mask6(prefix) & MAX6), prefix, address };
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
  return formatIp6(s.start | (a & ~mask6(d.prefix) & MAX6));
}
