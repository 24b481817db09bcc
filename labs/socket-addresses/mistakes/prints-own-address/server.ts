// socket-addresses lab, a common mistake: the server's own address (getsockname) printed as the peer's.
// It listens on `::` (dual stack), accepts ONE connection and
// prints its peer's socket address the way the kernel handed it to accept(): a struct sockaddr_in6 for
// every client, IPv4 ones as IPv4-mapped addresses. Then it waits for the client to leave, and exits.
import * as net from 'node:net';
import * as os from 'node:os';

const port = Number(process.env.PORT ?? 9000);

/** The 16 bytes of an IPv6 address (`::` expanded, an embedded dotted IPv4 tail included). */
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
  server.close(); // one connection only: the listening socket goes away, this one stays
  // Mistake: getsockname() (this end, localAddress) where getpeername() (the client's end) was asked for.
  const address = socket.localAddress ?? '';
  const portNumber = socket.remotePort ?? 0;

  // sin6_family: the family of the ACCEPTED socket. It inherits the listener's: a `::` listener is AF_INET6,
  // so even an IPv4 client comes back in a sockaddr_in6, as ::ffff:a.b.c.d.
  const family = socket.remoteFamily === 'IPv6' ? 'AF_INET6' : 'AF_INET';

  // sin6_port: two bytes in network byte order (big-endian): htons(port).
  const sinPort = Buffer.alloc(2);
  sinPort.writeUInt16BE(portNumber);
  // What this CPU reads from those same two bytes when a program forgets ntohs(): on a little-endian one
  // (x86, most ARM) the bytes come out swapped.
  const hostOrder = os.endianness() === 'LE' ? sinPort.readUInt16LE(0) : sinPort.readUInt16BE(0);

  // sin6_addr (16 bytes) or sin_addr (4 bytes), network byte order: the address's bytes as written.
  const addrBytes = family === 'AF_INET6' ? ipv6Bytes(address) : address.split('.').map(Number);

  console.log(`family: ${family}`);
  console.log(`address: ${address}`);
  console.log(`port: ${portNumber}`);
  console.log(`port-bytes: ${hex(sinPort)}`);
  console.log(`port-host: ${hostOrder}`);
  console.log(`address-bytes: ${hex(addrBytes)}`);

  socket.resume(); // read (and drop) what the client sends
  socket.on('end', () => socket.end());
  socket.on('close', () => process.exit(0));
  socket.on('error', (err: Error) => console.error(`connection error: ${err.message}`));
});

server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on [::]:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});

// `::` with IPV6_V6ONLY off: one AF_INET6 socket for IPv6 and IPv4 clients.
server.listen({ host: '::', port, ipv6Only: false });
