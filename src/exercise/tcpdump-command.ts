/**
 * A student's tcpdump command line (an answer file), read as untrusted text: split into words the way a
 * shell would quote them (shell-quote; no expansion, no operators), then checked option by option against
 * the few tcpdump options that only change what is captured or how it is shown. Nothing here runs anything:
 * the result is an argument vector that the capture step hands to tcpdump itself, each word quoted.
 */
import { parse } from 'shell-quote';
import { normalizeTyped } from '../util/typed-text.js';

export interface TcpdumpCommand {
  /** The options to pass on, in order, each word separate (`-i`, `any`, `-n`, `-S` ...), without -w. */
  options: string[];
  /** The capture filter's words (libpcap joins them with spaces); empty: every packet. */
  filter: string[];
  /** `-i` / `--interface`: undefined means tcpdump picks its default (the first interface that is up). */
  interface?: string;
  /** How many -n were given: 1 or more turns off address and port-name resolution (tcpdump 4.99). */
  numeric: number;
  /** -S: absolute sequence numbers. */
  absoluteSeq: boolean;
  /** -s, when given. */
  snaplen?: number;
  /** -B, when given (KiB). */
  bufferKiB?: number;
  /** -w, when given: the file the student named (the grader writes its own). */
  writeFile?: string;
}

/** Options that take no value; letters a bundle such as `-nnS` may combine. */
const FLAGS = new Set(['A', 'e', 'K', 'l', 'n', 'N', 'p', 'q', 'S', 't', 'U', 'v', 'x', 'X', '#']);
/** Options that take a value (the rest of the bundle, or the next word). */
const WITH_VALUE = new Set(['i', 'c', 's', 'B', 'Q', 'w']);
const LONG_FLAGS = new Set(['--immediate-mode', '--number', '--micro', '--nano', '--dont-verify-checksums']);
const LONG_WITH_VALUE: Record<string, string> = {
  '--interface': 'i',
  '--snapshot-length': 's',
  '--buffer-size': 'B',
  '--direction': 'Q',
  '--time-stamp-precision': '',
};

/** Why an option is refused, for the ones students reach for. */
const REFUSED: Record<string, string> = {
  r: 'reads packets from a file instead of capturing',
  F: 'reads the filter from a file of the grading machine',
  z: 'runs a command after each file rotation',
  Z: 'changes the user tcpdump runs as',
  C: 'rotates the output file',
  G: 'rotates the output file',
  W: 'rotates the output file',
  D: 'lists interfaces instead of capturing',
  L: 'lists link types instead of capturing',
  d: 'prints the compiled filter instead of capturing',
  h: 'prints help instead of capturing',
  E: 'decrypts IPsec with a secret',
  M: 'uses a TCP-MD5 secret',
  I: 'puts a wireless interface in monitor mode',
  y: 'changes the link type',
  T: 'reinterprets packets as another protocol',
  j: 'changes the time stamp source',
  m: 'loads SMI MIB modules from files',
};

/** An error in a student's command line, in words they can act on. */
export class TcpdumpCommandError extends Error {}

function allowed(): string {
  return '-i <interface>, -n/-nn, -S, -c <count>, -s <snaplen>, -v, -e, -q, -t, -x/-X/-A, -l, -p, -U, -Q in|out|inout, -w <file> and a filter expression';
}

