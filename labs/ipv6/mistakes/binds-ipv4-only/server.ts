// A common mistake, kept for the lab's tests: the server binds 0.0.0.0, IPv4 only: the IPv6 client is refused.
// Dual-stack TCP echo server. Listening on `::` (the IPv6 "any" address, in6addr_any) with ipv6Only off
// accepts connections to every IPv6 address of the node AND, through IPv4-mapped addresses (::ffff:a.b.c.d),
// to every IPv4 address too. Each connection echoes what it reads, then closes when the client does.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  // An IPv4 client shows up as ::ffff:10.x.y.z here: the kernel maps it into the IPv6 socket.
  console.log(`accepted ${socket.remoteFamily} ${socket.remoteAddress} port ${socket.remotePort}`);
  socket.pipe(socket);
  socket.on('error', (err: Error) => console.error(`connection error: ${err.message}`));
});

server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on [::]:${port}: ${err.code ?? err.message}`);
  process.exit(1);
});

// The mistake: 0.0.0.0 is INADDR_ANY of IPv4 only (a sockaddr_in); no IPv6 client can reach this socket.
server.listen({ host: '0.0.0.0', port }, () => console.log(`listening on 0.0.0.0:${port}`));
