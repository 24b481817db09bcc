// tcpdump lab: a client (you do not change it). It connects to SERVER_HOST:PORT, sends MESSAGE and a
// newline, prints the echoed line, and closes first (its FIN, then the server's).
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ host, port });
socket.setEncoding('utf8');
let received = '';
socket.on('connect', () => socket.write(message + '\n'));
socket.on('data', (chunk: string) => {
  received += chunk;
  const nl = received.indexOf('\n');
  if (nl >= 0) {
    console.log(received.slice(0, nl));
    socket.end();
  }
});
socket.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`${host}:${port}: ${err.code ?? err.message}`);
  process.exitCode = 1;
});
