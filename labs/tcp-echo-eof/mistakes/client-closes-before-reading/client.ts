// Mistake: the client sends its lines and then closes the whole socket (close(), not shutdown()):
// Node's destroy(). It can no longer read, so the reply is lost; the kernel answers the reply's segment
// with RST.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const lines = (process.env.LINES ?? 'alpha,beta,gamma').split(',');

const socket = net.connect({ host, port }, () => {
  // Sent: close the socket, "we are done". (The write callback runs once the kernel has the bytes.)
  socket.write(lines.map((l) => l + '\n').join(''), () => socket.destroy());
});
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => process.stdout.write(chunk));
socket.on('error', (err: Error) => console.error(err.message));
