// Starter — the word-count client. Read README.md ("What to build") first.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const lines = (process.env.LINES ?? 'alpha,beta,gamma').split(',');

// TODO: keep reading after our own end(): which connect option allows a half-open socket?
const socket = net.connect({ host, port }, () => {
  // TODO: write every line followed by "\n", then HALF-close: end(), not destroy()
  void lines;
});

let reply = '';
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => (reply += chunk));
// TODO: on 'end' (the server's FIN: read returned 0), print the reply exactly as it came (process.stdout.write)
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
void reply;
