// Starter — client for the unix-socket echo server. Read README.md ("What to build") first.
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ path }, () => socket.write(message + '\n'));
let received = '';
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  received += chunk;
  // TODO: once a whole line is there, print it and end() the connection
});
socket.on('error', (err: NodeJS.ErrnoException) => {
  // TODO: print the errno name (err.code) and make the program exit with a non-zero code
  void err;
});
