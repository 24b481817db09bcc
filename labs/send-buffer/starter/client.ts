// Starter — a client that honours backpressure. Read README.md ("What to build") first.
// The server (server.ts) is given: it does not read for HOLD_MS after accepting.
import * as fs from 'node:fs';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const total = Number(process.env.TOTAL_BYTES ?? 16 * 1024 * 1024);
const chunkSize = Number(process.env.CHUNK_BYTES ?? 64 * 1024);
const stallMs = Number(process.env.STALL_MS ?? 500);

/** TODO: the connection's Send-Q, from /proc/net/tcp: find the line whose local port is
 *  socket.localPort and remote port is `port` (both hexadecimal, after the ':'), state 01, and parse the
 *  tx_queue half of its "tx_queue:rx_queue" column (hexadecimal). */
function sendQueue(socket: net.Socket): number {
  void fs;
  void socket;
  return 0;
}

let accepted = 0; // bytes the kernel has taken: add them in each write's callback
let offered = 0; // bytes handed to write()
const chunk = Buffer.alloc(chunkSize, 'x');

const socket = net.connect({ host, port, allowHalfOpen: true }, () => writeMore());

function writeMore(): void {
  while (offered < total) {
    const n = Math.min(chunkSize, total - offered);
    offered += n;
    const ok = socket.write(chunk.subarray(0, n), () => {
      // TODO: the kernel has accepted these n bytes
    });
    // TODO: when ok is false, stop, wait for 'drain' and continue from there; if 'drain' takes longer
    // than stallMs, print ONCE:
    //   stalled: accepted <A> bytes, acknowledged <A - SendQ> bytes, <SendQ> bytes in the send buffer
    void ok;
    void stallMs;
    void sendQueue;
  }
  // TODO: end() the socket; in end()'s callback print `accepted ${accepted} bytes`
}

let reply = '';
socket.setEncoding('utf8');
socket.on('data', (d: string) => (reply += d));
socket.on('end', () => console.log(`server read ${reply.trim()} bytes`));
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
