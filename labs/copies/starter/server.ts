// copies lab: start from here; see README.md. For each connection, send FILE and close.
// MODE=readwrite: an explicit loop, read() into one user-space buffer, write() it to the socket.
// MODE=pipe: Node's stream pipeline from fs.createReadStream to the socket.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { pipeline } from 'node:stream';

const port = Number(process.env.PORT ?? 9000);
const file = process.env.FILE ?? '/tmp/data.bin';
const mode = process.env.MODE ?? 'readwrite';
const CHUNK = 64 * 1024;

function sendReadWrite(socket: net.Socket): void {
  // TODO: fs.openSync, then repeatedly fs.read(fd, buf, ...) into ONE Buffer and socket.write(it).
  // Wait for the write's callback before reading into the same buffer again; at the end, socket.end().
  void fs;
  void CHUNK;
  socket.end();
}

function sendPipe(socket: net.Socket): void {
  // TODO: pipeline(fs.createReadStream(file), socket, callback)
  void pipeline;
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
