// Starter — TCP echo client. Read README.md ("What to build") first.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';
const holdMs = Number(process.env.HOLD_MS ?? 0);

// connect(): the kernel sends SYN; the callback runs when the handshake is complete (ESTABLISHED).
const socket = net.connect({ host, port }, () => {
  // TODO: send `message` followed by "\n"
});

socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  // TODO: when a whole line has arrived, print it (only the line, with console.log), then keep the
  // connection open for `holdMs` milliseconds and close OUR side with socket.end() (that sends FIN).
  void chunk;
  void holdMs;
});
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
