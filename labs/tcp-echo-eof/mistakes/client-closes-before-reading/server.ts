// A "word count" server over TCP. It can only answer once it has the whole input, and the only way to
// know the input is complete is end-of-stream: read() returning 0, which means the client sent FIN.
// Node reports that as the 'end' event. Then the server writes its reply and closes its own side (FIN).
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

// allowHalfOpen: when the client's FIN arrives, do NOT close our side automatically: we still have to
// write the reply. We call end() ourselves once the reply is written.
const server = net.createServer({ allowHalfOpen: true }, (socket: net.Socket) => {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  let bytes = 0;
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    bytes += Buffer.byteLength(chunk);
    text += chunk;
  });
  socket.on('end', () => {
    // read() returned 0: the client sent FIN and will send nothing more.
    const lines = text.split('\n').filter((l) => l !== '').length;
    console.log(`${peer}: end of stream after ${bytes} bytes`);
    socket.end(`${lines} lines, ${bytes} bytes\n`); // the reply, then our FIN
  });
  socket.on('close', () => console.log(`${peer}: closed`));
  socket.on('error', (err: Error) => console.error(`${peer}: ${err.message}`));
});

server.on('error', (err: Error) => {
  console.error(`cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});
server.listen(port, () => console.log(`listening on port ${port}`));
