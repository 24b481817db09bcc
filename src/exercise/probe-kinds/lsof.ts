import { parseLsof } from '../../observe/lsof.js';
import { defineProbeKind } from './kind.js';

/** The node's open internet sockets with their processes (`lsof -nP -i`, or `-i :<port>` with `port`). */
export const lsofProbe = defineProbeKind({
  name: 'lsof',
  noun: 'lsof',
  runs: '`lsof -nP -i`',
  options: '`port`',
  readsOnly: true,
  command: (p) => `lsof -nP -i${p.port !== undefined ? ` :${p.port}` : ''}; true`,
  parse: (stdout) => ({ lsof: parseLsof(stdout) }),
});
