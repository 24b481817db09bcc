// A common mistake, kept for the lab's tests: "the MTU is 1000, so send 1000 bytes at a time". That breaks
// the one datagram into two (the server receives two messages, not one) and does not even avoid
// fragmentation: 1000 bytes of data + 8 (UDP) + 20 (IP) is still more than the MTU.
import * as dgram from 'node:dgram';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const size = Number(process.env.SIZE ?? 2000);
const chunk = 1000;

const socket = dgram.createSocket('udp4');
let pending = 0;
for (let offset = 0; offset < size; offset += chunk) {
  pending++;
  socket.send(Buffer.alloc(Math.min(chunk, size - offset), 'x'), port, host, () => {
    if (--pending === 0) socket.close();
  });
}
console.log(`sent ${size} bytes`);
