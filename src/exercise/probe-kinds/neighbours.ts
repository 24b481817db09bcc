import { parseIpNeigh } from '../../observe/neighbours.js';
import { defineProbeKind } from './kind.js';

/** The node's neighbour table (`ip neigh show`): which addresses it resolved to which MAC address, and their state. */
export const neighboursProbe = defineProbeKind({
  name: 'neighbours',
  noun: 'neighbour table',
  runs: '`ip neigh show` (the ARP cache and, on IPv6 networks, the NDP neighbour cache)',
  options: '',
  readsOnly: true,
  command: () => 'ip neigh show',
  parse: (stdout) => ({ neighbours: parseIpNeigh(stdout) }),
});
