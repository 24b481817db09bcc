// TCP echo client. connect() makes the kernel send SYN; when the handshake is done ('connect'), send
// MESSAGE and a newline, print the first line that comes back, keep the connection open for HOLD_MS
// milliseconds (so `netstat -tn` on both nodes can see it ESTABLISHED), then close our side (FIN) and exit.
// A SIGTERM ends the hold early, the same clean way.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';
const holdMs = Number(process.env.HOLD_MS ?? 0);

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
    // The connection stays ESTABLISHED on both sides while we hold it; end() then sends our FIN.
    const timer = setTimeout(() => socket.end(), holdMs);
    process.once('SIGTERM', () => {
      clearTimeout(timer);
      socket.end();
    });
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
