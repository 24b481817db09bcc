/** What `ping` (iputils) printed. */
export interface PingResult {
  /** The host as given, and the address it resolved to. */
  target?: string;
  address?: string;
  /** Payload bytes per request (`-s`), and the IP packet size ping announced. */
  size?: number;
  packetSize?: number;
  replies: PingReply[];
  transmitted?: number;
  received?: number;
  errors?: number;
  lossPercent?: number;
  rtt?: { min: number; avg: number; max: number; mdev: number };
  /** Local errors, e.g. `message too long, mtu=1400` (EMSGSIZE). */
  localErrors: string[];
}

export interface PingReply {
  bytes: number;
  from: string;
  seq: number;
  ttl: number;
  timeMs: number;
}

export function parsePing(text: string): PingResult {
  const r: PingResult = { replies: [], localErrors: [] };
  for (const line of text.split('\n')) {
    const head = /^PING (\S+?)\s*\(([^)]+)\)\s*(\d+)(?:\((\d+)\))? (?:data )?bytes/.exec(line);
    if (head) {
      r.target = head[1] ?? '';
      r.address = head[2] ?? '';
      r.size = Number(head[3]);
      if (head[4] !== undefined) r.packetSize = Number(head[4]);
      continue;
    }
    const reply = /^(\d+) bytes from (?:\S+ \()?([^\s:)]+(?::[^\s)]*[^\s:)])?)\)?: icmp_seq=(\d+) ttl=(\d+) time=([\d.]+) ms/.exec(line);
    if (reply) {
      r.replies.push({
        bytes: Number(reply[1]),
        from: reply[2] ?? '',
        seq: Number(reply[3]),
        ttl: Number(reply[4]),
        timeMs: Number(reply[5]),
      });
      continue;
    }
    const stats = /^(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) errors)?(?:, ([\d.]+)% packet loss)?/.exec(line);
    if (stats) {
      r.transmitted = Number(stats[1]);
      r.received = Number(stats[2]);
      if (stats[3] !== undefined) r.errors = Number(stats[3]);
      if (stats[4] !== undefined) r.lossPercent = Number(stats[4]);
      continue;
    }
    const rtt = /^rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(line);
    if (rtt) {
      r.rtt = { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]), mdev: Number(rtt[4]) };
      continue;
    }
    const local = /^ping: local error: (.*)$/.exec(line);
    if (local) r.localErrors.push(local[1] ?? '');
  }
  return r;
}
