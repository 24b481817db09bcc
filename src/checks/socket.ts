import type { Observations } from '../exercise/observations.js';
import { normaliseSocketState } from '../observe/sockets.js';
import type { SocketEntry } from '../observe/types.js';
import { isVerdict, nodeAddresses, probeOf, socketsOf } from './observed.js';
import type { Verdict } from './types.js';
import { Enum, Type, ref, type Static } from '../schema/vocabulary.js';
import { PortSchema } from '../schema/defs.js';
import { defineCheckKind } from './kind.js';
import { noListenerCause, programEnded } from './listen-cause.js';

export function normaliseState(s: string): string {
  return normaliseSocketState(s).replace(/^SYN_RCVD$/, 'SYN_RECV');
}

export function describeSocket(s: SocketEntry): string {
  const local =
    s.proto === 'unix'
      ? (s.path ?? s.localAddress)
      : `${s.localAddress.includes(':') ? `[${s.localAddress}]` : s.localAddress}${s.localPort !== undefined ? ':' + s.localPort : ''}`;
  const peer =
    s.proto !== 'unix' && s.peerAddress && s.peerAddress !== '*' && !/^(0\.0\.0\.0|::)$/.test(s.peerAddress)
      ? ` -> ${s.peerAddress}${s.peerPort ? ':' + s.peerPort : ''}`
      : '';
  const owner = s.program ? ` (${s.program}${s.pid !== undefined ? ' pid ' + s.pid : ''})` : '';
  return `${s.proto}${s.unixType ? '/' + s.unixType : ''} ${s.state} ${local}${peer}${owner}`;
}

function stateMatches(s: SocketEntry, want: string): boolean {
  const have = normaliseState(s.state);
  if (s.proto === 'unix' && want === 'ESTABLISHED') return have === 'CONNECTED' || have === 'ESTABLISHED';
  if (s.proto === 'udp' && want === 'UNCONN') return have === 'UNCONN' || have === 'CLOSE';
  return have === want;
}

/**
 * A socket in a node's table: by port (local or peer) or unix path, in a state, optionally owned by a program,
 * to a peer. Only this run's sockets count: a failure says so when an earlier run's socket on the port (a
 * previous check's TIME_WAIT) was left out.
 */
export function checkSocket(spec: SocketCheck, obs: Observations): Verdict {
  const probe = probeOf(obs, spec.probe, spec.node, 'sockets');
  if (isVerdict(probe)) return probe;
  const sockets = socketsOf(probe, spec.node);
  if (isVerdict(sockets)) return sockets;
  const v = judgeSocket(spec, obs, sockets);
  const port = spec.tcp ?? spec.udp;
  const left = spec.tcp !== undefined ? (probe.earlier ?? []).filter((s) => s.localPort === port || s.peerPort === port) : [];
  if (v.passed || left.length === 0) return v;
  const states = [...new Set(left.map((s) => normaliseState(s.state)))].join(', ');
  return {
    ...v,
    message: `${v.message} (${left.length} TCP socket(s) on port ${port} in ${states}, left by an earlier run before this one began, were not counted.)`,
    evidence: [...(v.evidence ?? []), ...left.slice(0, 2).map((s) => `earlier run: ${describeSocket(s)}`)],
  };
}

