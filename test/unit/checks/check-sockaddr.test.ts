import { describe, expect, it } from 'vitest';
import { checkSockaddr, compareField, hexBytes, kernelPeer } from '../../../src/checks/sockaddr.js';
import { addressBytes } from '../../../src/util/address.js';
import { emptyObservations, type Observations } from '../../../src/exercise/observations.js';
import type { SockaddrCheck } from '../../../src/lab/model.js';
import { parseSs } from '../../../src/observe/sockets.js';
import type { Packet } from '../../../src/observe/types.js';
import { fixture } from '../../helpers/observations.js';

/** A client's SYN as the capture decoder gives it. */
function syn(src: string, dst: string, srcPort: number, dstPort: number): Packet {
  const version = src.includes(':') ? 6 : 4;
  return {
    index: 0,
    time: 0,
    length: 74,
    link: { type: 'linux-sll2' },
    ip: { version, src, dst, ttl: 64, protocol: 6 } as Packet['ip'],
    tcp: {
      srcPort,
      dstPort,
      seq: 1000,
      ack: 0,
      flags: { syn: true, ack: false, fin: false, rst: false, psh: false, urg: false, ece: false, cwr: false },
      window: 64240,
      options: {},
      payload: Buffer.alloc(0),
    } as unknown as Packet['tcp'],
  };
}

/** The real ss -tan table of the fixture server (an IPv4 listener on 9000, a dual-stack one on 9100), a capture, and a report. */
function observations(packets: Packet[], report: string): Observations {
  const raw = fixture('sockets/server-ss-tan.txt').toString();
  return {
    ...emptyObservations({ server: ['10.77.251.10', 'fd00:7e57:77::10'], client: ['10.77.251.20', 'fd00:7e57:77::20'] }),
    captures: { wire: { node: 'server', packets } },
    probes: { during: { node: 'server', kind: 'sockets', raw, sockets: parseSs(raw) } },
    programs: {
      server: {
        node: 'server',
        kind: 'program',
        stdout: report,
        stderr: '',
        timedOut: false,
        running: false,
        droppedBytes: 0,
        exitCode: 0,
      },
    },
  };
}

const spec = (field: SockaddrCheck['field'], port: number, family?: 4 | 6): SockaddrCheck => ({
  report: 'server',
  field,
  capture: 'wire',
  probe: 'during',
  client: 'client',
  server: 'server',
  port,
  ...(family ? { family } : {}),
});

describe('sockaddr values', () => {
  it('reads hex bytes however they are written', () => {
    for (const t of ['a8 ca', 'a8:ca', '0xa8 0xca', 'A8CA', '[0xa8, 0xca]', 'a8-ca']) expect(hexBytes(t), t).toEqual([0xa8, 0xca]);
    expect(hexBytes('43210')).toBeUndefined();
    expect(hexBytes('zz')).toBeUndefined();
  });

  it('reads addresses as bytes: IPv4, IPv6, mapped, any spelling', () => {
    expect(addressBytes('10.0.11.20')).toEqual([10, 0, 11, 20]);
    expect(addressBytes('::ffff:10.0.11.20')).toEqual(addressBytes('::ffff:a00:b14'));
    expect(addressBytes('::ffff:10.0.11.20')?.slice(10)).toEqual([0xff, 0xff, 10, 0, 11, 20]);
    expect(addressBytes('[fd00::20]')).toHaveLength(16);
    expect(addressBytes('10.0.11.300')).toBeUndefined();
  });

  it('gives an IPv4 client of an AF_INET6 socket as a mapped address, and the port swapped on a little-endian host', () => {
    const p = kernelPeer(6, '10.0.11.20', 51794, true);
    expect(p).toMatchObject({ family: 6, address: '::ffff:10.0.11.20', portBytes: [0xca, 0x52], portHostOrder: 21194 });
    expect(kernelPeer(6, '10.0.11.20', 51794, false)?.portHostOrder).toBe(51794);
    expect(kernelPeer(4, '10.0.11.20', 9000, true)?.addressBytes).toEqual([10, 0, 11, 20]);
  });

  it('names the usual mistakes', () => {
    const p = kernelPeer(6, '10.0.11.20', 51794, true)!;
    expect(compareField('port', '21194', p).message).toBe(
      "21194 is sin_port read in host byte order: the client's port was 51794 (convert with ntohs).",
    );
    expect(compareField('family', 'AF_INET', p).message).toMatch(/IPv4-mapped IPv6 address \(::ffff:10\.0\.11\.20\) in a sockaddr_in6/);
    expect(compareField('address', '10.0.11.20', p).message).toMatch(/is the IPv4 address inside it/);
    expect(compareField('address-bytes', '0a 00 0b 14', p).message).toMatch(
      /^4 bytes given; the accepted socket is AF_INET6, so sin6_addr has 16/,
    );
    expect(compareField('port-bytes', '52 ca', p).message).toMatch(/little-endian \(host\) order/);
    expect(compareField('port-host', '51794', p).passed).toBe(false);
  });

  it('reads answers typed with a Chinese input method (full-width digits, colon, spaces)', () => {
    const p = kernelPeer(6, '10.0.11.20', 51794, true)!;
    expect(compareField('port', '５１７９４', p).passed).toBe(true);
    expect(compareField('port-bytes', 'ｃａ　５２', p).passed).toBe(true);
    expect(compareField('family', 'ＡＦ＿ＩＮＥＴ６', p).passed).toBe(true);
  });

  it('reads a printed value in quotes, curly or plain, and says when a line has no value', () => {
    const obs = observations(
      [syn('10.77.251.20', '10.77.251.10', 20002, 9100)],
      'port-bytes：“4e　22”\naddress: "::ffff:10.77.251.20"\nport:\n',
    );
    expect(checkSockaddr(spec('port-bytes', 9100, 4), obs)).toMatchObject({ passed: true });
    expect(checkSockaddr(spec('address', 9100, 4), obs)).toMatchObject({ passed: true });
    expect(checkSockaddr(spec('port', 9100, 4), obs).message).toBe('server printed `port:` with no value after it.');
  });
});

