import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import {
  buildLadder,
  conversationLadder,
  conversations,
  endpointText,
  type Ladder,
  type LadderEndpoint,
  type LadderProtocol,
} from '../observe/ladder.js';
import { decodeCapture, PcapError, type DecodedCapture } from '../observe/pcap.js';
import { renderLadderMermaid, renderLadderText, unicodeTerminal } from '../report/ladder.js';
import { useColor } from '../report/terminal.js';

/** Parses `10.0.1.20:40312`, `10.0.1.20`, `[fd00::10]:9000` or `fd00::10`. */
export function parseEndpoint(text: string): LadderEndpoint {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(text);
  if (v6?.[1] !== undefined) return { address: v6[1].toLowerCase(), ...(v6[2] !== undefined ? { port: Number(v6[2]) } : {}) };
  if (/^[0-9a-fA-F:]+$/.test(text) && text.includes('::')) return { address: text.toLowerCase() };
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(text);
  if (v4?.[1] !== undefined) return { address: v4[1], ...(v4[2] !== undefined ? { port: Number(v4[2]) } : {}) };
  throw new UsageError(`'${text}' is not an endpoint: write 10.0.1.20:40312, 10.0.1.10 or [fd00::10]:9000`);
}

/** `lab ladder`'s options, as declared in src/cli/program.ts. */
export interface LadderOptions {
  between?: boolean;
  protocol?: 'tcp' | 'udp' | 'icmp';
  format: 'terminal' | 'ascii' | 'mermaid' | 'json';
  all?: boolean;
  list?: boolean;
}

/** `lab ladder <capture> [--between a b]`: draws a capture's exchange. */
export async function ladderCommand(file: string, rest: string[], values: LadderOptions): Promise<number> {
  if (file === undefined) throw new UsageError('which capture? e.g. lab ladder results/tcp-handshake/<run>/wire.pcap');
  const format = values.format;
  if (!['terminal', 'ascii', 'mermaid', 'json'].includes(format))
    throw new UsageError(`unknown format '${format}': use terminal, ascii, mermaid or json`);
  const protocol = values.protocol;
  if (protocol !== undefined && protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'icmp')
    throw new UsageError(`unknown protocol '${protocol}': use tcp, udp or icmp`);
  if (values.between && rest.length !== 2) throw new UsageError('--between takes two endpoints, e.g. --between 10.0.1.20 10.0.1.10:9000');
  if (!values.between && rest.length > 0)
    throw new UsageError(`one capture at a time (unexpected '${rest[0] ?? ''}')`, {
      hint: 'to choose the exchange: --between <endpoint> <endpoint>',
    });
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    throw new UsageError(`cannot read the capture ${file}`);
  }
  let decoded: DecodedCapture;
  try {
    decoded = decodeCapture(buf);
  } catch (e) {
    // The file given is not a capture we can read: the user's input, not a failure of the tool.
    if (e instanceof PcapError) throw new UsageError(`${file}: ${e.message}`, e.hint !== undefined ? { hint: e.hint } : {});
    throw e;
  }
  const packets = decoded.packets;
  // A file cut short (tcpdump killed mid-write, a copy still in progress) is drawn up to its last whole packet, and says so.
  if (decoded.truncatedAt !== undefined) {
    process.stderr.write(
      `note: ${file} ends in the middle of a packet (at byte ${decoded.truncatedAt} of ${buf.length}): that packet and any after it are not drawn\n`,
    );
  }
  const convs = conversations(packets).filter((c) => protocol === undefined || c.protocol === protocol);
  if (values.list) {
    const between = format === 'ascii' || !unicodeTerminal() ? '<->' : '↔';
    for (const c of convs) {
      // A four-tuple reopened by a new connection: say which one this is (see them all with --all).
      const again = /#(\d+)$/.exec(c.key)?.[1];
      process.stdout.write(
        `${c.protocol.padEnd(5)} ${endpointText(c.a)} ${between} ${endpointText(c.b)}  ${c.packets} packet(s)${again ? `  (connection ${again} on this four-tuple)` : ''}\n`,
      );
    }
    if (convs.length === 0) process.stdout.write('no TCP, UDP or ICMP echo exchange in this capture\n');
    return 0;
  }
  const proto = protocol as LadderProtocol | undefined;
  const opts = proto ? { protocol: proto } : {};
  let ladders: Ladder[];
  if (values.between) {
    const one = buildLadder(packets, parseEndpoint(rest[0] ?? ''), parseEndpoint(rest[1] ?? ''), opts);
    if (!one)
      throw new UsageError(`no exchange between ${rest[0] ?? ''} and ${rest[1] ?? ''} in ${file}`, {
        hint: `see them with: lab ladder ${file} --list`,
      });
    ladders = [one];
  } else {
    const picked = values.all ? convs : convs.slice(0, 1);
    ladders = picked.map((c) => conversationLadder(packets, c));
    if (ladders.length === 0)
      throw new UsageError(`no TCP, UDP or ICMP echo exchange in ${file}${protocol ? ` (protocol ${protocol})` : ''}`);
  }
  if (format === 'json') {
    process.stdout.write(JSON.stringify(values.all || !values.between ? ladders : ladders[0], null, 2) + '\n');
    return 0;
  }
  const text = ladders.map((l) =>
    format === 'mermaid'
      ? renderLadderMermaid(l)
      : renderLadderText(l, { ascii: format === 'ascii' || !unicodeTerminal(), color: useColor(process.stdout) }),
  );
  process.stdout.write(text.join('\n'));
  return 0;
}
