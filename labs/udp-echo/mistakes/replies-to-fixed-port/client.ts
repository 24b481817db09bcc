// UDP echo client. Each message of MESSAGES (comma-separated) is sent as its own datagram with sendto();
// the kernel picks the client's port (an ephemeral one) on the first send. Each reply is one datagram:
// UDP keeps message boundaries, so every recvfrom() returns exactly one whole message. Print each reply on
// its own line; give up after TIMEOUT_MS if some replies never come (UDP does not retransmit).
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const messages = (process.env.MESSAGES ?? 'one,two,three').split(',');
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 2000);

const socket = dgram.createSocket('udp4');
let received = 0;

socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
  console.log(msg.toString('utf8'));
  received += 1;
  if (received === messages.length) {
    clearTimeout(timer);
    socket.close();
  }
  void rinfo;
});
socket.on('error', (err: Error) => {
  console.error(`udp error: ${err.message}`);
  process.exitCode = 1;
  socket.close();
});

const timer = setTimeout(() => {
  console.error(`only ${received} of ${messages.length} replies came back within ${timeoutMs} ms`);
  process.exitCode = 1;
  socket.close();
}, timeoutMs);

// Look the server's name up once: send() given a name looks it up for every datagram, and those lookups
// may finish in any order. Then one send() per message: three datagrams on the wire, in order.
dns.lookup(host, 4, (err: NodeJS.ErrnoException | null, address: string) => {
  if (err) {
    console.error(`cannot resolve ${host}: ${err.code}`);
    process.exitCode = 1;
    clearTimeout(timer);
    socket.close();
    return;
  }
  for (const m of messages) socket.send(m, port, address);
});
