// Mistake: the client honours backpressure, but believes that what the kernel accepted has arrived:
// when it stalls it reports every accepted byte as acknowledged, without looking at the send buffer.
import * as fs from 'node:fs';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const total = Number(process.env.TOTAL_BYTES ?? 16 * 1024 * 1024);
const chunkSize = Number(process.env.CHUNK_BYTES ?? 64 * 1024);
const stallMs = Number(process.env.STALL_MS ?? 500);

/** Send-Q of our connection, read the way netstat reads it. */
function sendQueue(socket: net.Socket): number {
  const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');
  const local = `:${hex(socket.localPort ?? 0)} `;
  const remote = `:${hex(port)} `;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue ...
      if (f.length > 4 && `${f[1]} `.includes(local) && `${f[2]} `.includes(remote) && f[3] === '01') {
        return parseInt((f[4] ?? '0:0').split(':')[0] ?? '0', 16);
      }
    }
  }
  return 0;
}

let accepted = 0; // bytes the kernel has taken (write callbacks run)
let offered = 0; // bytes handed to write()
let reportedStall = false;
const chunk = Buffer.alloc(chunkSize, 'x');

const socket = net.connect({ host, port, allowHalfOpen: true }, () => writeMore());

function writeMore(): void {
  while (offered < total) {
    const n = Math.min(chunkSize, total - offered);
    offered += n;
    const ok = socket.write(n === chunkSize ? chunk : chunk.subarray(0, n), () => (accepted += n));
    if (!ok) {
      // Backpressure: stop writing until the kernel has taken what is waiting.
      const timer = setTimeout(() => reportStall(), stallMs);
      socket.once('drain', () => {
        clearTimeout(timer);
        writeMore();
      });
      return;
    }
  }
  // Everything handed over; end() sends FIN once the last byte is in the kernel.
  socket.end(() => {
    console.log(`accepted ${accepted} bytes`);
  });
}

function reportStall(): void {
  if (reportedStall) return;
  reportedStall = true;
  void sendQueue;
  console.log(`stalled: accepted ${accepted} bytes, acknowledged ${accepted} bytes, 0 bytes in the send buffer`);
}

let reply = '';
socket.setEncoding('utf8');
socket.on('data', (d: string) => (reply += d));
socket.on('end', () => console.log(`server read ${reply.trim()} bytes`));
socket.on('error', (err: Error) => {
  console.error(`connection to ${host}:${port} failed: ${err.message}`);
  process.exitCode = 1;
});
