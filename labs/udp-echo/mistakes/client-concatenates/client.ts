// Mistake: the client treats UDP like a byte stream and sends all messages at once, joined with newlines.
// The output looks the same, but on the wire there is one datagram each way, not three.
import * as dgram from 'node:dgram';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const messages = (process.env.MESSAGES ?? 'one,two,three').split(',');

const socket = dgram.createSocket('udp4');
socket.on('message', (msg: Buffer) => {
  console.log(msg.toString('utf8'));
  socket.close();
});
socket.send(messages.join('\n'), port, host);
setTimeout(() => {
  console.error('no reply');
  process.exit(1);
}, 2000).unref();
