// IPv6 TCP echo client. It asks the resolver for the server's IPv6 address only (getaddrinfo with
// AF_INET6), connects to it (a sockaddr_in6: address, port, flow info, scope id), sends MESSAGE, prints the
// echoed line, and closes.
import * as dns from 'node:dns/promises';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello over IPv6';

async function main(): Promise<void> {
  // family: 6 is AF_INET6: only AAAA answers. Without it the name may resolve to the IPv4 address.
  const { address } = await dns.lookup(host, { family: 6 });
  console.error(`connecting to [${address}]:${port}`);
  const socket = net.connect({ host: address, port, family: 6 });
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
    console.error(`connect to [${address}]:${port} failed: ${err.code ?? err.message}`);
    process.exitCode = 1;
  });
}

main().catch((err: Error) => {
  console.error(`cannot resolve ${host} to an IPv6 address: ${err.message}`);
  process.exitCode = 1;
});
