// ipv6 lab: a dual-stack TCP echo server. Start from here; see README.md.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  console.log(`accepted ${socket.remoteFamily} ${socket.remoteAddress} port ${socket.remotePort}`);
  // TODO: echo every byte back, and close when the client closes.
});

server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on port ${port}: ${err.code ?? err.message}`);
  process.exit(1);
});

// TODO: listen on the IPv6 "any" address so that IPv6 AND IPv4 clients reach this one socket.
// Which host gives sockaddr_in6 with in6addr_any? What does the ipv6Only option change?
server.listen({ host: '0.0.0.0', port }, () => console.log(`listening on port ${port}`));
