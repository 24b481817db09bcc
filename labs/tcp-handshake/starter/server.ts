// Starter — TCP echo server. Read README.md ("What to build") first.
// Run it in the lab with: lab grade tcp-handshake --submission <this folder>
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

// net.createServer() + listen() do socket(), bind() and listen() for you.
// The callback runs once per accepted connection: `socket` is the NEW socket accept() returned.
const server = net.createServer((socket: net.Socket) => {
  console.log(`accepted ${socket.remoteAddress}:${socket.remotePort}`);
  // TODO: echo every byte back to the client (hint: socket.pipe(socket) also ends our side when the
  // client ends its side).
  socket.on('error', (err: Error) => console.error(err.message));
});

server.on('error', (err: Error) => {
  console.error(`cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});

// TODO: listen on `port` on EVERY address of the machine. Which host argument would limit it to loopback?
void server;
