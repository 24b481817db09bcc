// top-talker lab: the server (you do not change it). It deals out three sending profiles at random, one per
// client as they connect: "fast" (a steady rate of 500-900 KB/s), "slow" (80-200 KB/s) and "burst" (12 MB at
// once, then 40 KB/s). Each client learns its profile from the first line the server sends. Once every client
// is connected and the burst has arrived, it prints "steady": from then on every client sends at its rate.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);
const expected = Number(process.env.CLIENTS ?? 3);
const BURST = 12_000_000;

const profiles = [
  `fast ${Math.round(500_000 + Math.random() * 400_000)} 0`,
  `slow ${Math.round(80_000 + Math.random() * 120_000)} 0`,
  `burst 40000 ${BURST}`,
];
for (let i = profiles.length - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [profiles[i], profiles[j]] = [profiles[j] as string, profiles[i] as string];
}

let connected = 0;
let steady = false;
const received = new Map<string, number>();

const server = net.createServer((socket: net.Socket) => {
  const profile = profiles[connected++ % profiles.length] ?? 'slow 100000 0';
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  received.set(peer, 0);
  console.log(`${peer}: ${profile}`);
  socket.write(profile + '\n');
  socket.on('data', (chunk: Buffer) => {
    received.set(peer, (received.get(peer) ?? 0) + chunk.length);
    if (!steady && connected >= expected && [...received.values()].some((n) => n >= BURST)) {
      steady = true;
      console.log('steady: every client sends at its own rate now');
    }
  });
  socket.on('close', () => console.log(`${peer}: closed after ${received.get(peer)} bytes`));
  socket.on('error', () => undefined);
});
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on port ${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
server.listen({ port }, () => console.log(`listening on port ${port}`));
