import { describe, expect, it } from 'vitest';
import { checkHandshake } from '../../../src/checks/handshake.js';
import { checkTeardown } from '../../../src/checks/teardown.js';
import { withCapture } from '../../helpers/observations.js';

const spec = { capture: 'wire', client: 'client', server: 'server', port: 9000 };

describe('handshake check on real captures', () => {
  for (const file of ['tcp-echo-eth.pcap', 'tcp-echo-any-sll.pcap', 'tcp-echo-any-sll2.pcap', 'tcp-echo-eth.pcapng']) {
    it(`passes the echo in ${file} with the three packets as evidence`, () => {
      const v = checkHandshake(spec, withCapture(file));
      expect(v.message).toMatch(/^SYN, SYN-ACK, ACK in order: client ISN \d+, server ISN \d+\.$/);
      expect(v.passed).toBe(true);
      expect(v.evidence).toHaveLength(3);
      expect(v.evidence?.[0]).toMatch(/^10\.77\.251\.20:20101 > 10\.77\.251\.10:9000 \[S\] seq=\d+/);
      expect(v.evidence?.[1]).toMatch(/^10\.77\.251\.10:9000 > 10\.77\.251\.20:20101 \[S\.\] seq=\d+ ack=\d+/);
      expect(v.evidence?.[2]).toMatch(/^10\.77\.251\.20:20101 > 10\.77\.251\.10:9000 \[\.\] seq=\d+ ack=\d+/);
    });
  }

  it('passes over IPv6', () => {
    const v = checkHandshake(spec, withCapture('ipv6-tcp-echo-eth.pcap'));
    expect(v.passed).toBe(true);
    expect(v.evidence?.[0]).toMatch(/^\[?fd00:7e57:77::20\]?[.:]\d+ > /);
  });

  it('fails a SYN answered with RST and asks whether the server listens', () => {
    const v = checkHandshake({ ...spec, port: 9001 }, withCapture('tcp-closed-port.pcap'));
    expect(v.passed).toBe(false);
    expect(v.message).toBe('no SYN-ACK: the server answered the SYN with RST — is it listening on port 9001?');
    expect(v.evidence).toHaveLength(2);
    expect(v.evidence?.[1]).toMatch(/\[R\.\]/);
  });

  it('fails a handshake whose final ACK never came', () => {
    const v = checkHandshake(spec, withCapture('tcp-missing-ack.pcap'));
    expect(v.passed).toBe(false);
    expect(v.message).toMatch(/^the client never acknowledged the SYN-ACK: no ACK of the server's ISN\+1 \(\d+\) followed\.$/);
  });

  it('fails when the client never connected to that port', () => {
    const v = checkHandshake({ ...spec, port: 7 }, withCapture('tcp-echo-eth.pcap'));
    expect(v.passed).toBe(false);
    expect(v.message).toContain('not to server port 7');
  });

  it('fails when the capture is missing, naming it', () => {
    const obs = withCapture('tcp-echo-eth.pcap');
    const v = checkHandshake({ ...spec, capture: 'other' }, obs);
    expect(v.passed).toBe(false);
    expect(v.message).toContain('`other` was not taken');
  });
});

describe('teardown check on real captures', () => {
  it('passes when the client closes first and both FINs are acknowledged', () => {
    const v = checkTeardown({ capture: 'wire', initiator: 'client', port: 9000 }, withCapture('tcp-echo-eth.pcap'));
    expect(v.message).toBe(
      '10.77.251.20 (client) closed first (FIN); the other side answered with its own FIN, and both were acknowledged.',
    );
    expect(v.passed).toBe(true);
  });

  it('fails when the expected initiator is the server', () => {
    const v = checkTeardown({ capture: 'wire', initiator: 'server', port: 9000 }, withCapture('tcp-echo-eth.pcap'));
    expect(v.passed).toBe(false);
    expect(v.message).toBe('the other side closed first: the first FIN came from 10.77.251.20 (client), not from server.');
  });

  it('fails a connection reset instead of closed', () => {
    const v = checkTeardown({ capture: 'wire', initiator: 'client', port: 9600 }, withCapture('tcp-reset-after-data.pcap'));
    expect(v.passed).toBe(false);
    expect(v.message).toBe(
      'the connection was reset by 10.77.251.10 (server) (RST) instead of being closed with FIN: a socket was closed with unread data, or the program crashed.',
    );
  });

  it('fails a connection that never closed', () => {
    const v = checkTeardown({ capture: 'wire', initiator: 'client', port: 9000 }, withCapture('tcp-missing-ack.pcap'));
    expect(v.passed).toBe(false);
    expect(v.message).toBe('no FIN at all: client did not close the connection before the capture ended.');
  });
});
