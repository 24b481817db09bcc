// tcpdump lab: the echo server (you do not change it). Each connection gets back what it sends, and is
// closed when the client closes its side.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  socket.pipe(socket);
  socket.on('error', (err: Error) => console.error(`connection error: ${err.message}`));
});
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on port ${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
server.listen({ port }, () => console.log(`listening on port ${port}`));
