// A slow receiver. It accepts a connection but does not read from it for HOLD_MS milliseconds (or until
// it gets SIGUSR2, which the grader sends once it has looked; its pid is in PID_FILE): whatever
// the client sends piles up in the server's receive buffer (Recv-Q) until it is full and the server's
// kernel advertises a zero window; then it piles up in the client's send buffer (Send-Q). After the hold
// the server reads everything, and at end-of-stream replies with the number of bytes it read.
import * as fs from 'node:fs';
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);
const holdMs = Number(process.env.HOLD_MS ?? 3000);
if (process.env.PID_FILE) fs.writeFileSync(process.env.PID_FILE, `${process.pid}\n`);

// pauseOnConnect: do not read from accepted connections until we call resume().
const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket: net.Socket) => {
  let read = 0;
  console.log(`holding: not reading for ${holdMs} ms`);
  const release = (): void => {
    clearTimeout(timer);
    process.removeListener('SIGUSR2', release);
    console.log('reading');
    socket.resume();
  };
  const timer = setTimeout(release, holdMs);
  process.on('SIGUSR2', release);
  socket.on('data', (chunk: Buffer) => (read += chunk.length));
  socket.on('end', () => {
    console.log(`read ${read} bytes`);
    socket.end(`${read}\n`);
  });
  socket.on('error', (err: Error) => console.error(err.message));
});
server.on('error', (err: Error) => {
  console.error(`cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, () => console.log(`listening on port ${port}`));
