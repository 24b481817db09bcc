// Mistake: write() "succeeded", so the data is sent. The client ignores write()'s return value and
// hands everything to Node at once; Node keeps in this process what the kernel cannot take. The client
// never notices that the receiver stopped reading.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const total = Number(process.env.TOTAL_BYTES ?? 16 * 1024 * 1024);
const chunk = Buffer.alloc(64 * 1024, 'x');

const socket = net.connect({ host, port, allowHalfOpen: true }, () => {
  let sent = 0;
  while (sent < total) {
    socket.write(chunk);
    sent += chunk.length;
  }
  console.log(`accepted ${sent} bytes`);
  socket.end();
});
let reply = '';
socket.setEncoding('utf8');
socket.on('data', (d: string) => (reply += d));
socket.on('end', () => console.log(`server read ${reply.trim()} bytes`));
socket.on('error', (err: Error) => console.error(err.message));
