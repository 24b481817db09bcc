// A common mistake: the server sets everything up but never calls listen(), so no socket is in LISTEN
// and the client's SYN is answered with RST.
import * as net from 'node:net';

const server = net.createServer((socket: net.Socket) => socket.pipe(socket));
console.log(`server ready on port ${process.env.PORT} (but listen() was forgotten)`, typeof server);
setInterval(() => undefined, 1000);
