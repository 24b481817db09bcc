/**
 * A new lab's files, ready to edit: lab.yaml (with its schema line), a reference server and client, their
 * starters, README.md and README.zh.md, and one mistake with its expect.yaml. As written it validates and
 * passes `lab selftest`: a TCP echo between two nodes, graded on the listening socket, the handshake, the
 * echo and the close. Pure: a name in, file paths and texts out.
 */
import { UsageError } from '../errors.js';

/**
 * Lab names: what the schema's `name` accepts (lower-case letters, digits and hyphens, at most 32, not ending
 * with a hyphen: they become Docker names), and starting with a letter.
 */
export const LAB_NAME_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

export interface ScaffoldOptions {
  /** The lab's title (default: from the name). */
  title?: string;
  /** Path from the lab's folder to schema/lab.schema.json, for the editor's schema line. */
  schemaPath: string;
}

/** The files of a new lab, by path relative to its folder. Throws UsageError for a name that cannot be a lab's. */
export function scaffoldLab(name: string, opts: ScaffoldOptions): Record<string, string> {
  if (!LAB_NAME_PATTERN.test(name))
    throw new UsageError(
      `'${name}' cannot name a lab: use lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen (at most 32)`,
    );
  const title = opts.title ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/-/g, ' ');
  return {
    'lab.yaml': labYaml(name, title, opts.schemaPath),
    'server.ts': SERVER,
    'client.ts': CLIENT,
    'starter/server.ts': STARTER_SERVER,
    'starter/client.ts': STARTER_CLIENT,
    // A mistake is a whole submission (a grade takes no file a student submits from the reference).
    'mistakes/listens-on-localhost/server.ts': MISTAKE_SERVER,
    'mistakes/listens-on-localhost/client.ts': CLIENT,
    'mistakes/listens-on-localhost/expect.yaml': MISTAKE_EXPECT,
    'README.md': readme(name, title),
    'README.zh.md': readmeZh(name, title),
  };
}

function labYaml(name: string, title: string, schemaPath: string): string {
  return `# yaml-language-server: $schema=${schemaPath}
# A new lab, made by \`lab new\`. Edit it, then: lab validate ${name}; lab check ${name}; lab selftest ${name}.
# The format: docs/lab-format.md and schema/lab.schema.json.
name: ${name}
title: ${JSON.stringify(title)}
summary: >
  A TCP echo server and client on two nodes. The client connects, sends a line, prints the echo and closes;
  the grade reads the server's socket table and the packets that crossed the wire.
difficulty: intro
minutes: 30
networks:
  lan: { subnet: 10.0.1.0/24 }
nodes:
  server: { interfaces: { lan: 10.0.1.10 } }
  client: { interfaces: { lan: 10.0.1.20 } }
programs:
  server: { node: server, source: server.ts, env: { PORT: "9000" } }
  client: { node: client, source: client.ts, env: { SERVER_HOST: server, PORT: "9000", MESSAGE: hello } }
exercise:
  - start: server
    ready: { tcp: 9000 }
  - capture: { name: wire, node: server, filter: tcp port 9000 }
  - run: client
checks:
  - id: listen
    title: The server listens on port 9000
    points: 1
    socket: { node: server, tcp: 9000, state: LISTEN }
  - id: handshake
    title: SYN, SYN-ACK, ACK between client and server
    points: 2
    handshake: { capture: wire, client: client, server: server, port: 9000 }
  - id: echo
    title: The client prints what the server echoed
    points: 2
    output: { program: client, equals: hello }
  - id: close
    title: The client closes first, without a reset
    points: 1
    teardown: { capture: wire, initiator: client, port: 9000 }
`;
}

const SERVER = `// TCP echo server: every accepted connection gets back every byte it sends; when the client closes its side,
// pipe() closes ours.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  socket.pipe(socket);
  socket.on('error', (err: Error) => console.error(\`\${socket.remoteAddress ?? '?'}: \${err.message}\`));
});
server.on('error', (err: Error) => {
  console.error(\`cannot listen on port \${port}: \${err.message}\`);
  process.exit(1);
});
// No host: every address of the node, IPv4 and IPv6.
server.listen(port, () => console.log(\`listening on port \${port}\`));
`;

const CLIENT = `// TCP echo client: connect, send MESSAGE and a newline, print the first line that comes back, close (FIN).
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ host, port }, () => socket.write(message + '\\n'));
let received = '';
let printed = false;
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  received += chunk;
  const nl = received.indexOf('\\n');
  if (nl >= 0 && !printed) {
    printed = true;
    console.log(received.slice(0, nl));
    socket.end();
  }
});
socket.on('error', (err: Error) => {
  console.error(\`connection to \${host}:\${port} failed: \${err.message}\`);
  process.exitCode = 1;
});
socket.on('close', () => {
  if (!printed) process.exitCode = 1;
});
`;

const STARTER_SERVER = `// Starter: a TCP echo server. Read README.md ("What to build") first.
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  // TODO: write back every byte the client sends, and close when the client closes.
  void socket;
});
server.on('error', (err: Error) => {
  console.error(\`cannot listen on port \${port}: \${err.message}\`);
  process.exit(1);
});
// TODO: listen on port \`port\`, on every address of the node.
void server;
`;

