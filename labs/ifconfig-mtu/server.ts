// UDP server (given with the lab): prints the size of every datagram it receives. The kernel reassembles
// IP fragments before the socket sees anything, so a datagram sent in three fragments still arrives here
// whole, as one recvfrom() of its full size.
import * as dgram from 'node:dgram';

const port = Number(process.env.PORT ?? 9000);
const socket = dgram.createSocket('udp4');

socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
  console.log(`received ${msg.length} bytes from ${rinfo.address}:${rinfo.port}`);
});
socket.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`udp port ${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
socket.bind(port, () => console.log(`bound to udp port ${port}`));
