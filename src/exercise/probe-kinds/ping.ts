import { parsePing } from '../../observe/ping.js';
import { shellQuote } from '../../util/shell.js';
import { defineProbeKind } from './kind.js';

/** `count` echo requests of `size` payload bytes to the target, 0.2 s apart, each answered within 1 s or lost. */
export const pingProbe = defineProbeKind({
  name: 'ping',
  noun: 'ping',
  runs: '`ping -c <count> -s <size> -W 1`',
  options: '`target`, `network`, `family`, `count` (3), `size` (56)',
  readsOnly: false,
  command: (p, target) => `ping ${p.family === 6 ? '-6 ' : ''}-c ${p.count} -s ${p.size} -i 0.2 -W 1 ${shellQuote(target())}; true`,
  // ping says why it sent nothing (unknown host, no route) on stderr.
  parse: (_stdout, raw) => ({ ping: parsePing(raw) }),
});
