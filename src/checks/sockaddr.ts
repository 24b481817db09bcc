/**
 * The `sockaddr` check: a program's report of the peer address of a connection it accepted (family,
 * address, port, and the raw bytes of `sin_port` / `sin_addr` as they sit in a `struct sockaddr_in` or
 * `sockaddr_in6`) against what this run really saw: the client's SYN in a capture, and the accepted socket in
 * a socket table read while the connection was open (which says the socket's own family, AF_INET6 for an IPv4
 * client of a dual-stack listener).
 */
import { endianness } from 'node:os';
import { formatPacket } from '../observe/pcap.js';
import { addressBytes } from '../util/address.js';
import { normalizeTyped, typedInteger } from '../util/typed-text.js';
import type { Observations } from '../exercise/observations.js';
import { answerValue, unanswered } from './answer.js';
import { captureOf, isVerdict, nodeAddresses, notObserved, programOf, show, socketsOf } from './observed.js';
import { tcpPackets } from './tcp.js';
import type { Verdict } from './types.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

/** What the kernel gave the accepting socket, as the checks compare it. */
export interface KernelPeer {
  family: 4 | 6;
  /** As `getpeername()` gives it: an IPv4 client of an AF_INET6 socket is `::ffff:a.b.c.d`. */
  address: string;
  port: number;
  /** `sin_addr` / `sin6_addr`, network byte order (4 or 16 bytes). */
  addressBytes: number[];
  /** `sin_port`, network byte order. */
  portBytes: [number, number];
  /** The two bytes of `sin_port` read as an unsigned 16-bit integer in this host's byte order (no ntohs). */
  portHostOrder: number;
}

/** "a8 ca", "a8:ca", "0xa8 0xca", "A8CA", "[0xa8, 0xca]" → [0xa8, 0xca]; undefined if not hex bytes. */
export function hexBytes(text: string): number[] | undefined {
  const t = text
    .trim()
    .replace(/^[[{(]|[\]})]$/g, '')
    .trim();
  const joined = t.replace(/^0x/i, '');
  if (!/[\s,:.-]/.test(t) && joined.length % 2 !== 0) return undefined;
  const parts = /[\s,:.-]/.test(t) ? t.split(/[\s,:.-]+/).filter((x) => x !== '') : (joined.match(/.{2}/g) ?? []);
  const bytes = parts.map((p) => p.replace(/^0x/i, ''));
  if (bytes.length === 0 || !bytes.every((p) => /^[0-9a-f]{1,2}$/i.test(p))) return undefined;
  return bytes.map((p) => parseInt(p, 16));
}

const hex = (b: number[]): string => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

/** The peer as the kernel gave it to a socket of `family`, from the address and port seen on the wire. */
export function kernelPeer(family: 4 | 6, wireAddress: string, port: number, littleEndian = endianness() === 'LE'): KernelPeer | undefined {
  const address = family === 6 && !wireAddress.includes(':') ? `::ffff:${wireAddress}` : wireAddress;
  const bytes = addressBytes(address);
  if (!bytes) return undefined;
  const portBytes: [number, number] = [port >> 8, port & 0xff];
  return { family, address, port, addressBytes: bytes, portBytes, portHostOrder: littleEndian ? portBytes[0] | (portBytes[1] << 8) : port };
}

const FAMILY_NAMES: Record<4 | 6, string[]> = {
  4: ['af_inet', 'ipv4', 'inet', '2', 'pf_inet'],
  6: ['af_inet6', 'ipv6', 'inet6', '10', 'pf_inet6'],
};

