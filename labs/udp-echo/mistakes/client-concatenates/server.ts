// UDP echo server. There is no connection and no accept(): one socket bound to PORT receives datagrams
// from anyone. recvfrom() gives each datagram together with its sender's address and port (Node: the
// 'message' event's rinfo); sendto() that address and port sends the reply back to that sender.
import * as dgram from 'node:dgram';

const port = Number(process.env.PORT ?? 9000);
const socket = dgram.createSocket('udp4');

socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
  console.log(`${msg.length} bytes from ${rinfo.address}:${rinfo.port}`);
  // One datagram in, one datagram out, to the port it came from, with the same bytes.
  socket.send(msg, rinfo.port, rinfo.address);
});
socket.on('error', (err: Error) => {
  console.error(`udp port ${port}: ${err.message}`);
  process.exit(1);
});
socket.bind(port, () => console.log(`bound to udp port ${port}`));
