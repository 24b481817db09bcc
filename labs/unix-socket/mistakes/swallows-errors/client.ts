// Mistake: the client hides why connect() failed and exits 0.
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ path }, () => socket.write(message + '\n'));
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  process.stdout.write(chunk);
  socket.end();
});
socket.on('error', () => console.log('server not available'));
