// copies lab, a common mistake: write() sends the whole buffer instead of the bytes read() put in it.
// For each connection it sends FILE and closes. MODE=readwrite: an explicit
// loop, read() into one user-space buffer, write() it to the socket. MODE=pipe: Node's stream pipeline.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { pipeline } from 'node:stream';

const port = Number(process.env.PORT ?? 9000);
const file = process.env.FILE ?? '/tmp/data.bin';
const mode = process.env.MODE ?? 'readwrite';
const CHUNK = 64000; // "64 KB": 4194304 is not a multiple of it, so the last read is short

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
      // Mistake: the whole buffer, not the n bytes read: after the last, short read its tail is the previous
      // chunk's bytes, sent again.
      socket.write(buf, () => next());
    });
  };
  next();
}

/** createReadStream + pipe: the same read() and write() calls, made by Node's streams (no sendfile). */
function sendPipe(socket: net.Socket): void {
  pipeline(fs.createReadStream(file, { highWaterMark: CHUNK }), socket, (err) => {
    if (err) console.error(`pipe: ${err.message}`);
    else console.log('pipe: sent the file');
  });
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
