// Sends ONE UDP datagram of SIZE bytes (default 2000) to the server over the slim link. The link's MTU is
// smaller than the IP packet (SIZE + 8 bytes UDP header + 20 bytes IP header), so the kernel splits the
// packet into IP fragments; the server's kernel puts them back together. The application does nothing
// special: one send() here, one receive there.
import * as dgram from 'node:dgram';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const size = Number(process.env.SIZE ?? 2000);

const socket = dgram.createSocket('udp4');
const payload = Buffer.alloc(size, 'x');
socket.send(payload, port, host, (err: Error | null) => {
  if (err) {
    console.error(`send of ${size} bytes failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
    process.exitCode = 1;
  } else {
    console.log(`sent ${size} bytes in one datagram`);
  }
  socket.close();
});
