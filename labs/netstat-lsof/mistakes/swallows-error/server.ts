// A common mistake, kept for the lab's tests: the error is logged, but the process is not told to fail.
// With nothing left to do it exits with code 0, which tells a script or systemd that all went well.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 8080);

const server = net.createServer((socket: net.Socket) => {
  socket.end('hello\n');
});

server.on('error', (err: Error) => {
  console.error(`server error: ${err.message}`);
});

server.listen(port, () => console.log(`listening on port ${port}`));
