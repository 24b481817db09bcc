import type { Observations } from '../exercise/observations.js';
import { endProbeName } from '../exercise/observations.js';
import { isWildcardAddress, normaliseSocketState } from '../observe/sockets.js';
import type { SocketEntry } from '../observe/types.js';
import type { Verdict } from './types.js';

export interface SocketSpec {
  node: string;
  tcp?: number;
  udp?: number;
  state: string;
  probe?: string;
}


function describeSocket(s: SocketEntry): string {
  const local = `${s.localAddress}${s.localPort !== undefined ? ':' + s.localPort : ''}`;
  const peer = s.peerAddress && !isWildcardAddress(s.peerAddress) ? ` -> ${s.peerAddress}${s.peerPort !== undefined && s.peerPort !== 0 ? ':' + s.peerPort : ''}` : '';
  const owner = s.program ? ` (${s.program}${s.pid !== undefined ? ' pid ' + s.pid : ''})` : '';
  return `${s.proto} ${s.state} ${local}${peer}${owner}`;
}

export function checkSocket(spec: SocketSpec, obs: Observations): Verdict {
  const probeName = spec.probe ?? endProbeName(spec.node);
  const probe = obs.probes[probeName];
  if (!probe) return { passed: false, message: `the socket table of ${spec.node} was not read: an earlier step failed.` };
  if (probe.error) return { passed: false, message: `could not read the socket table of ${spec.node}: ${probe.error}` };
  const proto = spec.tcp !== undefined ? 'tcp' : 'udp';
  const port = spec.tcp ?? spec.udp;
  const want = normaliseSocketState(spec.state);
  const onPort = probe.sockets.filter((s) => s.proto === proto && s.localPort === port);
  const match = onPort.filter((s) => normaliseSocketState(s.state) === want);
  if (match.length > 0) {
    return { passed: true, message: `${spec.node} has a ${proto.toUpperCase()} socket in ${want} on port ${port}.`, evidence: match.slice(0, 3).map(describeSocket) };
  }
  const others = onPort.length > 0 ? onPort : probe.sockets.filter((s) => s.proto === proto && s.state === want);
  return {
    passed: false,
    message:
      onPort.length > 0
        ? `${spec.node} has ${proto.toUpperCase()} port ${port} but not in ${want}.`
        : `no ${proto.toUpperCase()} socket on port ${port} in ${spec.node}${want === 'LISTEN' ? ': nothing is listening there. Does the server listen on PORT?' : '.'}`,
    evidence: others.slice(0, 4).map(describeSocket),
  };
}
