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

// host '::' is sockaddr_in6 with sin6_addr = in6addr_any; ipv6Only: false leaves IPV6_V6ONLY off.
server.listen({ host: '::', port, ipv6Only: false }, () => console.log(`listening on [::]:${port}`));
