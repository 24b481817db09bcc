import { parseIpRoute } from '../../observe/routes.js';
import { defineProbeKind } from './kind.js';

/** The node's IPv4 and IPv6 routing tables (`ip route; ip -6 route`). */
export const routesProbe = defineProbeKind({
  name: 'routes',
  noun: 'routes',
  runs: '`ip route`, `ip -6 route`',
  options: '',
  readsOnly: true,
  command: () => 'ip route; ip -6 route',
  parse: (stdout) => ({ routes: parseIpRoute(stdout) }),
});