const STARTER_CLIENT = `// Starter: a TCP echo client. Read README.md ("What to build") first.
import * as net from 'node:net';

const host = process.env.SERVER_HOST ?? 'server';
const port = Number(process.env.PORT ?? 9000);
const message = process.env.MESSAGE ?? 'hello';

const socket = net.connect({ host, port }, () => {
  // TODO: send \`message\` and a newline.
  void message;
});
socket.setEncoding('utf8');
socket.on('data', (chunk: string) => {
  // TODO: when a whole line has arrived, print it, then close your side with socket.end().
  void chunk;
});
socket.on('error', (err: Error) => {
  console.error(\`connection to \${host}:\${port} failed: \${err.message}\`);
  process.exitCode = 1;
});
`;

const MISTAKE_SERVER = `// Mistake: the server listens on 127.0.0.1, the loopback interface only. A SYN arriving on eth0 finds no
// listening socket, and the kernel answers RST ("connection refused").
import * as net from 'node:net';

const port = Number(process.env.PORT ?? 9000);

const server = net.createServer((socket: net.Socket) => {
  socket.pipe(socket);
  socket.on('error', () => undefined);
});
server.listen(port, '127.0.0.1', () => console.log(\`listening on 127.0.0.1 port \${port}\`));
`;

const MISTAKE_EXPECT = `# What \`lab selftest\` (and the labs' Docker tests) expect when this mistake is graded: exactly these checks
# fail, in the lab's order, and every other check passes.
why: "the server listens on 127.0.0.1 only; a SYN arriving on eth0 is answered with RST"
fails: [handshake, echo, close]
`;

function readme(name: string, title: string): string {
  return `# ${title}

*About 30 minutes.* (A new lab made by \`lab new\`: replace this text with the exercise as students read it.)

## What you will learn

What happens on the wire when a TCP client talks to a server: the handshake, the data, the close.

## The lab

\`\`\`
   client 10.0.1.20  ───── lan 10.0.1.0/24 ─────  server 10.0.1.10 (port 9000)
\`\`\`

- \`server.ts\`: an echo server on port \`PORT\` (9000).
- \`client.ts\`: connects to \`SERVER_HOST:PORT\`, sends \`MESSAGE\` and a newline, prints the line that comes
  back, and closes.

## What to build

Start from \`starter/\` and fill in the \`TODO\`s: \`lab init ${name}\` copies it to a workspace of your own
(\`./${name}\`); run \`lab check\` there (\`lab check --ladder\` draws the exchange).

Your submission is a folder holding \`server.ts\` and \`client.ts\`, under exactly these names (a missing or
misnamed file is graded as missing, never replaced by the lab's own).

## How it is graded

| check | what it looks at |
| --- | --- |
| \`listen\` | the server's socket table shows a socket in LISTEN on port 9000 |
| \`handshake\` | the capture holds SYN, SYN-ACK, ACK between client and server |
| \`echo\` | the client printed exactly what it sent |
| \`close\` | the client closed first (FIN), and the connection closed without a reset |

## Common mistakes

- \`listens-on-localhost\`: the server listens on 127.0.0.1. A SYN arriving on eth0 for 10.0.1.10 finds no
  listening socket, so the kernel answers RST: fails \`handshake\`, \`echo\` and \`close\`.
`;
}

function readmeZh(name: string, title: string): string {
  return `# ${title}

*约 30 分钟。*（由 \`lab new\` 生成的新实验：请把这段文字换成学生阅读的练习说明。）

## 你将学到

TCP 客户端与服务器通信时线路上发生了什么：三次握手、数据、关闭。

## 实验环境

\`\`\`
   client 10.0.1.20  ───── lan 10.0.1.0/24 ─────  server 10.0.1.10（端口 9000）
\`\`\`

- \`server.ts\`：在端口 \`PORT\`（9000）上的回显服务器。
- \`client.ts\`：连接 \`SERVER_HOST:PORT\`，发送 \`MESSAGE\` 和换行，打印收到的那一行，然后关闭。

## 要做什么

从 \`starter/\` 开始，补全 \`TODO\`：\`lab init ${name}\` 把它复制到你自己的工作区（\`./${name}\`）；在那里运行 \`lab check\` 检查，\`lab check --ladder\` 查看报文交换过程。

提交的是一个包含 \`server.ts\` 和 \`client.ts\` 的文件夹，文件名必须完全一致（缺少或写错名字的文件按缺失评分，不会用实验自带的版本代替）。

## 评分方式

| 检查 | 看什么 |
| --- | --- |
| \`listen\` | 服务器的套接字表中有端口 9000 上处于 LISTEN 的套接字 |
| \`handshake\` | 抓包中有客户端与服务器之间的 SYN、SYN-ACK、ACK |
| \`echo\` | 客户端打印的正是它发送的内容 |
| \`close\` | 客户端先关闭（FIN），连接没有被重置 |

## 常见错误

- \`listens-on-localhost\`：服务器只监听 127.0.0.1。发往 eth0 上 10.0.1.10 的 SYN 找不到监听套接字，内核回 RST：
  \`handshake\`、\`echo\`、\`close\` 不通过。
`;
}
