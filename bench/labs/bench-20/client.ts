// TCP echo client: connect() sends the SYN; once the handshake completes, send MESSAGE and a newline,
// print the first line that comes back, then close our side (FIN) and exit.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ host, port }, () => {
  socket.write(message + '\n');
});

let received = '';
let printed = false;
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  received += chunk;
  const nl = received.indexOf('\n');
  if (nl >= 0 && !printed) {
    printed = true;
    console.log(received.slice(0, nl));
    socket.end();
  }
});
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
socket.on('close', () => {
  if (!printed) {
    console.error('the connection closed before a whole line came back');
    process.exitCode = 1;
  }
});
