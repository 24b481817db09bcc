// A TCP server that fails clearly when its port is taken. listen() is where bind() happens: if another
// socket already listens on the port, the kernel refuses with EADDRINUSE ("Address already in use").
// A good server says which port, why, and exits non-zero, so whoever started it (a person, a script,
// systemd) sees at once that it is not running.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 8080);

const server = net.createServer((socket: net.Socket) => {
  socket.end('hello\n');
});

server.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EADDRINUSE') {
    console.error(`cannot listen on port ${port}: it is already in use (EADDRINUSE); find the holder with: lsof -i :${port}`);
  } else {
    console.error(`cannot listen on port ${port}: ${err.code ?? ''} ${err.message}`);
  }
  process.exit(1);
});

server.listen(port, () => console.log(`listening on port ${port}`));
