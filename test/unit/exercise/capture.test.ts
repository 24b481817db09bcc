import { describe, expect, it } from 'vitest';
import { captureBufferKiB, droppedByKernel } from '../../../src/exercise/capture.js';
import { DEFAULTS } from '../../../src/lab/resolve.js';

describe('capture settings', () => {
  it('reads tcpdump’s closing count of packets the kernel dropped', () => {
    // What tcpdump 4.99.3 printed on SIGINT after being stopped (SIGSTOP) while 300 pings went by.
    const overflowed =
      'tcpdump: listening on any, link-type LINUX_SLL2 (Linux cooked v2), snapshot length 262144 bytes\n8 packets captured\n600 packets received by filter\n592 packets dropped by kernel\n';
    expect(droppedByKernel(overflowed)).toBe(592);
    expect(droppedByKernel('12 packets captured\n12 packets received by filter\n0 packets dropped by kernel\n')).toBe(0);
    expect(droppedByKernel('1 packet captured\n1 packet received by filter\n1 packet dropped by kernel\n')).toBe(1);
    expect(droppedByKernel('')).toBe(0);
  });

  it('gives a whole-packet capture a 16 MiB ring (256 slots) and keeps the 2 MiB default for short snaplens', () => {
    expect(DEFAULTS.snaplen).toBe(65535);
    expect(captureBufferKiB(DEFAULTS.snaplen)).toBe(16_384);
    expect(captureBufferKiB(262_144)).toBe(16_384);
    expect(captureBufferKiB(128)).toBe(2048);
    expect(captureBufferKiB(16_384)).toBe(4096);
  });
});