/** Compares one reported field with the kernel's value: a verdict. */
export function compareField(field: SockaddrField, answer: string, peer: KernelPeer): Verdict {
  const a = normalizeTyped(answer).trim();
  const evidence = (expected: string): string[] => [`reported ${field}: ${show(a, 60)}`, `kernel: ${expected}`];
  switch (field) {
    case 'family': {
      const name = peer.family === 6 ? 'AF_INET6' : 'AF_INET';
      const got = a.toLowerCase();
      if (FAMILY_NAMES[peer.family].includes(got)) return { passed: true, message: `the family is ${name}.`, evidence: evidence(name) };
      const other = FAMILY_NAMES[peer.family === 6 ? 4 : 6].includes(got);
      return {
        passed: false,
        message:
          other && peer.family === 6 && !peer.address.slice(7).includes(':')
            ? `the accepted socket is ${name}: the listener is dual-stack, so an IPv4 client arrives as an IPv4-mapped IPv6 address (${peer.address}) in a sockaddr_in6, not as AF_INET.`
            : `${show(a, 30)} is not the family of the accepted socket, ${name}.`,
        evidence: evidence(name),
      };
    }
    case 'address': {
      const got = addressBytes(a);
      if (got && hex(got) === hex(peer.addressBytes))
        return { passed: true, message: `the address is ${peer.address}.`, evidence: evidence(peer.address) };
      const mapped =
        peer.family === 6 && got?.length === 4 && hex([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...got]) === hex(peer.addressBytes);
      return {
        passed: false,
        message: mapped
          ? `the kernel gave ${peer.address}, an IPv4-mapped IPv6 address in a sockaddr_in6; ${show(a, 30)} is the IPv4 address inside it, not what getpeername() returned.`
          : `${show(a, 40)} is not the peer address of the connection, ${peer.address}.`,
        evidence: evidence(peer.address),
      };
    }
    case 'port': {
      const n = typedInteger(a) ?? NaN;
      if (n === peer.port) return { passed: true, message: `the port is ${peer.port}.`, evidence: evidence(String(peer.port)) };
      return {
        passed: false,
        message:
          n === peer.portHostOrder
            ? `${n} is sin_port read in host byte order: the client's port was ${peer.port} (convert with ntohs).`
            : `${show(a, 20)} is not the client's port, ${peer.port} (from its SYN).`,
        evidence: evidence(String(peer.port)),
      };
    }
    case 'port-bytes': {
      const got = hexBytes(a);
      const want = hex(peer.portBytes);
      if (got && hex(got) === want)
        return {
          passed: true,
          message: `${peer.family === 6 ? 'sin6_port' : 'sin_port'} holds ${want}: big-endian, network byte order.`,
          evidence: evidence(want),
        };
      return {
        passed: false,
        message:
          got && hex(got) === hex([peer.portBytes[1], peer.portBytes[0]])
            ? `${hex(got)} is the port in little-endian (host) order; in sin_port, in network byte order, it is ${want}.`
            : `${show(a, 30)} is not the two bytes of sin_port, ${want}.`,
        evidence: evidence(want),
      };
    }
    case 'port-host': {
      const n = typedInteger(a) ?? NaN;
      if (n === peer.portHostOrder)
        return {
          passed: true,
          message: `read without ntohs, ${peer.family === 6 ? 'sin6_port' : 'sin_port'} is ${peer.portHostOrder} on this host.`,
          evidence: evidence(String(peer.portHostOrder)),
        };
      return {
        passed: false,
        message: `${show(a, 20)} is not what sin_port (${hex(peer.portBytes)}) reads as in this host's byte order without ntohs: ${peer.portHostOrder}.`,
        evidence: evidence(String(peer.portHostOrder)),
      };
    }
    case 'address-bytes': {
      const got = hexBytes(a);
      const want = hex(peer.addressBytes);
      if (got && hex(got) === want)
        return { passed: true, message: `${peer.family === 6 ? 'sin6_addr' : 'sin_addr'} holds ${want}.`, evidence: evidence(want) };
      return {
        passed: false,
        message:
          got && got.length !== peer.addressBytes.length
            ? `${got.length} bytes given; the accepted socket is ${peer.family === 6 ? 'AF_INET6, so sin6_addr has 16' : 'AF_INET, so sin_addr has 4'}: ${want}.`
            : `${show(a, 60)} is not the bytes of the peer address, ${want}.`,
        evidence: evidence(want),
      };
    }
  }
}

