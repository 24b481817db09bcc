// UDP echo client. Each message of MESSAGES (comma-separated) is sent as its own datagram with sendto();
// the kernel picks the client's port (an ephemeral one) on the first send. Each reply is one datagram:
// UDP keeps message boundaries, so every recvfrom() returns exactly one whole message. Print each reply on
// its own line; give up after TIMEOUT_MS if some replies never come (UDP does not retransmit).
import * as dgram from 'node:dgram';

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

// One send() per message: three datagrams on the wire.
for (const m of messages) socket.send(m, port, host);
