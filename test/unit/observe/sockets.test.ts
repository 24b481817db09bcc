import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findSockets, normaliseSocketState, parseNetstat, parseProcNet, parseProcNetUnix, parseSs } from '../../../src/observe/sockets.js';
import type { SocketEntry } from '../../../src/observe/types.js';
import { isWildcardAddress, normaliseAddress, parseIpv6Bytes } from '../../../src/util/address.js';

// Socket tables taken at one moment by scripts/capture-fixtures.sh (see test/fixtures/README.md for what
// was held open). Every expected value below was read off those files.
const DIR = fileURLToPath(new URL('../../fixtures/sockets/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

const SRV4 = '10.77.251.10';
const CLI4 = '10.77.251.20';
const SRV6 = 'fd00:7e57:77::10';
const CLI6 = 'fd00:7e57:77::20';

type Endpoint = [address: string, port?: number];

function inet(
  proto: 'tcp' | 'udp',
  family: 4 | 6,
  state: string,
  queues: [number, number],
  local: Endpoint,
  peer: Endpoint,
  more: Partial<SocketEntry> = {},
): SocketEntry {
  const e: SocketEntry = { proto, family, state, recvQ: queues[0], sendQ: queues[1], localAddress: local[0] };
  if (local[1] !== undefined) e.localPort = local[1];
  e.peerAddress = peer[0];
  if (peer[1] !== undefined) e.peerPort = peer[1];
  return { ...e, ...more };
}

/** Order does not matter to anyone reading a socket table. */
function sorted(entries: SocketEntry[]): SocketEntry[] {
  const key = (e: SocketEntry): string =>
    JSON.stringify([e.proto, e.family, e.localAddress, e.localPort, e.peerAddress, e.peerPort, e.state, e.inode]);
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const without = (entries: SocketEntry[], ...fields: (keyof SocketEntry)[]): SocketEntry[] =>
  entries.map((e) => {
    const copy = { ...e };
    for (const f of fields) delete copy[f];
    return copy;
  });

// ---------------------------------------------------------------------------------------------------------
// The server's TCP sockets at that moment, one row per socket, with what each tool adds.

interface TcpRow {
  family: 4 | 6;
  state: string;
  recvQ: number;
  local: Endpoint;
  peer: Endpoint;
  /** ss's Send-Q; for LISTEN sockets the backlog, which netstat and /proc do not show. */
  ssSendQ: number;
  pid?: number;
  inode?: number;
}

const ANY4: Endpoint = ['0.0.0.0'];
const ANY6: Endpoint = ['::'];
const NODE_TCP = 21; // node /fx/peer.cjs tcp-servers (server-ps.txt)

const SERVER_TCP: TcpRow[] = [
  { family: 4, state: 'LISTEN', recvQ: 0, local: ['0.0.0.0', 9200], peer: ANY4, ssSendQ: 511, pid: NODE_TCP, inode: 131640 },
  { family: 4, state: 'LISTEN', recvQ: 0, local: ['0.0.0.0', 9000], peer: ANY4, ssSendQ: 511, pid: NODE_TCP, inode: 131638 },
  { family: 4, state: 'LISTEN', recvQ: 0, local: ['0.0.0.0', 9600], peer: ANY4, ssSendQ: 511, pid: NODE_TCP, inode: 131643 },
  { family: 4, state: 'LISTEN', recvQ: 0, local: ['0.0.0.0', 9400], peer: ANY4, ssSendQ: 511, pid: NODE_TCP, inode: 131642 },
  { family: 4, state: 'LISTEN', recvQ: 0, local: ['0.0.0.0', 9300], peer: ANY4, ssSendQ: 511, pid: NODE_TCP, inode: 131641 },
  { family: 4, state: 'LISTEN', recvQ: 0, local: ['127.0.0.11', 40211], peer: ANY4, ssSendQ: 4096, inode: 130175 }, // Docker's DNS
  { family: 4, state: 'ESTABLISHED', recvQ: 0, local: [SRV4, 9000], peer: [CLI4, 20001], ssSendQ: 0, pid: NODE_TCP, inode: 141454 },
  { family: 4, state: 'ESTABLISHED', recvQ: 3000, local: [SRV4, 9300], peer: [CLI4, 20004], ssSendQ: 0, pid: NODE_TCP, inode: 141648 },
  { family: 4, state: 'SYN_RECV', recvQ: 0, local: [SRV4, 9000], peer: [CLI4, 20109], ssSendQ: 0 },
  { family: 4, state: 'TIME_WAIT', recvQ: 0, local: [SRV4, 9200], peer: [CLI4, 20003], ssSendQ: 0 },
  { family: 4, state: 'CLOSE_WAIT', recvQ: 0, local: [SRV4, 9400], peer: [CLI4, 20005], ssSendQ: 0, pid: NODE_TCP, inode: 141717 },
  { family: 6, state: 'LISTEN', recvQ: 0, local: ['::', 9100], peer: ANY6, ssSendQ: 511, pid: NODE_TCP, inode: 131637 }, // dual stack: ss says *:9100
  { family: 6, state: 'LISTEN', recvQ: 0, local: ['::', 9000], peer: ANY6, ssSendQ: 511, pid: NODE_TCP, inode: 131639 },
  { family: 6, state: 'ESTABLISHED', recvQ: 0, local: [SRV6, 9000], peer: [CLI6, 20010], ssSendQ: 0, pid: NODE_TCP, inode: 141774 },
  // IPv4 client on the dual-stack listener: ss prints [::ffff:10.77.251.10]:9100, netstat 10.77.251.10:9100.
  { family: 6, state: 'ESTABLISHED', recvQ: 0, local: [SRV4, 9100], peer: [CLI4, 20002], ssSendQ: 0, pid: NODE_TCP, inode: 141461 },
];

const asSs = (rows: TcpRow[], withPids: boolean): SocketEntry[] =>
  rows.map((r) =>
    inet(
      'tcp',
      r.family,
      r.state,
      [r.recvQ, r.ssSendQ],
      r.local,
      r.peer,
      withPids && r.pid !== undefined ? { pid: r.pid, program: 'node' } : {},
    ),
  );
const asNetstat = (rows: TcpRow[], withPids: boolean): SocketEntry[] =>
  rows.map((r) =>
    inet('tcp', r.family, r.state, [r.recvQ, 0], r.local, r.peer, withPids && r.pid !== undefined ? { pid: r.pid, program: 'node' } : {}),
  );
const asProc = (rows: TcpRow[]): SocketEntry[] =>
  rows.map((r) => inet('tcp', r.family, r.state, [r.recvQ, 0], r.local, r.peer, r.inode !== undefined ? { inode: r.inode } : {}));

describe('server TCP table: ss', () => {
  it('ss -tanp: states, queues, v4/v6/dual-stack/mapped addresses, pids and programs', () => {
    const got = parseSs(read('server-ss-tanp.txt'));
    expect(got).toHaveLength(15);
    expect(sorted(got)).toEqual(sorted(asSs(SERVER_TCP, true)));
  });

  it('ss -tan: the same sockets without processes', () => {
    expect(sorted(parseSs(read('server-ss-tan.txt')))).toEqual(sorted(asSs(SERVER_TCP, false)));
  });

  it('reads one line exactly as printed', () => {
    const line = 'ESTAB      0      0      [::ffff:10.77.251.10]:9100  [::ffff:10.77.251.20]:20002 users:(("node",pid=21,fd=26))';
    expect(read('server-ss-tanp.txt')).toContain(line);
    expect(parseSs(line)).toEqual([
      {
        proto: 'tcp',
        family: 6,
        state: 'ESTABLISHED',
        recvQ: 0,
        sendQ: 0,
        localAddress: SRV4,
        localPort: 9100,
        peerAddress: CLI4,
        peerPort: 20002,
        pid: 21,
        program: 'node',
      },
    ]);
  });
});

describe('server TCP table: netstat', () => {
  it('netstat -tanp: the same sockets, Send-Q 0 on listeners, "-" where the process is unknown', () => {
    const got = parseNetstat(read('server-netstat-tanp.txt'));
    expect(got).toHaveLength(15);
    expect(sorted(got)).toEqual(sorted(asNetstat(SERVER_TCP, true)));
  });

  it('netstat -tanpW prints the same here (no address long enough to be cut)', () => {
    expect(parseNetstat(read('server-netstat-tanpW.txt'))).toEqual(parseNetstat(read('server-netstat-tanp.txt')));
  });

  it('netstat -tan: without the PID/Program column', () => {
    expect(sorted(parseNetstat(read('server-netstat-tan.txt')))).toEqual(sorted(asNetstat(SERVER_TCP, false)));
  });

  it('netstat -tlnp: only the listeners', () => {
    const got = parseNetstat(read('server-netstat-tlnp.txt'));
    expect(sorted(got)).toEqual(
      sorted(
        asNetstat(
          SERVER_TCP.filter((r) => r.state === 'LISTEN'),
          true,
        ),
      ),
    );
    expect(got).toHaveLength(8);
  });
});

describe('server TCP table: /proc/net/tcp and tcp6', () => {
  it('decodes little-endian hex addresses, hex ports, state codes, queues and inodes', () => {
    const v4 = parseProcNet(read('server-proc-net-tcp.txt'), 'tcp', 4);
    const v6 = parseProcNet(read('server-proc-net-tcp6.txt'), 'tcp', 6);
    expect(v4).toHaveLength(11);
    expect(v6).toHaveLength(4);
    expect(sorted([...v4, ...v6])).toEqual(sorted(asProc(SERVER_TCP)));
  });

  it('reads one line exactly as printed', () => {
    const line =
      '   7: 0AFB4D0A:2454 14FB4D0A:4E24 01 00000000:00000BB8 00:00000000 00000000     0        0 141648 1 00000000076818f0 20 4 32 10 -1';
    expect(read('server-proc-net-tcp.txt')).toContain(line);
    expect(parseProcNet(line, 'tcp', 4)).toEqual([
      {
        proto: 'tcp',
        family: 4,
        state: 'ESTABLISHED',
        recvQ: 3000,
        sendQ: 0,
        localAddress: SRV4,
        localPort: 9300,
        peerAddress: CLI4,
        peerPort: 20004,
        inode: 141648,
      },
    ]);
  });
});

describe('the same moment through three tools', () => {
  it('ss, netstat and /proc agree on every TCP socket (state, addresses, ports, receive queue)', () => {
    const view = (entries: SocketEntry[]): SocketEntry[] => sorted(without(entries, 'sendQ', 'pid', 'program', 'inode'));
    const ss = view(parseSs(read('server-ss-tan.txt')));
    const netstat = view(parseNetstat(read('server-netstat-tan.txt')));
    const proc = view([
      ...parseProcNet(read('server-proc-net-tcp.txt'), 'tcp', 4),
      ...parseProcNet(read('server-proc-net-tcp6.txt'), 'tcp', 6),
    ]);
    expect(netstat).toEqual(ss);
    expect(proc).toEqual(ss);
  });

  it('the pids ss and netstat name are the processes that own those ports (ps at the same moment)', () => {
    const ps = new Map([...read('server-ps.txt').matchAll(/^\s*(\d+) \S+\s+(.*)$/gm)].map((m) => [Number(m[1]), (m[2] ?? '').trim()]));
    const owners = [
      ...parseSs(read('server-ss-tanp.txt')),
      ...parseSs(read('server-ss-uanp.txt')),
      ...parseSs(read('server-ss-xanp.txt')),
      ...parseNetstat(read('server-netstat-tanp.txt')),
      ...parseNetstat(read('server-netstat-uanp.txt')),
      ...parseNetstat(read('server-netstat-xanp.txt')),
    ];
    const named = owners.filter((e) => e.pid !== undefined);
    // 12 TCP (not Docker's DNS, SYN_RECV or TIME_WAIT), 3 UDP, 3 unix; from each tool.
    expect(named).toHaveLength(2 * 18);
    for (const e of named) {
      const args = ps.get(e.pid ?? -1) ?? '';
      const expected =
        e.proto === 'tcp'
          ? 'peer.cjs tcp-servers'
          : e.proto === 'unix'
            ? e.path
              ? 'peer.cjs unix-server'
              : 'peer.cjs unix-hold'
            : e.program === 'nc'
              ? 'nc -u -l 9004'
              : 'peer.cjs udp-servers';
      expect(args, `${e.proto} ${e.localAddress}:${e.localPort ?? ''} pid ${e.pid}`).toContain(expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

const NODE_UDP = 32; // node /fx/peer.cjs udp-servers
const NC = 634; // nc -u -l 9004

describe('server UDP table', () => {
  const expected = (withPids: boolean, inodes: boolean): SocketEntry[] => [
    inet('udp', 4, 'UNCONN', [0, 0], ['127.0.0.11', 56967], ANY4, inodes ? { inode: 130174 } : {}),
    inet('udp', 4, 'UNCONN', [0, 0], ['0.0.0.0', 9002], ANY4, {
      ...(withPids ? { pid: NODE_UDP, program: 'node' } : {}),
      ...(inodes ? { inode: 131788 } : {}),
    }),
    inet('udp', 4, 'ESTABLISHED', [0, 0], [SRV4, 9004], [CLI4, 20004], {
      ...(withPids ? { pid: NC, program: 'nc' } : {}),
      ...(inodes ? { inode: 140754 } : {}),
    }),
    inet('udp', 6, 'UNCONN', [0, 0], ['::', 9003], ANY6, {
      ...(withPids ? { pid: NODE_UDP, program: 'node' } : {}),
      ...(inodes ? { inode: 131789 } : {}),
    }),
  ];

  it('ss -uanp: bound (UNCONN) and connected (ESTAB) sockets, taken as UDP from the UNCONN rows', () => {
    expect(sorted(parseSs(read('server-ss-uanp.txt')))).toEqual(sorted(expected(true, false)));
  });

  it('netstat -uanp: an empty State column means not connected', () => {
    expect(sorted(parseNetstat(read('server-netstat-uanp.txt')))).toEqual(sorted(expected(true, false)));
  });

  it('/proc/net/udp and udp6: state 07 is unconnected, 01 connected', () => {
    const got = [...parseProcNet(read('server-proc-net-udp.txt'), 'udp', 4), ...parseProcNet(read('server-proc-net-udp6.txt'), 'udp', 6)];
    expect(sorted(got)).toEqual(sorted(expected(false, true)));
  });
});

// ---------------------------------------------------------------------------------------------------------

const UNIX_SERVER = 44; // node /fx/peer.cjs unix-server /tmp/echo.sock
const UNIX_CLIENT = 642; // node /fx/peer.cjs unix-hold /tmp/echo.sock
const SOCK = '/tmp/echo.sock';

describe('server unix sockets', () => {
  const listening = (more: Partial<SocketEntry>): SocketEntry => ({
    proto: 'unix',
    state: 'LISTEN',
    recvQ: 0,
    sendQ: 0,
    localAddress: SOCK,
    path: SOCK,
    unixType: 'stream',
    inode: 130674,
    ...more,
  });
  const accepted = (more: Partial<SocketEntry>): SocketEntry => ({
    proto: 'unix',
    state: 'CONNECTED',
    recvQ: 0,
    sendQ: 0,
    localAddress: SOCK,
    path: SOCK,
    unixType: 'stream',
    inode: 142169,
    ...more,
  });
  const client = (more: Partial<SocketEntry>): SocketEntry => ({
    proto: 'unix',
    state: 'CONNECTED',
    recvQ: 0,
    sendQ: 0,
    localAddress: '*',
    unixType: 'stream',
    inode: 142168,
    ...more,
  });

  it('ss -xlp: the listening socket on its path, with its backlog', () => {
    expect(parseSs(read('server-ss-xlp.txt'))).toEqual([listening({ sendQ: 511, pid: UNIX_SERVER, program: 'node' })]);
  });

  it('ss -xanp: both ends of the accepted connection, paired by inode', () => {
    expect(parseSs(read('server-ss-xanp.txt'))).toEqual([
      accepted({ peerInode: 142168, pid: UNIX_SERVER, program: 'node' }),
      client({ peerInode: 142169, pid: UNIX_CLIENT, program: 'node' }),
      listening({ sendQ: 511, pid: UNIX_SERVER, program: 'node' }),
    ]);
  });

  it('netstat -xlp and -xanp: flags, LISTENING and CONNECTED, pid/program, path', () => {
    expect(parseNetstat(read('server-netstat-xlp.txt'))).toEqual([listening({ pid: UNIX_SERVER, program: 'node' })]);
    expect(parseNetstat(read('server-netstat-xanp.txt'))).toEqual([
      accepted({ pid: UNIX_SERVER, program: 'node' }),
      client({ pid: UNIX_CLIENT, program: 'node' }),
      listening({ pid: UNIX_SERVER, program: 'node' }),
    ]);
  });

  it('/proc/net/unix: the accept flag means LISTEN, St 03 connected', () => {
    expect(parseProcNetUnix(read('server-proc-net-unix.txt'))).toEqual([accepted({}), client({}), listening({})]);
  });
});

describe('ss -an: the Netid column, all families at once', () => {
  const all = parseSs(read('server-ss-an.txt'));

  it('keeps tcp, udp and unix rows and skips the netlink ones', () => {
    expect(read('server-ss-an.txt').match(/^nl /gm)).toHaveLength(10);
    expect(all).toHaveLength(15 + 4 + 3);
    expect(all.filter((e) => e.proto === 'unix')).toHaveLength(3);
  });

  it('gives the same entries as the per-protocol tables', () => {
    expect(sorted(all.filter((e) => e.proto === 'tcp'))).toEqual(sorted(parseSs(read('server-ss-tan.txt'))));
    expect(sorted(all.filter((e) => e.proto === 'udp'))).toEqual(sorted(without(parseSs(read('server-ss-uanp.txt')), 'pid', 'program')));
    expect(all.filter((e) => e.proto === 'unix')).toEqual(without(parseSs(read('server-ss-xanp.txt')), 'pid', 'program'));
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('client TCP table', () => {
  const expected = (withPids: boolean, ssQueues: boolean): SocketEntry[] => {
    const who = (pid: number): Partial<SocketEntry> => (withPids ? { pid, program: 'node' } : {});
    return [
      inet('tcp', 4, 'LISTEN', [0, ssQueues ? 4096 : 0], ['127.0.0.11', 33927], ANY4),
      inet('tcp', 4, 'ESTABLISHED', [0, 0], [CLI4, 20001], [SRV4, 9000], who(150)),
      inet('tcp', 4, 'TIME_WAIT', [0, 0], [CLI4, 20101], [SRV4, 9000]),
      inet('tcp', 4, 'ESTABLISHED', [0, 0], [CLI4, 20109], [SRV4, 9000], who(138)), // the server still sees SYN_RECV
      inet('tcp', 4, 'ESTABLISHED', [0, 0], [CLI4, 20004], [SRV4, 9300], who(187)),
      inet('tcp', 4, 'ESTABLISHED', [0, 0], [CLI4, 20002], [SRV4, 9100], who(161)),
      inet('tcp', 4, 'SYN_SENT', [0, 1], [CLI4, 20007], [SRV4, 9500], who(217)),
      inet('tcp', 4, 'FIN_WAIT2', [0, 0], [CLI4, 20005], [SRV4, 9400], who(198)),
      inet('tcp', 6, 'ESTABLISHED', [0, 0], [CLI6, 20010], [SRV6, 9000], who(210)),
      inet('tcp', 6, 'TIME_WAIT', [0, 0], [CLI6, 20107], [SRV6, 9000]),
    ];
  };

  it('ss -tanp: SYN-SENT (Send-Q 1: the unanswered SYN), FIN-WAIT-2, TIME-WAIT, in the order printed', () => {
    expect(parseSs(read('client-ss-tanp.txt'))).toEqual(expected(true, true));
  });

  it('netstat -tanp: SYN_SENT, FIN_WAIT2, TIME_WAIT', () => {
    expect(parseNetstat(read('client-netstat-tanp.txt'))).toEqual(expected(true, false));
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('other shapes of output', () => {
  it('ss -tuanp with a Netid column (printed by ss in toplab/dev:0)', () => {
    const text = [
      'Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess                       ',
      'udp   UNCONN 0      0            0.0.0.0:9002       0.0.0.0:*    users:(("node",pid=13,fd=19))',
      'tcp   LISTEN 0      511                *:9000             *:*    users:(("node",pid=13,fd=18))',
    ].join('\n');
    expect(parseSs(text)).toEqual([
      inet('udp', 4, 'UNCONN', [0, 0], ['0.0.0.0', 9002], ANY4, { pid: 13, program: 'node' }),
      inet('tcp', 6, 'LISTEN', [0, 511], ['::', 9000], ANY6, { pid: 13, program: 'node' }),
    ]);
  });

  it('ss -tanpe: extra columns after the process; the inode is kept (printed by ss in toplab/dev:0)', () => {
    const text =
      'LISTEN 0      511                *:9000             *:*    users:(("node",pid=13,fd=18)) ino:101959 sk:45 cgroup:unreachable:1bb v6only:0 <->';
    expect(parseSs(text)).toEqual([inet('tcp', 6, 'LISTEN', [0, 511], ['::', 9000], ANY6, { pid: 13, program: 'node', inode: 101959 })]);
  });

  it('ss -H (no header), several processes on one socket, interface-bound and link-local addresses', () => {
    const text = [
      'LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=11,fd=6),("nginx",pid=10,fd=6))',
      'UNCONN 0 0 0.0.0.0%eth0:68 0.0.0.0:*',
      'ESTAB 0 36 [fe80::42:aff:fe4d:fb0a]%eth0:22 [fe80::1]%eth0:50000 users:(("sshd: alice",pid=99,fd=4))',
    ].join('\n');
    expect(parseSs(text, { proto: 'tcp' })).toEqual([
      inet('tcp', 4, 'LISTEN', [0, 511], ['0.0.0.0', 80], ANY4, { pid: 11, program: 'nginx' }),
      inet('tcp', 4, 'UNCONN', [0, 0], ['0.0.0.0', 68], ANY4),
      inet('tcp', 6, 'ESTABLISHED', [0, 36], ['fe80::42:aff:fe4d:fb0a', 22], ['fe80::1', 50000], { pid: 99, program: 'sshd: alice' }),
    ]);
  });

  it('a Netid-less table cannot tell a connected UDP socket from TCP unless told', () => {
    const text = 'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process\nESTAB 0 0 10.0.1.20:5000 10.0.1.10:9002';
    expect(parseSs(text)[0]?.proto).toBe('tcp');
    expect(parseSs(text, { proto: 'udp' })[0]?.proto).toBe('udp');
  });

  it('netstat: a program name with a space, a unix datagram socket with no state, no -p', () => {
    const tcp = [
      'Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    ',
      'tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      812/sshd: /usr/sbin ',
    ].join('\n');
    expect(parseNetstat(tcp)).toEqual([inet('tcp', 4, 'LISTEN', [0, 0], ['0.0.0.0', 22], ANY4, { pid: 812, program: 'sshd: /usr/sbin' })]);
    const unix = [
      'Proto RefCnt Flags       Type       State         I-Node   PID/Program name     Path',
      'unix  2      [ ]         DGRAM                    12347    1/my prog            /run/notify',
      'unix  2      [ ACC ]     SEQPACKET  LISTENING     12348    -                    @abstract',
    ].join('\n');
    expect(parseNetstat(unix)).toEqual([
      {
        proto: 'unix',
        state: 'UNCONN',
        recvQ: 0,
        sendQ: 0,
        localAddress: '/run/notify',
        path: '/run/notify',
        unixType: 'dgram',
        inode: 12347,
        pid: 1,
        program: 'my prog',
      },
      {
        proto: 'unix',
        state: 'LISTEN',
        recvQ: 0,
        sendQ: 0,
        localAddress: '@abstract',
        path: '@abstract',
        unixType: 'seqpacket',
        inode: 12348,
      },
    ]);
    const noPids =
      'Proto RefCnt Flags       Type       State         I-Node   Path\nunix  2      [ ACC ]     STREAM     LISTENING     33894    /tmp/echo.sock';
    expect(parseNetstat(noPids)).toEqual([
      { proto: 'unix', state: 'LISTEN', recvQ: 0, sendQ: 0, localAddress: SOCK, path: SOCK, unixType: 'stream', inode: 33894 },
    ]);
  });

  it('empty or foreign text gives no entries', () => {
    for (const text of ['', '\n', 'ss: command not found', 'Cannot open netlink socket: Protocol not supported']) {
      expect(parseSs(text)).toEqual([]);
      expect(parseNetstat(text)).toEqual([]);
      expect(parseProcNet(text, 'tcp', 4)).toEqual([]);
      expect(parseProcNetUnix(text)).toEqual([]);
    }
    expect(parseProcNet(read('server-proc-net-tcp.txt'), 'tcp', 6)).toEqual([]); // v4 lines read as v6: nothing fits
  });
});

describe('findSockets', () => {
  const server = [...parseSs(read('server-ss-tanp.txt')), ...parseSs(read('server-ss-uanp.txt')), ...parseSs(read('server-ss-xanp.txt'))];

  it('finds the listeners on a port, in both families', () => {
    expect(findSockets(server, { proto: 'tcp', state: 'LISTEN', port: 9000 }).map((e) => [e.family, e.localAddress])).toEqual([
      [4, '0.0.0.0'],
      [6, '::'],
    ]);
    expect(findSockets(server, { proto: 'tcp', state: 'LISTEN', port: 9000, family: 6 })).toHaveLength(1);
  });

  it('accepts any spelling of a state', () => {
    for (const s of ['ESTAB', 'established', 'ESTABLISHED'])
      expect(findSockets(server, { proto: 'tcp', state: s, port: 9000 })).toHaveLength(2);
    expect(findSockets(server, { state: 'time-wait' }).map((e) => e.peerPort)).toEqual([20003]);
    expect(findSockets(server, { state: 'SYN-RECV' }).map((e) => e.peerPort)).toEqual([20109]);
    expect(findSockets(server, { proto: 'udp', state: 'ESTAB' }).map((e) => e.program)).toEqual(['nc']);
  });

  it('finds unix sockets by path; ESTAB means CONNECTED for them', () => {
    expect(findSockets(server, { path: SOCK, state: 'LISTEN' }).map((e) => e.pid)).toEqual([UNIX_SERVER]);
    expect(findSockets(server, { proto: 'unix', state: 'ESTAB' })).toHaveLength(2);
    expect(findSockets(server, { proto: 'unix', state: 'CONNECTED', path: SOCK })).toHaveLength(1);
  });

  it('finds nothing where nothing is', () => {
    expect(findSockets(server, { proto: 'tcp', port: 9001 })).toEqual([]);
  });
});

describe('addresses and states', () => {
  it.each([
    ['[::ffff:10.77.251.10]', '10.77.251.10'],
    ['::FFFF:10.0.1.10', '10.0.1.10'],
    ['[::]', '::'],
    ['*', '::'],
    ['[FD00:7E57:0077:0000::0010]', 'fd00:7e57:77::10'],
    ['fe80::1%eth0', 'fe80::1'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ])('normaliseAddress(%s) is %s', (text, want) => expect(normaliseAddress(text)).toBe(want));

  it('parseIpv6Bytes rejects what is not an address', () => {
    for (const bad of ['1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::1.2.3.256'])
      expect(parseIpv6Bytes(bad)).toBeUndefined();
    expect([...(parseIpv6Bytes('::ffff:1.2.3.4') ?? [])].slice(10)).toEqual([255, 255, 1, 2, 3, 4]);
  });

  it('knows the wildcards', () => {
    expect(['0.0.0.0', '::', '*'].every(isWildcardAddress)).toBe(true);
    expect(['127.0.0.1', '::1', SRV4].some(isWildcardAddress)).toBe(false);
  });

  it.each([
    ['ESTAB', 'ESTABLISHED'],
    ['SYN-SENT', 'SYN_SENT'],
    ['SYN-RECV', 'SYN_RECV'],
    ['FIN-WAIT-1', 'FIN_WAIT1'],
    ['FIN-WAIT-2', 'FIN_WAIT2'],
    ['TIME-WAIT', 'TIME_WAIT'],
    ['CLOSE-WAIT', 'CLOSE_WAIT'],
    ['LAST-ACK', 'LAST_ACK'],
    ['LISTENING', 'LISTEN'],
    ['fin_wait1', 'FIN_WAIT1'],
    ['UNCONN', 'UNCONN'],
  ])('normaliseSocketState(%s) is %s', (text, want) => expect(normaliseSocketState(text)).toBe(want));
});
