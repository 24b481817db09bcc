// Starter — the word-count server. Read README.md ("What to build") first.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

// TODO: by default Node closes our side as soon as the client's FIN arrives — before we can reply.
// Which option of createServer keeps our side open?
const server = net.createServer({}, (socket: net.Socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let bytes = 0;
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    bytes += Buffer.byteLength(chunk);
    text += chunk;
  });
  socket.on('end', () => {
    // read() returned 0: the client sent FIN.
    // TODO: print `${peer}: end of stream after ${bytes} bytes`
    // TODO: reply "<lines> lines, <bytes> bytes\n" (count the non-empty lines of `text`), then close our side
    void peer;
    void text;
  });
  socket.on('error', (err: Error) => console.error(`${peer}: ${err.message}`));
});

server.on('error', (err: Error) => {
  console.error(`cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, () => console.log(`listening on port ${port}`));
