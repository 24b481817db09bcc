// The same echo over IPv4: shows that the one server socket on `::` also takes IPv4 clients (they arrive
// as IPv4-mapped IPv6 addresses, ::ffff:a.b.c.d). Given with the lab; students do not change it.
import * as dns from 'node:dns/promises';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello over IPv4';

async function main(): Promise<void> {
  const { address } = await dns.lookup(host, { family: 4 });
  const socket = net.connect({ host: address, port, family: 4 });
  socket.setEncoding('utf8');
  let received = '';
  socket.on('connect', () => socket.write(message + '\n'));
  socket.on('data', (chunk: string) => {
    received += chunk;
    const nl = received.indexOf('\n');
    if (nl >= 0) {
      console.log(received.slice(0, nl));
      socket.end();
    }
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    console.error(`connect to ${address}:${port} failed: ${err.code ?? err.message}`);
    process.exitCode = 1;
  });
}

main().catch((err: Error) => {
  console.error(`cannot resolve ${host} to an IPv4 address: ${err.message}`);
  process.exitCode = 1;
});
