// Starter — UDP echo client. Read README.md ("What to build") first.
import * as dgram from 'node:dgram';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const messages = (process.env.MESSAGES ?? 'one,two,three').split(',');
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 2000);

const socket = dgram.createSocket('udp4');
let received = 0;

socket.on('message', (msg: Buffer) => {
  // TODO: print the reply on its own line; after the last expected reply, close the socket
  void msg;
  received += 1;
});

// UDP never retransmits: give up if replies are missing.
const timer = setTimeout(() => {
  console.error(`only ${received} of ${messages.length} replies came back within ${timeoutMs} ms`);
  process.exitCode = 1;
  socket.close();
}, timeoutMs);
void timer;

// TODO: send each message as its OWN datagram to host:port, in order. (send() given a host NAME looks it up
// for every datagram, and lookups may finish in any order: look the name up once with dns.lookup(host, 4, ...)
// and send to the address.)
void host;
void port;
