// Starter — UDP echo server. Read README.md ("What to build") first.
import * as dgram from 'node:dgram';

const port = Number(process.env.PORT ?? 9000);
const socket = dgram.createSocket('udp4');

socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
  console.log(`${msg.length} bytes from ${rinfo.address}:${rinfo.port}`);
  // TODO: send the same bytes back — to which address and which port?
});
socket.on('error', (err: Error) => {
  console.error(`udp port ${port}: ${err.message}`);
  process.exit(1);
});
// TODO: bind to `port`
