import { parseTraceroute } from '../../observe/traceroute.js';
import { shellQuote } from '../../util/shell.js';
import { defineProbeKind } from './kind.js';

/**
 * The route to the target: ICMP echo probes (the destination answers echo without the rate limit it puts on
 * port-unreachable), one hop at a time, two per hop (routers rate-limit time-exceeded too), up to 16 hops.
 */
export const tracerouteProbe = defineProbeKind({
  name: 'traceroute',
  noun: 'traceroute',
  runs: '`traceroute -I -n -N 1 -q 2 -w 1` (ICMP echo probes, one hop at a time)',
  options: '`target`, `network`, `family`',
  timeoutS: 30,
  readsOnly: false,
  command: (p, target) => `traceroute ${p.family === 6 ? '-6 ' : ''}-I -n -N 1 -q 2 -w 1 -m 16 ${shellQuote(target())}; true`,
  parse: (stdout) => ({ traceroute: parseTraceroute(stdout) }),
});
