/** One route of `ip route` / `ip -6 route` or `netstat -rn`. */
export interface RouteEntry {
  family: 4 | 6;
  /** `default`, or a prefix like 10.0.2.0/24 (a host route has no /len in ip's output: /32 or /128 added). */
  destination: string;
  via?: string;
  dev?: string;
  src?: string;
  metric?: number;
  proto?: string;
  scope?: string;
}

/** Parses `ip route` or `ip -6 route` output (one route per line). */
export function parseIpRoute(text: string): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    const first = words[0];
    if (!first || first === '') continue;
    let dest = first;
    let i = 1;
    if (['unicast', 'local', 'broadcast', 'unreachable', 'blackhole', 'prohibit', 'multicast', 'anycast'].includes(dest)) {
      if (dest !== 'unicast') continue;
      dest = words[1] ?? '';
      i = 2;
    }
    const family: 4 | 6 = dest.includes(':') ? 6 : 4;
    if (dest !== 'default' && !dest.includes('/')) dest += family === 4 ? '/32' : '/128';
    const r: RouteEntry = { family, destination: dest };
    for (; i < words.length; i++) {
      const k = words[i];
      const v = words[i + 1];
      if (v === undefined) break;
      if (k === 'via') r.via = v;
      else if (k === 'dev') r.dev = v;
      else if (k === 'src') r.src = v;
      else if (k === 'metric') r.metric = Number(v);
      else if (k === 'proto') r.proto = v;
      else if (k === 'scope') r.scope = v;
      else continue;
      i++;
      if (r.via?.includes(':') && family === 4) r.family = 6;
    }
    if (r.via !== undefined && r.via.includes(':')) r.family = 6;
    out.push(r);
  }
  return out;
}

/** Parses `netstat -rn` / `route -n` (IPv4). */
export function parseNetstatRoutes(text: string): RouteEntry[] {
  const out: RouteEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\s+(\d+\.\d+\.\d+\.\d+)\s+(\d+\.\d+\.\d+\.\d+)\s+(\S+)\s+.*?(\S+)\s*$/.exec(line);
    if (!m) continue;
    const prefix = (m[3] ?? '').split('.').reduce(
      (n, p) =>
        n +
        (Number(p) >>> 0)
          .toString(2)
          .split('')
          .filter((b) => b === '1').length,
      0,
    );
    const dest = m[1] === '0.0.0.0' && prefix === 0 ? 'default' : `${m[1]}/${prefix}`;
    const r: RouteEntry = { family: 4, destination: dest, dev: m[5] ?? '' };
    if (m[2] !== '0.0.0.0') r.via = m[2] ?? '';
    out.push(r);
  }
  return out;
}
