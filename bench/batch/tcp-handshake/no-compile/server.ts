// TCP echo server: socket(), bind(), listen() happen inside listen(); each accepted connection echoes
// every byte back. When the client half-closes (read returns 0, the 'end' event), pipe() ends our side too.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  console.log(`accepted ${peer}`);
  socket.pipe(socket);
  socket.on('close', () => console.log(`closed ${peer}`));
  socket.on('error', (err: Error) => console.error(`${peer}: ${err.message}`));
});

server.on('error', (err: Error) => {
  console.error(`cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});

// No host: listen on every address, IPv4 and IPv6.
server.listen(port, () => console.log(`listening on port ${port}`));
