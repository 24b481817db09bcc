/** The shared definitions of the lab format (`$defs` of schema/lab.schema.json), referred to with `ref`. */
import { def, Enum, MapOf, Raw, ref, Type, type Static } from './vocabulary.js';

export const DnsLabelSchema = def('dnsLabel', Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$', 'x-hint': 'a name of lower-case letters, digits and hyphens, not starting or ending with a hyphen, at most 32 characters', description: 'Lower-case letters, digits and hyphens, at most 32 characters.' }));

export const PortSchema = def('port', Type.Integer({ minimum: 1, maximum: 65535, description: 'A TCP or UDP port, 1 to 65535.' }));

export const Ipv4Schema = def('ipv4', Type.String({ format: 'ipv4', description: 'An IPv4 address, e.g. 10.0.1.10.' }));

export const Ipv6Schema = def('ipv6', Type.String({ format: 'ipv6', description: 'An IPv6 address, e.g. fd00:0:0:1::10.' }));

export const Cidr4Schema = def('cidr4', Type.String({ pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$', 'x-hint': 'an IPv4 subnet in CIDR form, like 10.0.1.0/24', description: 'An IPv4 subnet in CIDR form, e.g. 10.0.1.0/24.' }));

export const Cidr6Schema = def('cidr6', Type.String({ pattern: '^[0-9a-fA-F:]+/\\d{1,3}$', 'x-hint': 'an IPv6 subnet in CIDR form, like fd00:0:0:1::/64', description: 'An IPv6 subnet in CIDR form, e.g. fd00:0:0:1::/64.' }));

export const DurationSchema = def('duration', Type.String({ pattern: '^\\d+(\\.\\d+)?(us|ms|s)$', 'x-hint': 'a duration with its unit, like 50ms, 500us or 1s', description: 'A duration with its unit: us, ms or s.' }));

export const NameSchema = def('name', Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'A name other parts of the lab refer to: lower-case letters, digits and hyphens.' }));

export const NodeListSchema = def('nodeList', Type.Array(Type.String(), { minItems: 1, description: 'Node names, in order.' }));

export const NetworkSchema = def('network', Type.Object({
  subnet: ref(Cidr4Schema, { description: 'IPv4 subnet in CIDR form, /16 to /29, e.g. 10.0.1.0/24. The first address is reserved for Docker.' }),
  subnet6: Type.Optional(ref(Cidr6Schema, { description: 'IPv6 subnet in CIDR form, /64 to /120, e.g. fd00:0:0:1::/64: makes the network dual-stack. The first address is reserved for Docker.' })),
  mtu: Type.Optional(Type.Integer({ minimum: 576, maximum: 9000, description: 'MTU of the network\'s links in bytes, 576 to 9000 (default 1500; IPv6 needs 1280 or more).' })),
  description: Type.Optional(Type.String({ description: 'What the network stands for, shown in graphs.' })),
}, { additionalProperties: false, description: 'An internal network (a Linux bridge) joining nodes.' }));

export const ImpairmentSchema = def('impairment', Type.Object({
  delay: Type.Optional(ref(DurationSchema, { description: 'Added one-way delay, e.g. 50ms. Needs netem (sch_netem) in the kernel.' })),
  jitter: Type.Optional(ref(DurationSchema, { description: 'Random variation of the delay, e.g. 10ms. Needs a delay, and netem.' })),
  loss: Type.Optional(Type.String({ pattern: '^\\d+(\\.\\d+)?%$', 'x-hint': 'a percentage, like 30%', description: 'Share of packets dropped, e.g. 30%.' })),
  rate: Type.Optional(Type.String({ pattern: '^\\d+(\\.\\d+)?(bit|kbit|mbit|gbit)$', 'x-hint': 'a rate with its unit, like 512kbit, 1mbit or 1gbit', description: 'Rate limit, e.g. 1mbit (bits per second: bit, kbit, mbit, gbit).' })),
}, { additionalProperties: false, minProperties: 1, description: 'Impairments of what leaves the node through this interface: rate with tbf, delay and jitter with netem, loss with netem or iptables.' }));

export const InterfaceSchema = def('interface', Type.Object({
  ipv4: ref(Ipv4Schema, { description: 'The node\'s IPv4 address on the network.' }),
  ipv6: Type.Optional(ref(Ipv6Schema, { description: 'The node\'s IPv6 address on the network (the network needs a subnet6).' })),
  impair: Type.Optional(ref(ImpairmentSchema)),
}, { additionalProperties: false, description: 'A node\'s interface on one network.' }));

export const RouteSchema = def('route', Type.Object({
  to: Type.String({ pattern: '^([0-9.]+|[0-9a-fA-F:]+)/\\d{1,3}$', 'x-hint': 'a subnet in CIDR form, like 10.0.2.0/24 or fd00:0:0:2::/64', description: 'Destination subnet in CIDR form (IPv4 or IPv6).' }),
  via: Raw<string>({ type: 'string', anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }], 'x-hint': 'an IPv4 or IPv6 address', description: 'Next hop: an address on one of the node\'s networks.' }),
}, { additionalProperties: false, description: 'A static route.' }));

export const NodeSchema = def('node', Type.Object({
  interfaces: MapOf(Raw<string | Static<typeof InterfaceSchema>>({ anyOf: [{ $ref: '#/$defs/ipv4' }, { $ref: '#/$defs/interface' }], 'x-hint': 'an IPv4 address like 10.0.1.10, or a map with ipv4, ipv6 and impair' }), { description: 'Network name → the node\'s IPv4 address on it, or a map with ipv4, ipv6 and impair.', minProperties: 1 }),
  gateway: Type.Optional(ref(Ipv4Schema, { description: 'Default IPv4 gateway: an address on one of the node\'s networks (usually a router node\'s).' })),
  gateway6: Type.Optional(ref(Ipv6Schema, { description: 'Default IPv6 gateway: an address on one of the node\'s networks.' })),
  routes: Type.Optional(Type.Array(ref(RouteSchema), { description: 'Static routes, added when the lab comes up.' })),
  router: Type.Optional(Type.Boolean({ description: 'Forward packets between the node\'s networks (net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1).' })),
  sysctls: Type.Optional(MapOf(Raw<string | number>({ type: ['string', 'integer'] }), { description: 'Kernel settings of the node\'s network namespace, from a safe list.', propertyNames: { enum: ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv6.conf.all.disable_ipv6', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.icmp_echo_ignore_all', 'net.ipv4.icmp_echo_ignore_broadcasts', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.ip_default_ttl', 'net.ipv4.tcp_syncookies', 'net.ipv4.tcp_timestamps', 'net.ipv4.tcp_sack', 'net.ipv4.tcp_window_scaling', 'net.ipv4.tcp_ecn', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes', 'net.ipv4.tcp_max_syn_backlog', 'net.ipv4.tcp_syn_retries', 'net.ipv4.tcp_synack_retries', 'net.ipv4.tcp_retries2', 'net.ipv4.tcp_tw_reuse', 'net.core.somaxconn'], 'x-hint': 'a sysctl from toplab\'s safe list (see schema/lab.schema.json)' } })),
  capabilities: Type.Optional(Type.Array(Enum(['NET_ADMIN', 'NET_RAW', 'NET_BIND_SERVICE', 'NET_BROADCAST']), { uniqueItems: true, description: 'Extra Linux capabilities for the node (it has none by default). Only where the lab needs them.' })),
  description: Type.Optional(Type.String({ description: 'What the node stands for, shown in graphs.' })),
}, { additionalProperties: false, description: 'A node: one container with an interface on each of its networks.' }));
