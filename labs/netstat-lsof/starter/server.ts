// netstat-lsof lab: a server that must fail clearly when its port is taken. See README.md.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 8080);

const server = net.createServer((socket: net.Socket) => {
  socket.end('hello\n');
});

// TODO: handle the 'error' event. When err.code is 'EADDRINUSE', say on stderr which port is in use,
// and exit with a non-zero code.

server.listen(port, () => console.log(`listening on port ${port}`));
