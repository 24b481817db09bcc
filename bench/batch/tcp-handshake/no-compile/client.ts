import * as net from 'node:net';

const socket = net.connect({ host: process.env.SERVER_HOST, port: Number(process.env.PORT) }, () => {
  socket.write('hello\n';
});
