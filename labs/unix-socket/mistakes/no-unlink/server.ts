// Mistake: the server binds without removing the socket file an earlier run left behind. bind() fails with
// EADDRINUSE although no server is running.
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';
const server = net.createServer((socket: net.Socket) => socket.pipe(socket));
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`bind ${path} failed: ${err.code} (${err.message})`);
  process.exit(1);
});
server.listen(path, () => console.log(`listening on ${path}`));
