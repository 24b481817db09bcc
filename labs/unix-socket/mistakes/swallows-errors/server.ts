// Mistake: errors are caught and turned into a vague message, and the program exits 0 as if all went
// well. Nobody can tell EACCES from EADDRINUSE, and scripts think it worked.
import * as fs from 'node:fs';
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';
try {
  fs.unlinkSync(path);
} catch {
  // ignore
}
const server = net.createServer((socket: net.Socket) => socket.pipe(socket));
server.on('error', () => {
  console.log('server could not start');
  process.exit(0);
});
server.listen(path, () => console.log(`listening on ${path}`));