function judgeSocket(spec: SocketCheck, obs: Observations, sockets: SocketEntry[]): Verdict {
  const proto = spec.tcp !== undefined ? 'tcp' : spec.udp !== undefined ? 'udp' : 'unix';
  const port = spec.tcp ?? spec.udp;
  const want = normaliseState(spec.state ?? (proto === 'udp' ? 'UNCONN' : 'LISTEN'));
  const what = proto === 'unix' ? `unix socket on ${spec.unix}` : `${proto.toUpperCase()} socket on port ${port}`;
  const candidates = sockets.filter(
    (s) =>
      s.proto === proto &&
      (proto === 'unix' ? s.path === spec.unix : s.localPort === port || (want !== 'LISTEN' && s.peerPort === port)) &&
      (spec.family === undefined || s.family === spec.family),
  );
  const inState = candidates.filter((s) => stateMatches(s, want));
  const peerIps = spec.peer !== undefined ? nodeAddresses(obs, spec.peer) : undefined;
  const withPeer = peerIps ? inState.filter((s) => s.peerAddress !== undefined && peerIps.includes(s.peerAddress)) : inState;
  const pid = spec.program !== undefined ? obs.programs[spec.program]?.pid : undefined;
  const owned = spec.program !== undefined ? withPeer.filter((s) => s.pid !== undefined && s.pid === pid) : withPeer;
  const evidence = (list: SocketEntry[]): string[] => list.slice(0, 4).map(describeSocket);
  if (spec.absent) {
    return owned.length === 0
      ? { passed: true, message: `${spec.node} has no ${what} in ${want}, as it should.`, evidence: evidence(candidates) }
      : { passed: false, message: `${spec.node} still has a ${what} in ${want}; it should be gone.`, evidence: evidence(owned) };
  }
  if (owned.length > 0 && (spec.minRecvQ !== undefined || spec.minSendQ !== undefined)) {
    return checkQueues(spec, owned, `${spec.node} has a ${what} in ${want}${spec.peer ? ` with ${spec.peer}` : ''}`);
  }
  if (owned.length > 0) {
    return {
      passed: true,
      message: `${spec.node} has a ${what} in ${want}${spec.peer ? ` with ${spec.peer}` : ''}${spec.program ? `, held by ${spec.program}` : ''}.`,
      evidence: evidence(owned),
    };
  }
  if (withPeer.length > 0 && spec.program !== undefined) {
    return {
      passed: false,
      message: `${spec.node} has a ${what} in ${want}, but it does not belong to ${spec.program}${pid !== undefined ? ` (pid ${pid})` : ' (which is not running)'}.`,
      evidence: evidence(withPeer),
    };
  }
  if (inState.length > 0 && spec.peer !== undefined)
    return { passed: false, message: `${spec.node} has a ${what} in ${want}, but not with ${spec.peer}.`, evidence: evidence(inState) };
  // Why no connection could be opened to the port, when a node's table says (a listener on loopback only).
  const boundElsewhere = (): string => {
    if (proto !== 'tcp' || port === undefined || want === 'LISTEN') return '';
    for (const [node, table] of [[spec.node, sockets], ...(spec.peer !== undefined ? [[spec.peer, undefined] as const] : [])] as const) {
      const cause = noListenerCause(obs, node, port, table ? { sockets: table } : {});
      if (cause?.kind === 'bound-elsewhere') return ` ${cause.text}`;
    }
    return '';
  };
  if (candidates.length > 0) {
    return {
      passed: false,
      message: `${spec.node} has a ${what}, but in ${[...new Set(candidates.map((s) => normaliseState(s.state)))].join(', ')}, not ${want}.${boundElsewhere()}`,
      evidence: evidence(candidates),
    };
  }
  const listenCause = (): string => {
    const cause = proto === 'tcp' && port !== undefined ? noListenerCause(obs, spec.node, port, { sockets }) : programEnded(obs, spec.node);
    return cause && cause.kind !== 'bound-elsewhere' ? `: nothing is listening there; ${cause.text}` : '';
  };
  // What is there nearest to it: the port over the other IP version, or in the other protocol.
  const near =
    proto === 'unix'
      ? []
      : sockets.filter(
          (s) =>
            s.proto !== 'unix' &&
            (s.localPort === port || (want !== 'LISTEN' && s.peerPort === port)) &&
            (s.proto !== proto || (spec.family !== undefined && s.family !== spec.family)),
        );
  const nearest = near[0];
  // Something is on the port, in the other protocol or IP version: that (below) is the answer, not a question about listen().
  const hint =
    want === 'LISTEN' && !nearest
      ? listenCause() || ': nothing is listening there. Does the server call listen() on that ' + (proto === 'unix' ? 'path' : 'port') + '?'
      : want === 'ESTABLISHED'
        ? `: no connection was open when the table was read.${boundElsewhere()}`
        : '.';
  // listen(port, '0.0.0.0') where IPv6 is wanted: the one address that takes both is ::.
  const v4Wildcard =
    nearest?.proto === proto && spec.family === 6 && nearest.localAddress === '0.0.0.0'
      ? ` It is bound to 0.0.0.0, IPv4's wildcard address: ${proto === 'udp' ? 'bind to :: (give bind() no address)' : 'listen on :: (give listen() no host)'}, which takes IPv4 and IPv6.`
      : '';
  const seen = nearest
    ? ` There is a ${nearest.proto.toUpperCase()}${nearest.family ? ` IPv${nearest.family}` : ''} socket on port ${port} in ${normaliseState(nearest.state)}${nearest.proto === proto ? `, over IPv${nearest.family ?? '?'} rather than IPv${spec.family ?? '?'}` : `: ${proto.toUpperCase()} was expected`}.${v4Wildcard}`
    : '';
  const others = sockets.filter((s) => s.proto === proto && (proto === 'unix' ? s.path !== undefined : true)).slice(0, 4);
  return {
    passed: false,
    message: `no ${what} in ${want} in ${spec.node}${hint}${seen}`,
    evidence: [...near.slice(0, 2), ...others].slice(0, 4).map(describeSocket),
  };
}

