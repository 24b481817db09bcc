import { ensureObserver } from '../deploy/observer.js';
import type { RunningLab } from '../deploy/running-lab.js';
import { StepError } from '../errors.js';
import { script } from '../sh/scripts.js';
import type { TcpdumpCommand } from './tcpdump-command.js';

export interface CaptureHandle {
  name: string;
  node: string;
  file: string;
}

/**
 * The kernel buffer for a capture, in KiB (tcpdump -B). With --immediate-mode libpcap uses a TPACKET_V2 ring
 * of fixed-size slots, one packet each, sized by the snapshot length: at tcpdump's defaults (2 MiB, 262144)
 * that is 8 slots, and a busy machine that leaves tcpdump unscheduled for a moment drops the 9th packet of a
 * burst (a client's FIN went missing from a 12-packet exchange this way). 256 slots at the default snaplen;
 * small snaplens get the 2 MiB default, which is thousands of slots.
 */
export function captureBufferKiB(snaplen: number): number {
  return Math.min(16_384, Math.max(2048, Math.ceil((Math.min(snaplen, 65_536) * 256) / 1024)));
}

/**
 * Starts tcpdump in the node's observer and waits until it reports that it is listening. `spec`: a resolved
 * capture step (its interface and snaplen defaulted), whose `command`, when given, replaces both.
 */
export async function startCapture(
  running: RunningLab,
  spec: { name: string; node: string; filter?: string; interface: string; snaplen: number; command?: TcpdumpCommand },
): Promise<CaptureHandle> {
  const id = await ensureObserver(running, spec.node);
  const base = `/tmp/capture-${spec.name}`;
  const user = spec.command;
  const snaplen = user?.snaplen ?? spec.snaplen;
  const own = [
    '-U',
    '--immediate-mode',
    '-Z',
    'root',
    ...(user?.snaplen === undefined ? ['-s', String(snaplen)] : []),
    ...(user?.bufferKiB === undefined ? ['-B', String(captureBufferKiB(snaplen))] : []),
    '-w',
    `${base}.pcap`,
  ];
  // A student's command line (already checked option by option): its options, ours, then its filter words.
  const argv = user
    ? ['tcpdump', ...user.options, ...own, ...(user.filter.length > 0 ? ['--', ...user.filter] : [])]
    : ['tcpdump', '-i', spec.interface, '-nn', ...own, ...(spec.filter ? [spec.filter] : [])];
  // One exec starts tcpdump and waits in the observer until it listens, or has died, or 10 s have passed.
  const r = await running.runtime.exec(id, ['sh', '-c', script('capture-start'), 'capture-start', base, ...argv], { timeoutMs: 20_000 });
  const text = r.stdout.toString();
  if (text.startsWith('@@dead')) throw new StepError(`tcpdump could not start in node ${spec.node}: ${text.replace('@@dead', '').trim()}`);
  if (!text.startsWith('@@listening')) throw new StepError(`tcpdump in node ${spec.node} did not report 'listening on' within 10s`);
  return { name: spec.name, node: spec.node, file: `${base}.pcap` };
}

/** tcpdump's closing count of packets the kernel dropped because the capture ring was full, 0 when it says none. */
export function droppedByKernel(tcpdumpStderr: string): number {
  const m = /(\d+) packets? dropped by kernel/.exec(tcpdumpStderr);
  return m ? Number(m[1]) : 0;
}

/** Stops a capture (SIGINT, so tcpdump flushes) and returns the pcap file's bytes and how many packets it lost. */
export async function stopCapture(running: RunningLab, handle: CaptureHandle): Promise<{ data: Buffer; dropped: number }> {
  const id = await ensureObserver(running, handle.node);
  const base = handle.file.replace(/\.pcap$/, '');
  // One exec: SIGINT, wait (at most 5 s) for tcpdump to write its last packets and its counts, then the counts
  // and the file's bytes after a marker.
  const r = await running.runtime.exec(id, ['sh', '-c', script('capture-stop'), 'capture-stop', base], {
    timeoutMs: 30_000,
    maxBytes: 256 * 1024 * 1024,
  });
  const at = r.stdout.indexOf(`${PCAP_MARK}\n`);
  if (at < 0) throw new StepError(`capture ${handle.name} in node ${handle.node} wrote no file`);
  return { data: r.stdout.subarray(at + PCAP_MARK.length + 1), dropped: droppedByKernel(r.stdout.subarray(0, at).toString('utf8')) };
}

/** The line before the pcap's bytes, as src/sh/capture-stop.sh prints it. */
const PCAP_MARK = '@@toplab-pcap@@';
