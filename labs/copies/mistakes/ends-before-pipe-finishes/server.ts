// copies lab, a common mistake: the socket is ended right after pipe() is called, as if pipe() had sent the file.
// For each connection it sends FILE and closes. MODE=readwrite: an explicit
// loop, read() into one user-space buffer, write() it to the socket. MODE=pipe: Node's stream pipeline.
import * as fs from 'node:fs';
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);
const file = process.env.FILE ?? '/tmp/data.bin';
const mode = process.env.MODE ?? 'readwrite';
const CHUNK = 64 * 1024;

/** read() copies page cache → buf (kernel → user); write() copies buf → socket buffer (user → kernel). */
function sendReadWrite(socket: net.Socket): void {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(CHUNK); // one buffer in user space, reused
  let sent = 0;
  const next = (): void => {
    fs.read(fd, buf, 0, CHUNK, null, (err, n) => {
      if (err || n === 0) {
        fs.closeSync(fd);
        console.log(`readwrite: sent ${sent} bytes`);
        socket.end();
        return;
      }
      sent += n;
      // The callback runs once the kernel has taken the bytes: only then may buf be filled again.
      socket.write(buf.subarray(0, n), () => next());
    });
  };
  next();
}

/** createReadStream + pipe: the same read() and write() calls, made by Node's streams (no sendfile). */
function sendPipe(socket: net.Socket): void {
  fs.createReadStream(file, { highWaterMark: CHUNK }).pipe(socket);
  // Mistake: "pipe() has sent the file, so close": pipe() only starts the copying, and the first write comes
  // after this end() (write after end: the client receives nothing). pipe() ends the socket itself.
  socket.end();
}

const server = net.createServer((socket: net.Socket) => {
  socket.on('error', (err: Error) => console.error(`connection error: ${err.message}`));
  if (mode === 'pipe') sendPipe(socket);
  else sendReadWrite(socket);
});
server.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`cannot listen on port ${port}: ${err.code ?? err.message}`);
  process.exit(1);
});
server.listen({ port }, () => console.log(`listening on port ${port}, sending ${file} with ${mode}`));
