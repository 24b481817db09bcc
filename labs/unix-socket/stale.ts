// Part of the lab, not of the exercise: leaves a stale socket file behind, as a server does that
// crashes or is killed (the file stays; nothing listens on it any more).
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';
const server = net.createServer();
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`stale: ${err.code}`);
  process.exit(1);
});
// Exit without close(): the socket file is not removed.
server.listen(path, () => {
  console.log(`left a stale socket file at ${path}`);
  process.exit(0);
});