/** minRecvQ / minSendQ: bytes waiting in the socket's receive buffer (unread) or send buffer (unacknowledged). */
function checkQueues(spec: SocketCheck, found: SocketEntry[], what: string): Verdict {
  const minRecv = spec.minRecvQ ?? 0;
  const minSend = spec.minSendQ ?? 0;
  const queues = (s: SocketEntry): string => `${describeSocket(s)} Recv-Q ${s.recvQ} Send-Q ${s.sendQ}`;
  const ok = found.filter((s) => s.recvQ >= minRecv && s.sendQ >= minSend);
  const wanted = [
    spec.minRecvQ !== undefined ? `Recv-Q at least ${minRecv}` : '',
    spec.minSendQ !== undefined ? `Send-Q at least ${minSend}` : '',
  ]
    .filter((x) => x !== '')
    .join(' and ');
  if (ok.length > 0) return { passed: true, message: `${what}, with ${wanted} bytes.`, evidence: ok.slice(0, 4).map(queues) };
  const why =
    spec.minRecvQ !== undefined && found.every((s) => s.recvQ < minRecv)
      ? 'not enough bytes were waiting unread in its receive buffer'
      : 'not enough bytes were waiting unacknowledged in its send buffer';
  return {
    passed: false,
    message: `${what}, but ${why} when the table was read (wanted ${wanted} bytes).`,
    evidence: found.slice(0, 4).map(queues),
  };
}

/** The fields of a `socket` check (its schema fragment, in schema/lab.schema.json under checks[].socket). */
export const SocketCheckSchema = Type.Object(
  {
    node: Type.String(),
    tcp: Type.Optional(ref(PortSchema)),
    udp: Type.Optional(ref(PortSchema)),
    unix: Type.Optional(Type.String({ pattern: '^/', description: 'A unix socket bound to this path.' })),
    state: Type.Optional(
      Type.String({ description: 'LISTEN, ESTABLISHED, TIME_WAIT, CLOSE_WAIT, UNCONN ... (default LISTEN; UNCONN for udp).' }),
    ),
    family: Type.Optional(Enum([4, 6], { description: 'IP version: 4 (default) or 6.' })),
    peer: Type.Optional(Type.String({ description: "The connection's other end is this node." })),
    program: Type.Optional(
      Type.String({ description: "The socket belongs to this program (a background program's name): its process holds it." }),
    ),
    absent: Type.Optional(Type.Boolean({ description: 'Pass when there is NO such socket (e.g. nothing left listening).' })),
    probe: Type.Optional(Type.String({ description: "A sockets probe's name (default: the table read at the end of the exercise)." })),
    minRecvQ: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'Recv-Q at least this many bytes: received and acknowledged, not yet read by the program (a listening socket: connections waiting for accept()).',
      }),
    ),
    minSendQ: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Send-Q at least this many bytes: written by the program, not yet acknowledged by the peer.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "A socket in a node's socket table (read at the end of the exercise, or by a named `sockets` probe): by TCP/UDP port or unix path, in a state, optionally owned by a program.",
  },
);
export type SocketCheck = Static<typeof SocketCheckSchema>;
export const socketKind = defineCheckKind({
  name: 'socket',
  schema: SocketCheckSchema,
  reads: ['end-of-run sockets', 'probes'],
  evaluate: checkSocket,
  lint(spec, ctx) {
    const s = spec;
    ctx.node(['node'], s.node);
    if ([s.tcp, s.udp, s.unix].filter((x) => x !== undefined).length !== 1)
      ctx.problem([], 'say which socket: `tcp: <port>`, `udp: <port>` or `unix: <path>`');
    ctx.probeOn(['probe'], s.probe, s.node, ['sockets'], 'sockets');
    ctx.node(['peer'], s.peer);
    if (s.program !== undefined) {
      const o = ctx.names.outputs.get(s.program);
      if (!o || o.kind !== 'start')
        ctx.problem(
          ['program'],
          `\`${s.program}\` is not a program started in the background${ctx.suggest(
            s.program,
            [...ctx.names.outputs].filter(([, v]) => v.kind === 'start').map(([k]) => k),
          )}`,
        );
    }
  },
});
