import { formatPacket } from '../observe/pcap.js';
import type { Observations } from '../exercise/observations.js';
import { captureOf, isVerdict, nodeAddresses, show } from './observed.js';
import { connections, dedupe, streamBytes, tcpPackets } from './tcp.js';
import type { Verdict } from './types.js';
import { Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';

function judge(direction: string, bytes: Buffer, want: ByteExpectation): string | undefined {
  const text = bytes.toString('utf8');
  if (want.bytes !== undefined && bytes.length !== want.bytes) return `${direction}: ${bytes.length} bytes, expected exactly ${want.bytes}`;
  if (want.minBytes !== undefined && bytes.length < want.minBytes)
    return `${direction}: only ${bytes.length} bytes, expected at least ${want.minBytes}`;
  if (want.equals !== undefined && text !== want.equals) return `${direction}: ${show(text, 60)}, expected ${show(want.equals, 60)}`;
  if (want.contains !== undefined && !text.includes(want.contains))
    return `${direction}: ${show(text, 60)} does not contain ${show(want.contains, 60)}`;
  return undefined;
}

/** Bytes carried each way between client and server on the port, reassembled; optionally an exact echo. */
export function checkTcpData(spec: TcpDataCheck, obs: Observations): Verdict {
  const cap = captureOf(obs, spec.capture);
  if (isVerdict(cap)) return cap;
  const c = nodeAddresses(obs, spec.client);
  const s = nodeAddresses(obs, spec.server);
  const conns = connections(
    dedupe(tcpPackets(cap.packets)).filter(
      (p) =>
        (c.includes(p.ip.src) && s.includes(p.ip.dst) && p.tcp.dstPort === spec.port) ||
        (s.includes(p.ip.src) && c.includes(p.ip.dst) && p.tcp.srcPort === spec.port),
    ),
  );
  if (conns.length === 0) {
    // Where the client connected instead, if anywhere.
    const elsewhere = dedupe(tcpPackets(cap.packets)).find((p) => p.tcp.flags.syn && !p.tcp.flags.ack && c.includes(p.ip.src));
    return {
      passed: false,
      message: `no TCP connection from ${spec.client} to ${spec.server} port ${spec.port} in the capture, so no data${elsewhere ? `; ${spec.client} connected to ${elsewhere.ip.dst} port ${elsewhere.tcp.dstPort} instead` : ''}.`,
      evidence: elsewhere ? [formatPacket(elsewhere)] : [],
    };
  }
  // Every attempt refused (a SYN answered with RST, no SYN-ACK): no connection, so no bytes could be compared.
  const refused = conns.map((conn) => ({
    syn: conn.find((p) => p.tcp.flags.syn && !p.tcp.flags.ack),
    rst: conn.find((p) => p.tcp.flags.rst),
    opened: conn.some((p) => p.tcp.flags.syn && p.tcp.flags.ack),
  }));
  if (refused.every((r) => r.syn && r.rst && !r.opened)) {
    const first = refused[0];
    return {
      passed: false,
      message: `the client's ${conns.length === 1 ? 'connection' : `${conns.length} connections`} to ${spec.server} port ${spec.port} ${conns.length === 1 ? 'was' : 'were'} refused (the SYN was answered with RST): no connection was opened, so no data crossed.`,
      evidence: first?.syn && first.rst ? [formatPacket(first.syn), formatPacket(first.rst)] : [],
    };
  }
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const problems: string[] = [];
  conns.forEach((conn, i) => {
    const first = conn[0];
    if (!first) return;
    const clientSide =
      c.includes(first.ip.src) && first.tcp.dstPort === spec.port
        ? { ip: first.ip.src, port: first.tcp.srcPort }
        : { ip: first.ip.dst, port: first.tcp.dstPort };
    const serverSide =
      clientSide.ip === first.ip.src ? { ip: first.ip.dst, port: first.tcp.dstPort } : { ip: first.ip.src, port: first.tcp.srcPort };
    const toServer = streamBytes(conn, clientSide.ip, clientSide.port);
    const toClient = streamBytes(conn, serverSide.ip, serverSide.port);
    up.push(toServer);
    down.push(toClient);
    if (spec.echo && !toServer.equals(toClient)) {
      problems.push(
        `connection ${i + 1}: the server sent back ${toClient.length} bytes (${show(toClient.toString('utf8'), 40)}) for the ${toServer.length} it received (${show(toServer.toString('utf8'), 40)}), not the same bytes`,
      );
    }
  });
  const allUp = Buffer.concat(up);
  const allDown = Buffer.concat(down);
  if (spec.toServer) {
    const p = judge('client to server', allUp, spec.toServer);
    if (p) problems.push(p);
  }
  if (spec.toClient) {
    const p = judge('server to client', allDown, spec.toClient);
    if (p) problems.push(p);
  }
  const evidence = [
    `client to server: ${allUp.length} bytes ${show(allUp.toString('utf8'), 60)}`,
    `server to client: ${allDown.length} bytes ${show(allDown.toString('utf8'), 60)}`,
    `${conns.length} connection(s)`,
  ];
  if (problems.length > 0) return { passed: false, message: problems.join('; ') + '.', evidence };
  return {
    passed: true,
    message: `the bytes on the wire are right: ${allUp.length} to the server, ${allDown.length} back${spec.echo ? ', an exact echo' : ''}.`,
    evidence,
  };
}

/** The fields of a `tcp-data` check (its schema fragment, in schema/lab.schema.json under checks[].tcp-data). */
export const TcpDataCheckSchema = Type.Object(
  {
    capture: Type.String({ description: "A capture step's name." }),
    client: Type.String(),
    server: Type.String(),
    port: ref(PortSchema),
    toServer: Type.Optional(
      Type.Object(
        {
          bytes: Type.Optional(Type.Integer({ minimum: 0, description: 'Exactly this many bytes.' })),
          minBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'At least this many bytes.' })),
          equals: Type.Optional(Type.String({ description: 'Exactly this text.' })),
          contains: Type.Optional(Type.String({ description: 'This text somewhere.' })),
        },
        {
          additionalProperties: false,
          minProperties: 1,
          description: 'What the bytes in one direction must be (bytes reassembled by sequence number; segment boundaries do not matter).',
        },
      ),
    ),
    toClient: Type.Optional(
      Type.Object(
        {
          bytes: Type.Optional(Type.Integer({ minimum: 0, description: 'Exactly this many bytes.' })),
          minBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'At least this many bytes.' })),
          equals: Type.Optional(Type.String({ description: 'Exactly this text.' })),
          contains: Type.Optional(Type.String({ description: 'This text somewhere.' })),
        },
        {
          additionalProperties: false,
          minProperties: 1,
          description: 'What the bytes in one direction must be (bytes reassembled by sequence number; segment boundaries do not matter).',
        },
      ),
    ),
    echo: Type.Optional(Type.Boolean({ description: 'The server sent back exactly the bytes it received, on each connection.' })),
  },
  {
    additionalProperties: false,
    description: 'The bytes carried in each direction of the TCP connections between client and server (retransmissions counted once).',
  },
);
export type TcpDataCheck = Static<typeof TcpDataCheckSchema>;
export const tcpDataKind = defineCheckKind({
  name: 'tcp-data',
  schema: TcpDataCheckSchema,
  reads: ['captures'],
  evaluate: checkTcpData,
  lint(spec, ctx) {
    const t = spec;
    ctx.ref(['capture'], t.capture, ctx.captures, 'capture');
    ctx.node(['client'], t.client);
    ctx.node(['server'], t.server);
    if (!t.toServer && !t.toClient && !t.echo) ctx.problem([], 'say what to check: `toServer`, `toClient` or `echo: true`');
  },
});
export type ByteExpectation = NonNullable<TcpDataCheck['toServer']>;
