// Ladders drawn from the real captures in test/fixtures/pcap (made by scripts/capture-fixtures.sh): the states
// after each segment follow RFC 9293's state machine, numbers count from each side's ISN.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLadder, conversationLadder, conversations, type Ladder } from '../../../src/observe/ladder.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { renderLadderMermaid, renderLadderText, unicodeTerminal } from '../../../src/report/ladder.js';
import { ROOT } from '../../helpers/cli.js';

const packets = (name: string) => decodePcap(readFileSync(join(ROOT, 'test/fixtures/pcap', name)));
const CLIENT = '10.77.251.20';
const SERVER = '10.77.251.10';

function ladderOf(name: string, opts: { maxArrows?: number } = {}): Ladder {
  const p = packets(name);
  const c = conversations(p)[0];
  if (!c) throw new Error(`${name}: no conversation`);
  const l = buildLadder(p, c.a, c.b, { protocol: c.protocol, ...opts });
  if (!l) throw new Error(`${name}: no ladder`);
  return l;
}

/** Each arrow as `from flags: stateA/stateB`. */
const walk = (l: Ladder): string[] => l.arrows.map((x) => `${x.from} ${x.label}: ${x.states?.a ?? ''}/${x.states?.b ?? ''}`);

describe('TCP ladders', () => {
  it('a handshake, data both ways and a close started by the client (tcp-echo-eth)', () => {
    const l = ladderOf('tcp-echo-eth.pcap');
    expect(l.a).toEqual({ address: CLIENT, port: 20101 });
    expect(l.b).toEqual({ address: SERVER, port: 9000 });
    expect(l.initial).toEqual({ a: 'CLOSED', b: 'LISTEN' });
    expect(walk(l)).toEqual([
      'a SYN: SYN-SENT/SYN-RECEIVED',
      'b SYN, ACK: ESTABLISHED/SYN-RECEIVED',
      'a ACK: ESTABLISHED/ESTABLISHED',
      'a PSH, ACK: ESTABLISHED/ESTABLISHED',
      'b ACK: ESTABLISHED/ESTABLISHED',
      'b PSH, ACK: ESTABLISHED/ESTABLISHED',
      'a ACK: ESTABLISHED/ESTABLISHED',
      'a FIN, ACK: FIN-WAIT-1/CLOSE-WAIT',
      // The server's FIN also acknowledges the client's: FIN-WAIT-1 goes straight to TIME-WAIT.
      'b FIN, ACK: TIME-WAIT/LAST-ACK',
      'a ACK: TIME-WAIT/CLOSED',
    ]);
    // Relative numbers, as Wireshark shows them; absolute ones as on the wire (tcpdump -S).
    expect(l.arrows.map((x) => [x.seq, x.ack, x.length])).toEqual([
      [0, undefined, 0],
      [0, 1, 0],
      [1, 1, 0],
      [1, 1, 13],
      [1, 14, 0],
      [1, 14, 13],
      [14, 14, 0],
      [14, 14, 0],
      [14, 15, 0],
      [15, 15, 0],
    ]);
    expect(l.isn).toEqual({ a: 458592105, b: 1580848366 });
    expect(l.arrows[1]).toMatchObject({ seqAbsolute: 1580848366, ackAbsolute: 458592106 });
    expect(l.arrows.flatMap((x) => x.notes)).toEqual([]);
    expect(l.arrows.map((x) => x.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a four-tuple reopened by a new SYN is a second connection, numbered from its own ISN (tcp-port-reuse-time-wait)', () => {
    const p = packets('tcp-port-reuse-time-wait.pcap');
    const convs = conversations(p);
    // Wireshark too: two tcp.streams ("TCP Port numbers reused" on the second SYN).
    expect(convs.map((c) => [c.protocol, c.a, c.b, c.packets])).toEqual([
      ['tcp', { address: CLIENT, port: 20111 }, { address: SERVER, port: 9200 }, 8],
      ['tcp', { address: CLIENT, port: 20111 }, { address: SERVER, port: 9200 }, 8],
    ]);
    const [first, second] = convs.map((c) => conversationLadder(p, c));
    const closedByServer = [
      'a SYN: SYN-SENT/SYN-RECEIVED',
      'b SYN, ACK: ESTABLISHED/SYN-RECEIVED',
      'a ACK: ESTABLISHED/ESTABLISHED',
      'b PSH, ACK: ESTABLISHED/ESTABLISHED',
      'a ACK: ESTABLISHED/ESTABLISHED',
      'b FIN, ACK: CLOSE-WAIT/FIN-WAIT-1',
      'a FIN, ACK: LAST-ACK/TIME-WAIT',
      'b ACK: CLOSED/TIME-WAIT',
    ];
    for (const l of [first, second]) {
      expect(l?.initial).toEqual({ a: 'CLOSED', b: 'LISTEN' });
      expect(l && walk(l)).toEqual(closedByServer);
      expect(l?.arrows.map((x) => [x.seq, x.ack, x.length])).toEqual([
        [0, undefined, 0],
        [0, 1, 0],
        [1, 1, 0],
        [1, 1, 4],
        [1, 5, 0],
        [5, 1, 0],
        [1, 6, 0],
        [6, 2, 0],
      ]);
      expect(l?.arrows.flatMap((x) => x.notes)).toEqual([]);
    }
    expect(first?.isn).toEqual({ a: 1116315797, b: 511721429 });
    expect(second?.isn).toEqual({ a: 1123670708, b: 511786972 });
    expect(second?.arrows.map((x) => x.index)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    // A retransmitted SYN (the same ISN) stays in its connection.
    expect(conversations(packets('tcp-missing-ack.pcap'))).toHaveLength(1);
  });

  it('is the same ladder from -i any (Linux cooked v2) as from eth0', () => {
    expect(walk(ladderOf('tcp-echo-any-sll2.pcap'))).toEqual(walk(ladderOf('tcp-echo-eth.pcap')));
    expect(walk(ladderOf('tcp-echo-any-sll.pcap'))).toEqual(walk(ladderOf('tcp-echo-eth.pcap')));
  });

  it('draws a frame that -i any recorded twice (in and out of a router) once, and keeps real retransmissions', () => {
    const once = packets('tcp-retransmission.pcap');
    const twice = once.flatMap((p) => [p, { ...p, time: p.time + 0.00002, link: { ...p.link, ifindex: 99, direction: 'out' as const } }]);
    const c = conversations(twice)[0];
    expect(c?.packets).toBe(once.length);
    expect(c && buildLadder(twice, c.a, c.b)?.arrows.map((x) => x.notes)).toEqual(
      ladderOf('tcp-retransmission.pcap').arrows.map((x) => x.notes),
    );
  });

  it('keeps the client on the left and the names given, whichever endpoint is asked first', () => {
    const l = buildLadder(
      packets('tcp-echo-eth.pcap'),
      { address: SERVER, port: 9000, name: 'server' },
      { address: CLIENT, name: 'client' },
    );
    expect(l?.a).toEqual({ address: CLIENT, port: 20101, name: 'client' });
    expect(l?.b).toEqual({ address: SERVER, port: 9000, name: 'server' });
    expect(buildLadder(packets('tcp-echo-eth.pcap'), { address: SERVER, port: 9001 }, { address: CLIENT })).toBeUndefined();
  });

  it('a SYN-ACK that does not acknowledge the ISN + 1 does not complete the handshake', () => {
    const p = packets('tcp-echo-eth.pcap').slice(0, 2);
    const bad = p.map((q, i) => (i === 1 && q.tcp ? { ...q, tcp: { ...q.tcp, ack: q.tcp.ack + 5 } } : q));
    const c = conversations(bad)[0];
    const l = c && buildLadder(bad, c.a, c.b);
    expect(l && walk(l)).toEqual(['a SYN: SYN-SENT/SYN-RECEIVED', 'b SYN, ACK: SYN-SENT/SYN-RECEIVED']);
    expect(l?.arrows[1]?.ack).toBe(6);
  });

  it('a SYN that nothing answered: that the server listened is only assumed, and said so', () => {
    const syn = packets('tcp-echo-eth.pcap').slice(0, 1);
    const c = conversations(syn)[0];
    const l = c && buildLadder(syn, c.a, c.b);
    expect(l?.initial).toEqual({ a: 'CLOSED', b: 'LISTEN', assumed: true });
    expect(l && renderLadderText(l)).toContain('(assumed: no answer to the SYN was captured)');
  });

  it('a SYN to a closed port: nothing listens, RST+ACK, both CLOSED (tcp-closed-port)', () => {
    const l = ladderOf('tcp-closed-port.pcap');
    expect(l.initial).toEqual({ a: 'CLOSED', b: 'CLOSED' });
    expect(walk(l)).toEqual(['a SYN: SYN-SENT/CLOSED', 'b RST, ACK: CLOSED/CLOSED']);
    expect(l.arrows[1]?.ack).toBe(1);
  });

  it('a reset after data: both sides CLOSED, no FIN (tcp-reset-after-data)', () => {
    const w = walk(ladderOf('tcp-reset-after-data.pcap'));
    expect(w.at(-1)).toBe('b RST, ACK: CLOSED/CLOSED');
    expect(w.at(-2)).toBe('a ACK: ESTABLISHED/ESTABLISHED');
  });

  it('a simultaneous close: the FINs cross, both sides FIN-WAIT-1, CLOSING, TIME-WAIT (tcp-simultaneous-close)', () => {
    const l = ladderOf('tcp-simultaneous-close.pcap');
    const w = walk(l);
    const serverFin = w.indexOf('b FIN, ACK: ESTABLISHED/FIN-WAIT-1');
    // The server's FIN is on the wire; the client has not received it when its own FIN leaves.
    expect(serverFin).toBeGreaterThan(0);
    expect(w[serverFin + 2]).toBe('a FIN, ACK: CLOSING/CLOSING');
    expect(l.arrows[serverFin + 2]?.notes).toEqual(['FINs crossed: simultaneous close']);
    // Neither FIN acknowledges the other.
    expect(l.arrows[serverFin]?.ack).toBe(1);
    expect(l.arrows[serverFin + 2]?.ack).toBe(1);
    const states = new Set(w.slice(serverFin + 2).map((s) => s.split(': ')[1]));
    expect([...states]).toEqual(['CLOSING/CLOSING', 'TIME-WAIT/CLOSING', 'TIME-WAIT/TIME-WAIT']);
    expect(w.at(-1)).toBe('a ACK: TIME-WAIT/TIME-WAIT');
    expect(w.some((s) => s.includes('CLOSE-WAIT') || s.includes('LAST-ACK'))).toBe(false);
  });

  it('a data segment lost and sent again (tcp-retransmission)', () => {
    const l = ladderOf('tcp-retransmission.pcap');
    const data = l.arrows.filter((x) => x.from === 'a' && x.length === 10);
    expect(data.map((x) => [x.seq, x.notes])).toEqual([
      [1, []],
      [1, ['retransmission']],
    ]);
    expect((data[1]?.time ?? 0) - (data[0]?.time ?? 0)).toBeGreaterThan(0.15);
    expect(walk(l).at(-1)).toBe('a ACK: TIME-WAIT/CLOSED');
    expect(l.arrows.filter((x) => x.notes.length > 0)).toHaveLength(1);
  });

  it('a handshake whose last ACK never comes: SYN-ACK retransmitted, the server stays SYN-RECEIVED (tcp-missing-ack)', () => {
    const l = ladderOf('tcp-missing-ack.pcap');
    expect(walk(l)).toEqual([
      'a SYN: SYN-SENT/SYN-RECEIVED',
      'b SYN, ACK: ESTABLISHED/SYN-RECEIVED',
      'b SYN, ACK: ESTABLISHED/SYN-RECEIVED',
      'b SYN, ACK: ESTABLISHED/SYN-RECEIVED',
    ]);
    expect(l.arrows.map((x) => x.notes)).toEqual([[], [], ['retransmission'], ['retransmission']]);
  });

  it('counts what segments carried on the wire when the snapshot length cut what the capture kept', () => {
    // tcp-retransmission.pcap again, every frame cut to 60 bytes as tcpdump -s 60 would have kept it.
    const buf = readFileSync(join(ROOT, 'test/fixtures/pcap/tcp-retransmission.pcap'));
    const parts = [Buffer.from(buf.subarray(0, 24))];
    parts[0]?.writeUInt32LE(60, 16);
    for (let o = 24; o + 16 <= buf.length;) {
      const caplen = buf.readUInt32LE(o + 8);
      const head = Buffer.from(buf.subarray(o, o + 16));
      head.writeUInt32LE(Math.min(caplen, 60), 8);
      parts.push(head, buf.subarray(o + 16, o + 16 + Math.min(caplen, 60)));
      o += 16 + caplen;
    }
    const cut = decodePcap(Buffer.concat(parts));
    expect(cut.some((p) => p.capturedLength !== undefined)).toBe(true);
    const c = conversations(cut)[0];
    const l = c && buildLadder(cut, c.a, c.b);
    expect(l?.arrows).toEqual(ladderOf('tcp-retransmission.pcap').arrows);
  });

  it('a capture that starts mid-connection: states assumed ESTABLISHED; zero window and its probes (tcp-zero-window)', () => {
    const l = ladderOf('tcp-zero-window.pcap');
    expect(l.initial).toEqual({ a: 'ESTABLISHED', b: 'ESTABLISHED', assumed: true });
    expect(l.isn).toEqual({});
    expect(l.arrows.map((x) => `${x.from} ${x.label} ${x.seq}/${x.ack} win=${x.window} [${x.notes.join('; ')}]`)).toEqual([
      // The first probe cannot be told from an ACK: nothing before it was captured.
      'a ACK 0/0 win=63 []',
      'b ACK 0/1 win=0 [zero window]',
      // Linux probes a closed window one sequence number below what it has sent (the server acknowledged 1).
      'a ACK 0/0 win=63 [zero window probe]',
      'b ACK 0/1 win=0 [zero window]',
    ]);
    expect(renderLadderText(l)).toContain('(assumed: the capture starts mid-connection)');
  });

  it('IPv6 endpoints', () => {
    const l = ladderOf('ipv6-tcp-echo-eth.pcap');
    expect(l.a.address).toBe('fd00:7e57:77::20');
    expect(walk(l).at(-1)).toBe('a ACK: TIME-WAIT/CLOSED');
    expect(renderLadderText(l)).toContain('[fd00:7e57:77::20]:20107');
  });

  it('leaves out the middle of a long exchange, keeping the states of every segment', () => {
    const full = ladderOf('tcp-simultaneous-close.pcap');
    const short = ladderOf('tcp-simultaneous-close.pcap', { maxArrows: 9 });
    expect(short.arrows).toHaveLength(9);
    expect(short.omitted).toEqual({ after: 5, count: full.arrows.length - 9 });
    expect(short.arrows.slice(0, 6)).toEqual(full.arrows.slice(0, 6));
    expect(short.arrows.slice(6)).toEqual(full.arrows.slice(-3));
    expect(renderLadderText(short)).toContain(`${full.arrows.length - 9} more packet(s) not drawn`);
  });
});

describe('UDP and ICMP ladders: plain arrows', () => {
  it('two datagrams sent at once, then their echoes (udp-echo)', () => {
    const l = ladderOf('udp-echo.pcap');
    expect(l.protocol).toBe('udp');
    expect(l.arrows.map((x) => `${x.from} ${x.label} ${x.length}`)).toEqual(['a UDP 11', 'a UDP 11', 'b UDP 11', 'b UDP 11']);
    expect(l.arrows.every((x) => x.states === undefined)).toBe(true);
  });

  it('a datagram to a closed port, and the ICMP error that answers it (udp-closed-port)', () => {
    const l = ladderOf('udp-closed-port.pcap');
    expect(l.arrows.map((x) => `${x.from} ${x.label}`)).toEqual(['a UDP', 'b ICMP port unreachable']);
  });

  it('ICMP errors whose datagrams were not captured (a capture of icmp only, as in the traceroute lab): an exchange of their own', () => {
    const onlyIcmp = packets('udp-closed-port.pcap').filter((p) => p.icmp !== undefined);
    const [c, ...more] = conversations(onlyIcmp);
    expect(more).toEqual([]);
    expect([c?.protocol, c?.a.address, c?.b.address]).toEqual(['icmp', SERVER, CLIENT]);
    const l = c && buildLadder(onlyIcmp, c.a, c.b);
    if (!l) throw new Error('no ladder');
    expect(l.arrows.map((x) => `${x.from} ${x.label}`)).toEqual([`a ICMP port unreachable for UDP to ${SERVER}:9005`]);
    // A label too long for the ladder is cut, in ASCII too.
    const narrow = renderLadderText({ ...l, arrows: l.arrows.map((x) => ({ ...x, label: 'x'.repeat(200) })) }, { ascii: true });
    expect(Math.max(...narrow.split('\n').map((line) => line.length))).toBeLessThan(120);
    expect(narrow).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it('two ping sessions between the same hosts are two exchanges, each drawn on its own', async () => {
    const { conversationLadder } = await import('../../../src/observe/ladder.js');
    const first = packets('icmp-echo-nano.pcap');
    const second = first.map((p) => ({
      ...p,
      index: p.index + first.length,
      time: p.time + 5,
      ...(p.icmp ? { icmp: { ...p.icmp, id: 4242 } } : {}),
    }));
    const convs = conversations([...first, ...second]);
    expect(convs.map((c) => [c.protocol, c.packets])).toEqual([
      ['icmp', 6],
      ['icmp', 6],
    ]);
    const ids = convs.map((c) => conversationLadder([...first, ...second], c).arrows.map((x) => x.label.match(/id=(\d+)/)?.[1]));
    expect(new Set(ids[0]).size).toBe(1);
    expect(ids[1]).toEqual(Array(6).fill('4242'));
    expect(ids[0]?.[0]).not.toBe('4242');
  });

  it('ping: echo requests and replies (icmp-echo-nano, icmpv6-echo)', () => {
    const l = ladderOf('icmp-echo-nano.pcap');
    expect(l.protocol).toBe('icmp');
    expect(l.arrows.map((x) => `${x.from} ${x.label.replace(/id=\d+ /, '')} ${x.length}`)).toEqual([
      'a ICMP echo request seq=1 100',
      'b ICMP echo reply seq=1 100',
      'a ICMP echo request seq=2 100',
      'b ICMP echo reply seq=2 100',
      'a ICMP echo request seq=3 100',
      'b ICMP echo reply seq=3 100',
    ]);
    expect(ladderOf('icmpv6-echo.pcap').arrows.map((x) => x.label.replace(/ id=.*/, ''))).toEqual([
      'ICMPv6 echo request',
      'ICMPv6 echo reply',
      'ICMPv6 echo request',
      'ICMPv6 echo reply',
    ]);
  });
});

describe('rendering', () => {
  const l = ladderOf('tcp-echo-eth.pcap');

  it('for a terminal: Unicode box drawing, states beside each side, numbers relative then absolute', () => {
    const text = renderLadderText(l);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/10\.77\.251\.20:20101 +10\.77\.251\.10:9000$/);
    expect(lines[1]).toMatch(/^ +CLOSED │ +│ LISTEN$/);
    expect(text).toContain('│ SYN seq=0 len=0 ');
    expect(text).toContain('│ seq 458592105 ');
    expect(lines).toContainEqual(expect.stringMatching(/^ +SYN-SENT │─+▶│ SYN-RECEIVED$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +ESTABLISHED │◀─+│ SYN-RECEIVED$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ +FIN-WAIT-1 │─+▶│ CLOSE-WAIT$/));
    expect(text).not.toContain('\x1b[');
  });

  it('in plain ASCII, and in colour only when asked', () => {
    const ascii = renderLadderText(l, { ascii: true });
    expect(ascii).toMatch(/^[\x20-\x7e\n]*$/);
    expect(ascii).toMatch(/SYN-SENT \|-+>\| SYN-RECEIVED/);
    expect(ascii).toMatch(/ESTABLISHED \|<-+\| SYN-RECEIVED/);
    expect(renderLadderText(l, { color: true })).toContain('\x1b[32m');
    expect(unicodeTerminal({ LANG: 'en_US.UTF-8' })).toBe(true);
    expect(unicodeTerminal({ LANG: 'C' })).toBe(false);
    expect(unicodeTerminal({ LC_ALL: 'POSIX', LANG: 'en_US.UTF-8' })).toBe(false);
  });

  it('as a Mermaid sequenceDiagram, with a note whenever a state changes', () => {
    const m = renderLadderMermaid(l).split('\n');
    expect(m.slice(0, 5)).toEqual([
      'sequenceDiagram',
      '    participant A as 10.77.251.20:20101',
      '    participant B as 10.77.251.10:9000',
      '    Note left of A: CLOSED',
      '    Note right of B: LISTEN',
    ]);
    expect(m.slice(5, 8)).toEqual([
      '    A->>B: SYN seq=0 len=0 (seq 458592105)',
      '    Note left of A: SYN-SENT',
      '    Note right of B: SYN-RECEIVED',
    ]);
    expect(m).toContain('    B->>A: FIN, ACK seq=14 ack=15 len=0 (seq 1580848380 ack 458592120)');
    expect(m.filter((x) => x.includes('Note')).length).toBe(2 + 2 + 1 + 1 + 2 + 2 + 1);
    expect(renderLadderMermaid(ladderOf('tcp-closed-port.pcap'))).toContain('B-xA: RST, ACK seq=0 ack=1 len=0 win=0');
    expect(renderLadderMermaid(ladderOf('tcp-retransmission.pcap'))).toContain('A-->>B: PSH, ACK seq=1 ack=1 len=10 [retransmission]');
  });
});

describe("a run's ladders for lab check --ladder (renderLadders)", () => {
  it('each under a line naming its capture and exchange, in each style', async () => {
    const { renderLadders } = await import('../../../src/report/ladder.js');
    const named = buildLadder(packets('tcp-echo-eth.pcap'), { address: CLIENT, name: 'client' }, { address: SERVER, name: 'server' });
    if (!named) throw new Error('no ladder');
    const ladders = [{ capture: 'wire', ...named }];
    expect(renderLadders(ladders, { style: 'unicode', color: false }).split('\n')[0]).toBe(
      `ladder: capture wire, TCP client ${CLIENT}:20101 ↔ server ${SERVER}:9000 (10 packets)`,
    );
    const ascii = renderLadders(ladders, { style: 'ascii', color: false });
    expect(ascii.split('\n')[0]).toBe(`ladder: capture wire, TCP client ${CLIENT}:20101 <-> server ${SERVER}:9000 (10 packets)`);
    expect(ascii).toMatch(/^[\x20-\x7e\n]*$/);
    const mermaid = renderLadders(ladders, { style: 'mermaid', color: false }).split('\n');
    expect(mermaid.slice(0, 3)).toEqual([
      `%% ladder: capture wire, TCP client ${CLIENT}:20101 ↔ server ${SERVER}:9000 (10 packets)`,
      'sequenceDiagram',
      `    participant A as client ${CLIENT}:20101`,
    ]);
    expect(renderLadders([], { style: 'unicode', color: false })).toBe("ladder: no exchange between two of the lab's nodes was captured\n");
  });
});

describe('the JSON report', () => {
  it('its ladder section follows schema/result.schema.json, and the schema refuses what it does not describe', async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const addFormatsModule = await import('ajv-formats');
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema/result.schema.json'), 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const addFormats = (addFormatsModule as unknown as { default: (a: InstanceType<typeof Ajv2020>) => void }).default;
    addFormats(ajv);
    const validate = ajv.compile(schema);
    const base = {
      lab: 'tcp-handshake',
      instance: 'default',
      status: 'passed',
      score: 1,
      maxScore: 1,
      passMark: 1,
      startedAt: '2026-11-29T00:00:00.000Z',
      durationMs: 5,
      checks: [],
      steps: [],
    };
    const ladder = ['tcp-echo-eth.pcap', 'tcp-closed-port.pcap', 'udp-closed-port.pcap', 'icmp-echo-nano.pcap'].map((f) => ({
      capture: 'wire',
      ...ladderOf(f),
    }));
    ladder.push({ capture: 'wire', ...ladderOf('tcp-simultaneous-close.pcap', { maxArrows: 9 }) });
    const doc = JSON.parse(JSON.stringify({ ...base, ladder })) as object;
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const bad = JSON.parse(
      JSON.stringify({
        ...base,
        ladder: [{ ...ladder[0], arrows: [{ ...ladder[0]?.arrows[0], states: { a: 'SYN_SENT', b: 'LISTEN' } }] }],
      }),
    ) as object;
    expect(validate(bad)).toBe(false);
  });
});

describe('the ladder in labs/tcp-handshake/README.md', () => {
  it('is what toplab draws for the capture it came from, in both READMEs', () => {
    const p = packets('tcp-handshake-reference.pcap');
    const l = buildLadder(p, { address: '10.0.1.20', name: 'client' }, { address: '10.0.1.10', port: 9000, name: 'server' });
    if (!l) throw new Error('no ladder');
    const drawn = renderLadderText(l);
    for (const readme of ['README.md', 'README.zh.md'])
      expect(readFileSync(join(ROOT, 'labs/tcp-handshake', readme), 'utf8'), readme).toContain('```\n' + drawn + '```\n');
    expect(walk(l).map((s) => s.split(': ')[1])).toEqual([
      'SYN-SENT/SYN-RECEIVED',
      'ESTABLISHED/SYN-RECEIVED',
      'ESTABLISHED/ESTABLISHED',
      'ESTABLISHED/ESTABLISHED',
      'ESTABLISHED/ESTABLISHED',
      'ESTABLISHED/ESTABLISHED',
      'ESTABLISHED/ESTABLISHED',
      'FIN-WAIT-1/CLOSE-WAIT',
      'TIME-WAIT/LAST-ACK',
      'TIME-WAIT/CLOSED',
    ]);
  });
});

describe('the ladders of a run (laddersOf)', () => {
  it("draws each capture's exchanges between the lab's nodes, named after them, and only those", async () => {
    const { laddersOf } = await import('../../../src/grade/ladders.js');
    const { emptyObservations } = await import('../../../src/exercise/observations.js');
    const obs = emptyObservations({ client: [CLIENT, 'fd00:7e57:77::20'], server: [SERVER] });
    obs.captures.wire = { node: 'server', packets: packets('tcp-echo-eth.pcap') };
    obs.captures.pings = { node: 'server', packets: packets('icmp-echo-nano.pcap') };
    obs.captures.v6 = { node: 'server', packets: packets('ipv6-tcp-echo-eth.pcap') };
    const { ladders, leftOut } = laddersOf(obs);
    expect(ladders.map((l) => [l.capture, l.protocol, l.a.name, l.b.name, l.arrows.length])).toEqual([
      ['wire', 'tcp', 'client', 'server', 10],
      ['pings', 'icmp', 'client', 'server', 6],
    ]);
    expect(leftOut).toBe(0);
    expect(laddersOf(obs, { perCapture: 0 }).leftOut).toBe(2);
  });
});

// An independent reading: Wireshark's TCP analysis (tshark) numbers each segment relative to its side's ISN and
// flags retransmissions; the ladder must agree. The captures are merged and read by one tshark run (it takes a
// second or two to start); each has a 4-tuple of its own, so their analyses do not mix.
const TSHARK = ['tshark', 'mergecap'].every((t) => spawnSync(t, ['--version'], { encoding: 'utf8' }).status === 0);
const TCP_FILES = [
  'tcp-echo-eth.pcap',
  'tcp-closed-port.pcap',
  'tcp-reset-after-data.pcap',
  'tcp-missing-ack.pcap',
  'tcp-simultaneous-close.pcap',
  'tcp-retransmission.pcap',
  'ipv6-tcp-echo-eth.pcap',
  'tcp-handshake-reference.pcap',
];

describe.skipIf(!TSHARK)(
  `agrees with tshark's TCP analysis${TSHARK ? '' : ' (skipped: tshark or mergecap is not on PATH; apt-get install tshark)'}`,
  () => {
    const rows = new Map<string, string[][]>();
    beforeAll(() => {
      const dir = mkdtempSync(join(tmpdir(), 'toplab-ladder-'));
      try {
        const merged = join(dir, 'all.pcapng');
        execFileSync('mergecap', [
          '-I',
          'none',
          '-a',
          '-F',
          'pcapng',
          '-w',
          merged,
          ...TCP_FILES.map((f) => join(ROOT, 'test/fixtures/pcap', f)),
        ]);
        const fields = [
          'frame.interface_id',
          'tcp.seq',
          'tcp.ack',
          'tcp.flags.ack',
          'tcp.len',
          'tcp.analysis.retransmission',
          'tcp.analysis.fast_retransmission',
          'tcp.analysis.spurious_retransmission',
        ];
        const out = execFileSync('tshark', ['-r', merged, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])], {
          encoding: 'utf8',
        });
        for (const line of out.split('\n').filter((l) => l !== '')) {
          const cells = line.split('\t');
          const file = TCP_FILES[Number(cells[0])] ?? '';
          rows.set(file, [...(rows.get(file) ?? []), cells.slice(1)]);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);

    it.each(TCP_FILES)('%s: relative seq/ack, lengths and retransmissions', (file) => {
      const l = ladderOf(file);
      const theirs = rows.get(file) ?? [];
      expect(l.arrows).toHaveLength(theirs.length);
      l.arrows.forEach((x, i) => {
        const [seq, ack, ackFlag, len, retr, fast, spurious] = theirs[i] ?? [];
        const sideHasSyn = (x.from === 'a' ? l.isn?.a : l.isn?.b) !== undefined;
        // Wireshark counts a side whose SYN it never saw from 1; we count from its first segment (0).
        if (sideHasSyn) expect(x.seq, `${file} #${i} seq`).toBe(Number(seq));
        if (ackFlag === '1' || ackFlag === 'True') expect(x.ack, `${file} #${i} ack`).toBe(Number(ack));
        expect(x.length, `${file} #${i} len`).toBe(Number(len));
        const tsharkSaysRetransmission = [retr, fast, spurious].some((v) => v !== undefined && v !== '');
        expect(
          x.notes.some((n) => n.startsWith('retransmission')),
          `${file} #${i} retransmission`,
        ).toBe(tsharkSaysRetransmission);
      });
    });
  },
);
