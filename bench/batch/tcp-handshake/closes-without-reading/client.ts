// Mistake: "fire and forget". The client writes its message and closes the socket at once, as if write()
// meant the server had answered. The echo arrives at a socket that is already closed: nothing is printed,
// the kernel answers the echo with RST, and the connection is never seen ESTABLISHED while held.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ host, port }, () => {
  socket.write(message + '\n', () => socket.destroy());
});
socket.on('error', (err: Error) => console.error(err.message));
