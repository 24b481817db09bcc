// Client for the local echo server: connect() to the socket file's path, send MESSAGE and a newline,
// print the line that comes back. With no server, connect() fails: ENOENT when there is no socket file
// at all, ECONNREFUSED when a stale file is there but nobody listens on it. Report the errno name and
// exit non-zero.
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ path }, () => socket.write(message + '\n'));
let received = '';
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  received += chunk;
  const nl = received.indexOf('\n');
  if (nl >= 0) {
    console.log(received.slice(0, nl));
    socket.end();
  }
});
socket.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`connect ${path} failed: ${err.code} (${err.message})`);
  process.exitCode = 1;
});
