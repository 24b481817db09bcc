// Connects and then says nothing: it never writes the message, so no echo comes back and it prints nothing.
// It never exits on its own either; the lab's `stop: client` ends it.
import * as net from 'node:net';

const socket = net.connect({ host: process.env.SERVER_HOST ?? 'server', port: Number(process.env.PORT ?? 9000) });
socket.on('error', (err: Error) => console.error(`connection failed: ${err.message}`));
setInterval(() => undefined, 1000);
