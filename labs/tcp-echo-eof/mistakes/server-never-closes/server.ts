// Mistake: the server writes its reply but never closes its side. The client, reading until
// end-of-stream, waits for a FIN that never comes.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer({ allowHalfOpen: true }, (socket: net.Socket) => {
  let bytes = 0;
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    bytes += Buffer.byteLength(chunk);
    text += chunk;
  });
  socket.on('end', () => {
    const lines = text.split('\n').filter((l) => l !== '').length;
    console.log(`end of stream after ${bytes} bytes`);
    socket.write(`${lines} lines, ${bytes} bytes\n`); // write(), but no end(): no FIN
  });
  socket.on('error', () => undefined);
});
server.listen(port, () => console.log(`listening on port ${port}`));
