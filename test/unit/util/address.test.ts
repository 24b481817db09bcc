import { describe, expect, it } from 'vitest';
import {
  addressBytes,
  cidrRange,
  formatIp6,
  formatIpv6,
  inCidr,
  inCidr6,
  intToIp,
  ipToInt,
  normaliseAddress,
  overlaps,
  overlaps6,
  parseCidr,
  parseCidr6,
  parseIp6,
  parseIpv4Bytes,
  parseIpv6Bytes,
  translate6,
} from '../../../src/util/address.js';

describe('IPv4', () => {
  it('reads dotted quads only, without leading zeros (inet_aton would read 010 as octal)', () => {
    expect(parseIpv4Bytes('10.0.1.10')).toEqual([10, 0, 1, 10]);
    for (const bad of ['10.0.1', '10.0.1.256', '010.0.0.1', '10.0.1.1 ', 'a.b.c.d', '']) expect(parseIpv4Bytes(bad)).toBeUndefined();
  });

  it('converts to and from unsigned 32-bit integers', () => {
    expect(ipToInt('255.255.255.255')).toBe(0xffffffff);
    expect(ipToInt('10.0.1.2')).toBe(0x0a000102);
    expect(intToIp(0xc0a80001)).toBe('192.168.0.1');
    expect(ipToInt('10.0.1')).toBeNaN();
  });

  it('reads subnets and tells overlaps', () => {
    expect(parseCidr('10.0.1.5/24')).toEqual({ address: '10.0.1.5', prefix: 24 });
    expect(parseCidr('10.0.1.0/33')).toBeUndefined();
    expect(parseCidr('10.0.1/24')).toBeUndefined();
    expect(cidrRange('10.0.1.77/24')).toEqual({ start: 0x0a000100, end: 0x0a0001ff, prefix: 24 });
    expect(cidrRange('0.0.0.0/0')).toEqual({ start: 0, end: 0xffffffff, prefix: 0 });
    expect(overlaps('10.0.0.0/16', '10.0.200.0/24')).toBe(true);
    expect(overlaps('10.0.1.0/24', '10.0.2.0/24')).toBe(false);
    expect(overlaps('not a subnet', '10.0.2.0/24')).toBe(false);
    expect(inCidr('10.0.1.255', '10.0.1.0/24')).toBe(true);
    expect(inCidr('10.0.2.0', '10.0.1.0/24')).toBe(false);
    expect(inCidr('10.0.1', '10.0.1.0/24')).toBe(false);
  });
});

describe('IPv6', () => {
  it('writes RFC 5952 text: lower case, longest zero run as ::, the first on a tie, mapped IPv4 dotted', () => {
    expect(formatIp6(parseIp6('FD00:0:0:1:0:0:0:5') ?? 0n)).toBe('fd00:0:0:1::5');
    expect(formatIp6(parseIp6('1:0:0:2:0:0:3:4') ?? 0n)).toBe('1::2:0:0:3:4');
    expect(formatIp6(parseIp6('2001:db8:0:1:1:1:1:1') ?? 0n)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp6(0n)).toBe('::');
    expect(formatIp6(1n)).toBe('::1');
    expect(formatIpv6([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 1, 1])).toBe('::ffff:10.0.1.1');
    expect(formatIpv6([0, 0, 0xfd, 0, ...new Array<number>(13).fill(0), 9], 2)).toBe('fd00::9');
  });

  it('reads :: and an embedded dotted quad; rejects what is not an address', () => {
    expect(parseIp6('::ffff:10.0.1.1')).toBe(0xffff0a000101n);
    expect(parseIp6('fd00::1')).toBe((0xfd00n << 112n) | 1n);
    for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::1.2.3.256', 'fe80::1%eth0', ''])
      expect(parseIp6(bad)).toBeUndefined();
    // A zone is part of what tools print for link-local addresses: the bytes are read, the zone dropped.
    expect(parseIpv6Bytes('fe80::1%eth0')?.slice(0, 2)).toEqual([0xfe, 0x80]);
  });

  it('reads subnets, tells overlaps and membership, and moves a host part between subnets', () => {
    const c = parseCidr6('fd00:0:0:1::7/64');
    expect(c && formatIp6(c.start)).toBe('fd00:0:0:1::');
    expect(c?.prefix).toBe(64);
    expect(parseCidr6('fd00::/129')).toBeUndefined();
    expect(overlaps6('fd00::/48', 'fd00:0:0:5::/64')).toBe(true);
    expect(overlaps6('fd00:0:0:1::/64', 'fd00:0:0:2::/64')).toBe(false);
    expect(inCidr6('fd00:0:0:1::10', 'fd00:0:0:1::/64')).toBe(true);
    expect(inCidr6('fd00:0:0:2::10', 'fd00:0:0:1::/64')).toBe(false);
    expect(translate6('fd00:0:0:1::10', 'fd00:0:0:1::/64', 'fd42:7:7:9::/64')).toBe('fd42:7:7:9::10');
  });
});

describe('addresses as tools print them', () => {
  it.each([
    ['[::ffff:10.0.1.10]', '10.0.1.10'],
    ['FE80::1%eth0', 'fe80::1'],
    ['*', '::'],
    ['10.0.1.10', '10.0.1.10'],
    ['fd00:0:0:0:0:0:0:10', 'fd00::10'],
    ['not:an:address', 'not:an:address'],
  ])('normaliseAddress(%s) is %s', (text, want) => expect(normaliseAddress(text)).toBe(want));

  it('gives an address its bytes in network order, 4 or 16', () => {
    expect(addressBytes('10.0.1.20')).toEqual([10, 0, 1, 20]);
    expect(addressBytes('[::ffff:10.0.1.20]')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10, 0, 1, 20]);
    expect(addressBytes('10.0.1.300')).toBeUndefined();
  });
});
