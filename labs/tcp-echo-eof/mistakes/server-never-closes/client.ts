// The word-count client: send every line of LINES (comma-separated), then half-close with end():
// shutdown(SHUT_WR), our FIN, "I have nothing more to send". The connection stays open for reading:
// print everything the server sends until end-of-stream (its FIN), then exit.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const lines = (process.env.LINES ?? 'alpha,beta,gamma').split(',');

const socket = net.connect({ host, port, allowHalfOpen: true }, () => {
  for (const line of lines) socket.write(line + '\n');
  socket.end(); // half-close: FIN goes out, reading continues
});

let reply = '';
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => (reply += chunk));
socket.on('end', () => {
  // read() returned 0: the server has sent all of its reply and closed its side.
  process.stdout.write(reply);
});
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
