// ipv6 lab: an echo client that must talk IPv6. Start from here; see README.md.
import * as dns from 'node:dns/promises';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello over IPv6';

async function main(): Promise<void> {
  // TODO: resolve `host` to its IPv6 address only (the AF_INET6 answer of getaddrinfo).
  const address = host;
  const socket = net.connect({ host: address, port });
  socket.setEncoding('utf8');
  socket.on('connect', () => socket.write(message + '\n'));
  // TODO: print the first line that comes back, then close our side.
  socket.on('error', (err: NodeJS.ErrnoException) => {
    console.error(`connect to ${address}:${port} failed: ${err.code ?? err.message}`);
    process.exitCode = 1;
  });
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
