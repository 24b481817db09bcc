// socket-addresses lab: start from here; see README.md. The server listens on `::` (dual stack), accepts ONE
// connection, prints its peer's socket address, waits for the client to leave, and exits.
import * as net from 'node:net';
import * as os from 'node:os';

const port = Number(process.env.PORT ?? 9000);

/** The 16 bytes of an IPv6 address (`::` expanded, an embedded dotted IPv4 tail included). Given. */
function ipv6Bytes(text: string): number[] {
  let a = text.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1, 5).map(Number) as [number, number, number, number];
    a = a.slice(0, v4.index) + ((b0 << 8) | b1).toString(16) + ':' + ((b2 << 8) | b3).toString(16);
  }
  const [head = '', tail] = a.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}

const hex = (bytes: Iterable<number>): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');

const server = net.createServer((socket: net.Socket) => {
  server.close(); // one connection only
  // TODO: print six lines, `key: value`, describing the peer's sockaddr as accept() filled it in:
  //   family:        AF_INET or AF_INET6: the family of the ACCEPTED socket (socket.remoteFamily helps)
  //   address:       the address exactly as the kernel gave it (socket.remoteAddress)
  //   port:          the client's port as a number (ntohs(sin_port))
  //   port-bytes:    the two bytes of sin_port in hex, network byte order, e.g. `a8 ca`
  //   port-host:     what those two bytes read as on this CPU without ntohs (os.endianness() says which order)
  //   address-bytes: the bytes of sin_addr (4) or sin6_addr (16) in hex, e.g. `0a 00 0b 14`
  void os;
  void ipv6Bytes;
  void hex;

  socket.resume();
  socket.on('end', () => socket.end());
  socket.on('close', () => process.exit(0));
  socket.on('error', (err: Error) => console.error(`connection error: ${err.message}`));
});

server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on [::]:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});

server.listen({ host: '::', port, ipv6Only: false });
