import { describe, expect, it } from 'vitest';
import { checkCaptureAnswer, checkCaptureMatch, checkTcpdumpCommand } from '../../../src/checks/capture-match.js';
import { formatTcpdumpCommand, parseTcpdumpCommand, unknownFilterNames } from '../../../src/exercise/tcpdump-command.js';
import { decodePcap } from '../../../src/observe/pcap.js';
import { fixture, withCapture } from '../../helpers/observations.js';

describe("a student's tcpdump command line", () => {
  it('splits options and filter the way tcpdump reads them', () => {
    const c = parseTcpdumpCommand("tcpdump -i any -nn -S 'host client2 and tcp[tcpflags] & (tcp-syn|tcp-fin) != 0'\n");
    expect(c.options).toEqual(['-i', 'any', '-n', '-n', '-S']);
    expect(c.interface).toBe('any');
    expect(c.numeric).toBe(2);
    expect(c.absoluteSeq).toBe(true);
    expect(c.filter).toEqual(['host client2 and tcp[tcpflags] & (tcp-syn|tcp-fin) != 0']);
  });

  it('reads bundles, values glued on, long options, sudo, comments, options after the filter', () => {
    const c = parseTcpdumpCommand('# my capture\nsudo tcpdump -nnSiany -c 10 --immediate-mode host client2 and port 9000 -w out.pcap');
    expect(c.options).toEqual(['-n', '-n', '-S', '-i', 'any', '-c', '10', '--immediate-mode']);
    expect(c.filter).toEqual(['host', 'client2', 'and', 'port', '9000']);
    expect(c.writeFile).toBe('out.pcap');
    expect(parseTcpdumpCommand('tcpdump --interface=eth1 -- port 9000').interface).toBe('eth1');
    expect(parseTcpdumpCommand('tcpdump -s 0 -i any').options).toEqual(['-i', 'any']);
    expect(parseTcpdumpCommand('tcpdump -s96').snaplen).toBe(96);
    expect(formatTcpdumpCommand(c)).toBe('tcpdump -n -n -S -i any -c 10 --immediate-mode -w out.pcap host client2 and port 9000');
  });

  it('reads a line typed with a Chinese input method (full-width letters, spaces)', () => {
    const c = parseTcpdumpCommand('ｔｃｐｄｕｍｐ　－ｉ　ａｎｙ　－ｎｎ　ｐｏｒｔ　９０００');
    expect(c.interface).toBe('any');
    expect(c.filter).toEqual(['port', '9000']);
  });

  it('refuses anything but tcpdump, shell syntax, and options that read or run things', () => {
    const refused: [string, RegExp][] = [
      ['', /empty/],
      ['ls -la', /must be tcpdump/],
      ['tcpdump -i any port 9000; rm -rf /', /no shell: `;`/],
      ['tcpdump -i any port 9000 | grep S', /no shell: `\|`/],
      ['tcpdump $(id) port 9000', /no shell/],
      ['tcpdump -i any port 9000 > out.txt', /no shell: `>`/],
      ['tcpdump -z /bin/sh -w x port 9000', /-z runs a command/],
      ['tcpdump -r /etc/shadow', /-r reads packets from a file/],
      ['tcpdump -F /etc/passwd', /-F reads the filter/],
      ['tcpdump -Z nobody port 9000', /-Z changes the user/],
      ['tcpdump --print port 9000', /does not run tcpdump with --print/],
      ['tcpdump -i "eth0;reboot"', /is not an interface name/],
      ['tcpdump -c many', /-c takes a packet count/],
      ['tcpdump -i', /-i needs a value/],
    ];
    for (const [line, re] of refused) expect(() => parseTcpdumpCommand(line), line).toThrow(re);
  });

  it("finds host names in a filter that are not the lab's nodes (tcpdump would ask DNS outside the lab)", () => {
    const nodes = ['server', 'client1', 'client2'];
    expect(unknownFilterNames(['host client2 and tcp port 9000 and tcp[tcpflags] & (tcp-syn|tcp-fin) != 0'], nodes)).toEqual([]);
    expect(unknownFilterNames(['src', 'client1', 'and', 'dst', 'port', 'http', 'and', 'tcp[13]', '&', '0x12', '!=', '0'], nodes)).toEqual(
      [],
    );
    expect(unknownFilterNames(['host 10.0.12.21 or host fd00:0:0:12::21 or net 10.0.0.0/8 or ip proto \\tcp'], nodes)).toEqual([]);
    expect(unknownFilterNames(['host example.com or host client9 and port 9000'], nodes)).toEqual(['example.com', 'client9']);
  });

  it('keeps $VAR as text: nothing is expanded', () => {
    expect(parseTcpdumpCommand('tcpdump -i any host $HOST').filter).toEqual(['host', '$HOST']);
  });
});

