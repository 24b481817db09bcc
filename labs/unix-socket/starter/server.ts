// Starter — echo server on a unix stream socket. Read README.md ("What to build") first.
import * as fs from 'node:fs';
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';

// TODO: if a SOCKET file is already at `path` (fs.lstatSync(path).isSocket()), it is stale: unlink it.
// Never remove a file that is not a socket.
void fs;

const server = net.createServer((socket: net.Socket) => {
  socket.pipe(socket);
  socket.on('error', (err: Error) => console.error(err.message));
});

server.on('error', (err: NodeJS.ErrnoException) => {
  // TODO: say which errno it was (err.code: EACCES, EADDRINUSE ...) and exit with a non-zero code
  console.error('bind failed');
});

server.listen(path, () => console.log(`listening on ${path}`));
