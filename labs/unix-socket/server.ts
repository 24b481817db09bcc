// Echo server on a local (AF_UNIX / AF_LOCAL) stream socket. The address is a path in the file system:
// bind() creates a socket file there. No IP, no port, no handshake on any wire.
//   - bind() needs write permission on the directory: as an ordinary user, /run is not yours -> EACCES.
//   - the socket file outlives a server that crashed or was killed; bind() on an existing path fails with
//     EADDRINUSE. So before listening, remove a stale socket file (only a socket, never another kind of file).
import * as fs from 'node:fs';
import * as net from 'node:net';

const path = process.env.SOCKET_PATH ?? '/tmp/echo.sock';

function removeStale(p: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return; // nothing there
  }
  if (!st.isSocket()) {
    console.error(`${p} exists and is not a socket: not removing it`);
    process.exit(1);
  }
  fs.unlinkSync(p);
  console.log(`removed stale socket file ${p}`);
}

const server = net.createServer((socket: net.Socket) => {
  console.log('client connected');
  socket.pipe(socket); // echo; when the client ends, pipe() ends our side too
  socket.on('error', (err: Error) => console.error(err.message));
});

server.on('error', (err: NodeJS.ErrnoException) => {
  // err.code is the errno name: EACCES, EADDRINUSE, ENOENT ...
  console.error(`bind ${path} failed: ${err.code} (${err.message})`);
  process.exit(1);
});

removeStale(path);
server.listen(path, () => console.log(`listening on ${path}`));
