// socket-addresses lab: the client (you do not change it). It resolves SERVER_HOST for the family FAMILY
// (4: AF_INET, 6: AF_INET6), connects, says hello, and holds the connection open until it is stopped.
import * as dns from 'node:dns/promises';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const family = process.env.FAMILY === '6' ? 6 : 4;

async function main(): Promise<void> {
  const { address } = await dns.lookup(host, { family });
  const socket = net.connect({ host: address, port, family });
  socket.on('connect', () => {
    console.log(`connected from ${socket.localAddress} port ${socket.localPort} to ${address} port ${port}`);
    socket.write('hello\n');
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    console.error(`connect to ${address} port ${port} failed: ${err.code ?? err.message}`);
    process.exitCode = 1;
  });
  // Stopped with SIGTERM: close the connection properly (FIN) and leave.
  process.on('SIGTERM', () => socket.end(() => process.exit(0)));
}

main().catch((err: Error) => {
  console.error(`cannot resolve ${host} for IPv${family}: ${err.message}`);
  process.exitCode = 1;
});
