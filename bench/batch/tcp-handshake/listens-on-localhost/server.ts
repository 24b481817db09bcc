// Mistake: the server listens on 127.0.0.1 ("localhost"), the loopback interface only. It works when the
// client runs on the same machine, but a SYN arriving on eth0 for 10.x.y.10:9000 finds no listening socket
// there, so the kernel answers RST ("connection refused").
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  socket.pipe(socket);
  socket.on('error', () => undefined);
});
server.listen(port, '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}`));