describe('sockaddr check on the real socket table', () => {
  it('an IPv4 listener gives AF_INET and 4 address bytes', () => {
    const obs = observations(
      [syn('10.77.251.20', '10.77.251.10', 20001, 9000)],
      'family: AF_INET\naddress: 10.77.251.20\nport: 20001\naddress-bytes: 0a 4d fb 14\n',
    );
    for (const f of ['family', 'address', 'port', 'address-bytes'] as const)
      expect(checkSockaddr(spec(f, 9000, 4), obs), f).toMatchObject({ passed: true });
    expect(checkSockaddr(spec('port-bytes', 9000), obs).message).toBe('server printed no line `port-bytes: <value>`.');
  });

  it('a dual-stack listener gives AF_INET6 and ::ffff: for the same IPv4 client, whatever the wire said', () => {
    const report =
      'family： AF_INET6\naddress: ::ffff:10.77.251.20\nport: 20002\nport-bytes: 4e 22\naddress-bytes: 00 00 00 00 00 00 00 00 00 00 ff ff 0a 4d fb 14\n';
    const obs = observations([syn('10.77.251.20', '10.77.251.10', 20002, 9100)], report);
    for (const f of ['family', 'address', 'port', 'port-bytes', 'address-bytes'] as const)
      expect(checkSockaddr(spec(f, 9100, 4), obs), f).toMatchObject({ passed: true });
    const wrong = observations([syn('10.77.251.20', '10.77.251.10', 20002, 9100)], 'family: AF_INET\naddress: 10.77.251.20\n');
    expect(checkSockaddr(spec('family', 9100), wrong).passed).toBe(false);
    expect(checkSockaddr(spec('address', 9100), wrong).passed).toBe(false);
  });

  it('an IPv6 client', () => {
    const obs = observations(
      [syn('fd00:7e57:77::20', 'fd00:7e57:77::10', 20010, 9000)],
      'family: IPv6\naddress: fd00:7e57:77:0:0:0:0:20\nport: 20010\n',
    );
    for (const f of ['family', 'address', 'port'] as const) expect(checkSockaddr(spec(f, 9000, 6), obs), f).toMatchObject({ passed: true });
  });

  it('fails, saying why, when the client never connected or the server did not keep the connection', () => {
    expect(checkSockaddr(spec('port', 9000, 4), observations([], 'port: 1\n')).message).toMatch(
      /has no SYN from client to server port 9000 over IPv4/,
    );
    expect(
      checkSockaddr(spec('port', 9000, 4), observations([syn('10.77.251.20', '10.77.251.10', 20999, 9000)], 'port: 20999\n')).message,
    ).toMatch(/had no socket for the connection from 10\.77\.251\.20 port 20999/);
  });
});
