import { parseIpAddr } from '../../observe/interfaces.js';
import { defineProbeKind } from './kind.js';

/** The node's interfaces and addresses (`ip -d addr`). */
export const interfacesProbe = defineProbeKind({
  name: 'interfaces',
  noun: 'interfaces',
  runs: '`ip -d addr`',
  options: '',
  readsOnly: true,
  command: () => 'ip -d addr',
  parse: (stdout) => ({ interfaces: parseIpAddr(stdout) }),
});
