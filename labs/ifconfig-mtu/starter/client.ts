// ifconfig-mtu lab: send ONE UDP datagram of SIZE bytes to the server. See README.md.
import * as dgram from 'node:dgram';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const size = Number(process.env.SIZE ?? 2000);

const socket = dgram.createSocket('udp4');
// TODO: send one datagram of `size` bytes to host:port, print what happened, then close the socket.
void socket;
void host;
void port;
void size;