/** Reads a tcpdump command line. Throws TcpdumpCommandError, saying what to change, when it may not run. */
export function parseTcpdumpCommand(text: string): TcpdumpCommand {
  // As typed with any input method: “tcp port 9000” (a Chinese input method's quotes) reads as "tcp port 9000".
  const line = normalizeTyped(text)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join(' ');
  if (line === '') throw new TcpdumpCommandError('the command file is empty: write one tcpdump command line in it.');
  // $VAR stays literal text (no expansion); any shell operator, glob or comment is refused below.
  const tokens = parse(line, (name: string) => `$${name}`);
  const words: string[] = [];
  for (const t of tokens) {
    if (typeof t !== 'string') {
      const what =
        'op' in t ? (t.op === 'glob' ? `the pattern ${JSON.stringify((t as { pattern: string }).pattern)}` : `\`${t.op}\``) : 'a comment';
      throw new TcpdumpCommandError(
        `only one tcpdump command is run, with no shell: ${what} cannot be used. Quote the filter if it has brackets or ampersands ('tcp[tcpflags] & tcp-syn != 0').`,
      );
    }
    words.push(t);
  }
  if (words[0] === 'sudo') words.shift(); // the grader runs it with the rights it needs
  const program = words.shift();
  if (program === undefined || !/^(\/usr)?(\/s?bin\/)?tcpdump$/.test(program)) {
    throw new TcpdumpCommandError(`the command must be tcpdump, not ${JSON.stringify(program ?? '')}.`);
  }
  const out: TcpdumpCommand = { options: [], filter: [], numeric: 0, absoluteSeq: false };
  const take = (letter: string, value: string | undefined): void => {
    if (value === undefined || value === '') throw new TcpdumpCommandError(`-${letter} needs a value.`);
    const number = (what: string, max: number, min = 1): number => {
      if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
        throw new TcpdumpCommandError(`-${letter} takes ${what} (${min} to ${max}), not ${JSON.stringify(value)}.`);
      return Number(value);
    };
    switch (letter) {
      case 'i':
        if (!/^[A-Za-z0-9_.:@-]{1,32}$/.test(value))
          throw new TcpdumpCommandError(`${JSON.stringify(value)} is not an interface name (e.g. any, eth0).`);
        out.interface = value;
        break;
      case 'c':
        number('a packet count', 1_000_000);
        break;
      case 's': {
        // -s 0 is tcpdump's way of saying "the default" (262144).
        const n = number('a snapshot length in bytes (0: the default)', 262_144, 0);
        if (n === 0) return;
        if (n < 64)
          throw new TcpdumpCommandError(
            `-s ${n} keeps too little of each packet to decode its TCP header; use 96 or more, or leave -s out.`,
          );
        out.snaplen = n;
        break;
      }
      case 'B':
        out.bufferKiB = number('a buffer size in KiB', 65_536);
        break;
      case 'Q':
        if (!['in', 'out', 'inout'].includes(value))
          throw new TcpdumpCommandError(`-Q takes in, out or inout, not ${JSON.stringify(value)}.`);
        break;
      case 'w':
        out.writeFile = value;
        return; // the grader writes its own file
    }
    out.options.push(`-${letter}`, value);
  };
  let filterOnly = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (filterOnly || !w.startsWith('-') || w === '-') {
      out.filter.push(w);
      continue;
    }
    if (w === '--') {
      filterOnly = true;
      continue;
    }
    if (w.startsWith('--')) {
      const [name = '', inline] = w.split(/=(.*)/s, 2);
      if (LONG_FLAGS.has(name) && inline === undefined) {
        out.options.push(name);
        continue;
      }
      const letter = LONG_WITH_VALUE[name];
      if (letter === undefined) throw new TcpdumpCommandError(`toplab does not run tcpdump with ${name}. It runs: ${allowed()}.`);
      const value = inline ?? words[++i];
      if (letter === '') {
        if (value !== 'micro' && value !== 'nano') throw new TcpdumpCommandError(`${name} takes micro or nano.`);
        out.options.push(`${name}=${value}`);
      } else take(letter, value);
      continue;
    }
    // A bundle of short options, getopt style: -nnS, -vvv, -i any, -iany, -nni any.
    for (let j = 1; j < w.length; j++) {
      const c = w[j] ?? '';
      if (WITH_VALUE.has(c)) {
        const rest = w.slice(j + 1);
        take(c, rest !== '' ? rest : words[++i]);
        break;
      }
      if (FLAGS.has(c)) {
        if (c === 'n') out.numeric++;
        if (c === 'S') out.absoluteSeq = true;
        out.options.push(`-${c}`);
        continue;
      }
      const why = REFUSED[c];
      throw new TcpdumpCommandError(
        why ? `-${c} ${why}: it cannot be used here.` : `toplab does not run tcpdump with -${c}. It runs: ${allowed()}.`,
      );
    }
  }
  return out;
}

/** The command as the student would type it again, for messages. */
export function formatTcpdumpCommand(c: TcpdumpCommand): string {
  const quote = (w: string): string => (/^[A-Za-z0-9_.:@/=+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
  return ['tcpdump', ...c.options, ...(c.writeFile !== undefined ? ['-w', c.writeFile] : []), ...c.filter].map(quote).join(' ');
}

/** Words of pcap-filter(7) that are not host names. */
const FILTER_WORDS = new Set(
  (
    'host net mask port portrange src dst gateway proto protochain broadcast multicast less greater len and or not ' +
    'ether fddi tr wlan ip ip6 arp rarp decnet lat sca moprc mopdl iso esis isis clnp stp ipx netbeui tcp udp icmp icmp6 ' +
    'igmp igrp pim ah esp vrrp sctp atalk aarp llc vlan mpls pppoed pppoes geneve inbound outbound ifname on rnr rulenum ' +
    'reason rset srnr subrulenum action type subtype addr1 addr2 addr3 addr4 dir ' +
    'tcpflags tcp-fin tcp-syn tcp-rst tcp-push tcp-ack tcp-urg tcp-ece tcp-cwr icmptype icmpcode icmp6type icmp6code ' +
    'icmp-echoreply icmp-unreach icmp-sourcequench icmp-redirect icmp-echo icmp-routeradvert icmp-routersolicit ' +
    'icmp-timxceed icmp-paramprob icmp-tstamp icmp-tstampreply icmp-ireq icmp-ireqreply icmp-maskreq icmp-maskreply ' +
    'icmp6-echo icmp6-echoreply icmp6-neighborsolicit icmp6-neighboradvert icmp6-routersolicit icmp6-routeradvert'
  ).split(' '),
);

/**
 * Host names in a filter that are not `known` (the lab's node names). tcpdump looks names up when it compiles
 * the filter, and a name the lab does not know would be asked of a DNS server outside the lab, so such a filter
 * is refused. Words after `port`, `portrange` and `proto` are service or protocol names (read from local files),
 * not hosts.
 */
export function unknownFilterNames(filter: string[], known: string[]): string[] {
  const tokens = filter.join(' ').match(/[0-9a-f]*:[0-9a-f:.]*|0x[0-9a-f]+|\d+(?:\.\d+)*|[a-z_][\w.-]*|\S/gi) ?? [];
  const out: string[] = [];
  tokens.forEach((t, i) => {
    if (!/^[a-z_]/i.test(t) || /^0x/i.test(t) || t.includes(':')) return;
    const before = (tokens[i - 1] ?? '').toLowerCase();
    if (FILTER_WORDS.has(t.toLowerCase()) || ['port', 'portrange', 'proto', '\\'].includes(before)) return;
    if (!known.includes(t) && !out.includes(t)) out.push(t);
  });
  return out;
}
