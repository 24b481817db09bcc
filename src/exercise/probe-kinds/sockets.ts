import type { SocketEntry } from '../../observe/types.js';
import { parseSocketsProbe, SOCKETS_PROBE } from '../socket-scope.js';
import { defineProbeKind } from './kind.js';

/** The node's socket tables (`ss -tanp`, `-uanp`, `-xanp`): scoped to this run afterwards (socket-scope.ts). */
export const socketsProbe = defineProbeKind({
  name: 'sockets',
  noun: 'socket table',
  runs: '`ss -tanp`, `ss -uanp`, `ss -xanp`',
  options: '',
  readsOnly: true,
  command: () => SOCKETS_PROBE,
  parse: (stdout): { sockets?: SocketEntry[] } => {
    // No table printed (ss missing or failed): no `sockets`, so checks say it was not read (checks/observed.ts).
    const sockets = parseSocketsProbe(stdout);
    return sockets ? { sockets } : {};
  },
});
