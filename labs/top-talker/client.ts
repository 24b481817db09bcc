// top-talker lab: a client (you do not change it). It reads its profile from the server's first line
// ("<kind> <bytes per second> <burst bytes>"), sends the burst as fast as it can, then paces itself to the
// rate for SECONDS seconds, and closes.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const seconds = Number(process.env.SECONDS ?? 30);
const chunk = Buffer.alloc(16 * 1024, 0x61);

const socket = net.connect({ host, port });
let line = '';
socket.setEncoding('utf8');
socket.on('data', (text: string) => {
  if (line.endsWith('\n')) return;
  line += text;
  if (!line.includes('\n')) return;
  const [kind = 'slow', rateText = '100000', burstText = '0'] = line.trim().split(/\s+/);
  const rate = Number(rateText);
  console.log(`profile ${kind}: ${rate} bytes/s after a burst of ${burstText} bytes`);
  let burst = Number(burstText);
  while (burst > 0) {
    const n = Math.min(burst, chunk.length);
    socket.write(chunk.subarray(0, n));
    burst -= n;
  }
  // Pacing: every 20 ms, send what the rate allows for the time gone by (catching up after a slow tick).
  const started = Date.now();
  let sent = 0;
  const timer = setInterval(() => {
    const elapsed = (Date.now() - started) / 1000;
    if (elapsed >= seconds) {
      clearInterval(timer);
      socket.end();
      return;
    }
    let owed = Math.floor(rate * elapsed) - sent;
    while (owed > 0 && socket.writableLength < 256 * 1024) {
      const n = Math.min(owed, chunk.length);
      socket.write(chunk.subarray(0, n));
      sent += n;
      owed -= n;
    }
  }, 20);
});
socket.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`${host}:${port}: ${err.code ?? err.message}`);
  process.exitCode = 1;
});
process.on('SIGTERM', () => socket.destroy() && process.exit(0));
