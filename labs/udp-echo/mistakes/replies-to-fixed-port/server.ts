// Mistake: the server answers every datagram to the sender's address but to a fixed port (the server's
// own PORT, "the echo port"), not to the port the datagram came from. The client's kernel has no socket
// on that port: it answers each reply with ICMP port unreachable, and the client gets nothing.
import * as dgram from 'node:dgram';

const port = Number(process.env.PORT ?? 9000);
const socket = dgram.createSocket('udp4');

socket.on('message', (msg: Buffer, rinfo: dgram.RemoteInfo) => {
  console.log(`${msg.length} bytes from ${rinfo.address}`);
  socket.send(msg, port, rinfo.address);
});
socket.bind(port, () => console.log(`bound to udp port ${port}`));