/** The client's SYN to the server's port, and the server's socket for that connection. */
export function observedPeer(spec: SockaddrCheck, obs: Observations): { peer: KernelPeer; evidence: string[] } | Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const clients = nodeAddresses(obs, spec.client);
  const servers = nodeAddresses(obs, spec.server);
  const syn = tcpPackets(cap.packets).find(
    (p) =>
      p.tcp.flags.syn &&
      !p.tcp.flags.ack &&
      p.tcp.dstPort === spec.port &&
      clients.includes(p.ip.src) &&
      servers.includes(p.ip.dst) &&
      (spec.family === undefined || p.ip.version === spec.family),
  );
  if (!syn)
    return {
      passed: false,
      message: `the capture \`${spec.capture}\` has no SYN from ${spec.client} to ${spec.server} port ${spec.port}${spec.family ? ` over IPv${spec.family}` : ''}: the client never connected.`,
    };
  const probe = obs.probes[spec.probe];
  if (!probe) return { passed: false, message: `the socket table \`${spec.probe}\` was not read: an earlier step failed.` };
  if (probe.error) return notObserved(`could not read the socket table of ${spec.server}: ${probe.error}`);
  const table = socketsOf(probe, spec.server);
  if (isVerdict(table)) return table;
  const sock = table.find(
    (s) => s.proto === 'tcp' && s.localPort === spec.port && s.peerPort === syn.tcp.srcPort && s.peerAddress === syn.ip.src,
  );
  if (!sock)
    return {
      passed: false,
      message: `${spec.server} had no socket for the connection from ${syn.ip.src} port ${syn.tcp.srcPort} when its socket table was read: the server did not keep the connection open until then.`,
      evidence: [formatPacket(syn)],
    };
  const peer = kernelPeer(sock.family ?? (syn.ip.version === 6 ? 6 : 4), syn.ip.src, syn.tcp.srcPort);
  if (!peer) return { passed: false, message: `toplab could not read the address ${syn.ip.src}.` };
  return {
    peer,
    evidence: [
      formatPacket(syn),
      `${spec.server}: tcp IPv${sock.family ?? '?'} ${sock.state} local port ${spec.port}, peer ${peer.address} port ${peer.port}`,
    ],
  };
}

/** A program's report of one field of the accepted peer's socket address against the kernel's. */
export function checkSockaddr(spec: SockaddrCheck, obs: Observations): Verdict {
  const p = programOf(obs, spec.report);
  if (isVerdict(p)) return p;
  const key = spec.key ?? spec.field;
  const answer = answerValue(p.stdout, key);
  if (answer === undefined || answer === '') return { passed: false, message: unanswered(spec.report, key, answer, true) };
  const o = observedPeer(spec, obs);
  if (isVerdict(o)) return o;
  const v = compareField(spec.field, answer, o.peer);
  return { ...v, evidence: [...(v.evidence ?? []), ...o.evidence] };
}

/** The fields of a `sockaddr` check (its schema fragment, in schema/lab.schema.json under checks[].sockaddr). */
export const SockaddrCheckSchema = Type.Object(
  {
    report: Type.String({ description: 'The program run or command whose stdout holds the report.' }),
    key: Type.Optional(Type.String({ description: "The key of the report's line (default: the field's name)." })),
    field: Enum(['family', 'address', 'port', 'port-bytes', 'port-host', 'address-bytes'], {
      description:
        "What is compared: family (AF_INET / AF_INET6), address (as the kernel gives it), port (a number), port-bytes (sin_port's two bytes, network order), port-host (those bytes read in host order, without ntohs), address-bytes (sin_addr's 4 or sin6_addr's 16 bytes).",
    }),
    capture: Type.String({ description: "A capture step's name: the client's SYN gives its address and port." }),
    probe: Type.String({ description: "A sockets probe of `server` taken while the connection was open: the accepted socket's family." }),
    client: Type.String({ description: "The client's node." }),
    server: Type.String({ description: "The server's node." }),
    port: ref(PortSchema, { description: "The server's port." }),
    family: Type.Optional(Enum([4, 6], { description: 'The IP version the client used on the wire (default: either).' })),
  },
  {
    additionalProperties: false,
    description:
      "A program's report of the peer address of a connection it accepted (lines `field: value` on its stdout) against what this run saw: the client's SYN in a capture and the accepted socket in a socket table read while it was open. Family and address are those getpeername() gives the accepting socket (an IPv4 client of a dual-stack listener is AF_INET6, ::ffff:a.b.c.d); bytes are written in hex, network byte order.",
  },
);
export type SockaddrCheck = Static<typeof SockaddrCheckSchema>;
export const sockaddrKind = defineCheckKind({
  name: 'sockaddr',
  schema: SockaddrCheckSchema,
  reads: ['programs', 'captures', 'probes'],
  evaluate: checkSockaddr,
  lint(spec, ctx) {
    const a = spec;
    ctx.ref(['report'], a.report, ctx.outputs, 'program run or command');
    ctx.ref(['capture'], a.capture, ctx.captures, 'capture');
    ctx.node(['client'], a.client);
    ctx.node(['server'], a.server);
    if (!ctx.names.probes.has(a.probe))
      ctx.problem(['probe'], `unknown sockets probe \`${a.probe}\`${ctx.suggest(a.probe, ctx.probesOf(['sockets']))}`);
    else ctx.probeOn(['probe'], a.probe, a.server, ['sockets'], 'sockets');
  },
});
export type SockaddrField = SockaddrCheck['field'];
