// A common mistake, kept for the lab's tests: the port is taken, so the server quietly moves to the next
// free one. It runs, but not where its clients look for it, and it never says that 8080 was in use.
import * as net from 'node:net';

let port = Number(process.env.PORT ?? 8080);

const server = net.createServer((socket: net.Socket) => {
  socket.end('hello\n');
});

server.on('error', () => {
  port += 1;
  server.listen(port);
});

server.listen(port, () => console.log(`listening on port ${port}`));
