// Mistake: write() returning false is taken as an error ("the buffer is full, the server is gone"):
// the client stops writing, closes its side and sends only part of the data.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const total = Number(process.env.TOTAL_BYTES ?? 16 * 1024 * 1024);
const chunkSize = Number(process.env.CHUNK_BYTES ?? 64 * 1024);

let accepted = 0; // bytes the kernel has taken (write callbacks run)
let offered = 0; // bytes handed to write()
const chunk = Buffer.alloc(chunkSize, 'x');

const socket = net.connect({ host, port, allowHalfOpen: true }, () => writeMore());

function writeMore(): void {
  while (offered < total) {
    const n = Math.min(chunkSize, total - offered);
    offered += n;
    const ok = socket.write(n === chunkSize ? chunk : chunk.subarray(0, n), () => (accepted += n));
    if (!ok) {
      console.log('send buffer full: giving up');
      socket.end(() => console.log(`accepted ${accepted} bytes`));
      return;
    }
  }
  // Everything handed over; end() sends FIN once the last byte is in the kernel.
  socket.end(() => {
    console.log(`accepted ${accepted} bytes`);
  });
}

let reply = '';
socket.setEncoding('utf8');
socket.on('data', (d: string) => (reply += d));
socket.on('end', () => console.log(`server read ${reply.trim()} bytes`));
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