describe('checks on a capture the student wrote (real capture: tcp-echo-any-sll)', () => {
  const all = decodePcap(fixture('pcap/tcp-echo-any-sll.pcap'));
  const synFin = all.filter((p) => p.tcp && (p.tcp.flags.syn || p.tcp.flags.fin));
  const obs = (mine: typeof all, files: Record<string, string> = {}) => {
    const o = withCapture('tcp-echo-any-sll.pcap');
    return { ...o, captures: { ...o.captures, mine: { node: 'server', packets: mine } }, files };
  };
  const spec = {
    capture: 'mine',
    reference: 'wire',
    client: 'client',
    server: 'server',
    port: 9000,
    flags: ['SYN', 'FIN'] as ('SYN' | 'FIN')[],
  };

  it('passes a capture of exactly the SYN and FIN segments', () => {
    expect(synFin.length).toBe(4);
    expect(checkCaptureMatch({ ...spec, expect: 'all' }, obs(synFin)).passed).toBe(true);
    expect(checkCaptureMatch({ ...spec, expect: 'only' }, obs(synFin)).passed).toBe(true);
  });

  it('fails a capture that misses some, or holds more, or nothing', () => {
    const v = checkCaptureMatch({ ...spec, expect: 'all' }, obs(synFin.slice(0, 2)));
    expect(v.message).toBe(
      'your capture misses 2 of the 4 packets asked for (the TCP segments between client and server port 9000 with SYN or FIN set).',
    );
    expect(checkCaptureMatch({ ...spec, expect: 'only' }, obs(all)).message).toMatch(/^your capture also holds 6 packet\(s\) that are not/);
    expect(checkCaptureMatch({ ...spec, expect: 'only' }, obs([])).passed).toBe(false);
    expect(checkCaptureMatch({ ...spec, expect: 'all' }, obs([])).message).toMatch(/it caught nothing. Which interface/);
  });

  it('reads answers from the capture, full-width digits too', () => {
    const o = obs(synFin, { 'answers.txt': 'packets： ４\nmss: 1460\nfirst-fin: client\n' });
    expect(checkCaptureAnswer({ file: 'answers.txt', key: 'packets', capture: 'mine', value: 'packets' }, o).passed).toBe(true);
    const mss = checkCaptureAnswer(
      { file: 'answers.txt', key: 'mss', capture: 'wire', value: 'mss', client: 'client', server: 'server', port: 9000 },
      o,
    );
    expect(mss.evidence?.[1]).toMatch(/^observed: \d+$/);
    expect(
      checkCaptureAnswer(
        { file: 'answers.txt', key: 'first-fin', capture: 'wire', value: 'first-fin', client: 'client', server: 'server', port: 9000 },
        o,
      ).passed,
    ).toBe(true);
    const wrong = checkCaptureAnswer({ file: 'answers.txt', key: 'packets', capture: 'wire', value: 'packets' }, o);
    expect(wrong.message).toBe('"4" is not the number of packets in the capture `wire` in this run. Read it again from your capture.');
    // A wrong answer is never shown the value the capture holds: that would be the answer.
    expect(JSON.stringify(wrong)).not.toMatch(/\b10\b/);
  });

  it("checks the command line's own options", () => {
    const files = (line: string) => obs([], { 'capture.txt': line });
    expect(checkTcpdumpCommand({ file: 'capture.txt', numeric: true }, files('tcpdump -i any -nn port 9000')).passed).toBe(true);
    expect(checkTcpdumpCommand({ file: 'capture.txt', numeric: true }, files('tcpdump -i any port 9000')).message).toMatch(
      /reverse DNS query for each/,
    );
    expect(checkTcpdumpCommand({ file: 'capture.txt', absoluteSeq: true }, files('tcpdump -n port 9000')).passed).toBe(false);
    expect(checkTcpdumpCommand({ file: 'capture.txt', numeric: true }, files('tcpdump -n port 9000; id')).message).toMatch(/no shell/);
  });
});
