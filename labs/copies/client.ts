// copies lab: the client (you do not change it). It reads everything the server sends until the server
// closes, then prints how many bytes arrived and their SHA-256.
import { createHash } from 'node:crypto';
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const hash = createHash('sha256');
let bytes = 0;

const socket = net.connect({ host, port });
socket.on('data', (chunk: Buffer) => {
  bytes += chunk.length;
  hash.update(chunk);
});
socket.on('end', () => console.log(`received ${bytes} bytes, sha256 ${hash.digest('hex')}`));
socket.on('error', (err: NodeJS.ErrnoException) => {
  console.error(`${host}:${port}: ${err.code ?? err.message}`);
  process.exitCode = 1;
});
