/** One decoded frame of a capture. Fields a layer does not have are absent. */
export interface Packet {
  /** 0-based position in the capture file. */
  index: number;
  /** Seconds since the epoch, with fractional part. */
  time: number;
  /** Bytes on the wire (the pcap record's original length). */
  length: number;
  /** Linux cooked captures (-i any) record the interface index and direction; Ethernet records MACs. */
  link: {
    type: 'ethernet' | 'linux-sll' | 'linux-sll2' | 'raw';
    src?: string;
    dst?: string;
    ifindex?: number;
    direction?: 'in' | 'out' | 'other';
    /** EtherType of the payload (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP ...), after any VLAN tags. */
    etherType?: number;
    /** 802.1Q VLAN id of the outermost tag, if the frame carried one. */
    vlan?: number;
  };
  ip?: IpHeader;
  tcp?: TcpHeader;
  udp?: UdpHeader;
  icmp?: IcmpHeader;
  /** Bytes present in the capture for this frame (less than `length` when the snapshot length cut it). */
  capturedLength?: number;
  /** Why a layer could not be decoded (cut short by the snapshot length, bad header length ...); the layers
   *  before it are still filled in. */
  malformed?: string;
}

export interface IpHeader {
  version: 4 | 6;
  src: string;
  dst: string;
  /** TTL (IPv4) or hop limit (IPv6). */
  ttl: number;
  /** Transport protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 44 IPv6 fragment ...).
   *  For IPv6 this is the header that follows the extension headers, including a fragment header's next
   *  header, so every fragment of a UDP datagram says 17 in both IP versions. */
  protocol: number;
  /** Total length of the IP packet (header and payload). */
  totalLength: number;
  /** IPv4 only. */
  id?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in bytes (IPv4 header, or an IPv6 fragment header). */
  fragmentOffset?: number;
}

export interface TcpFlags {
  fin: boolean;
  syn: boolean;
  rst: boolean;
  psh: boolean;
  ack: boolean;
  urg: boolean;
  ece: boolean;
  cwr: boolean;
}

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** Absolute (not relative) sequence and acknowledgement numbers, unsigned 32-bit. */
  seq: number;
  ack: number;
  flags: TcpFlags;
  /** Raw window field (not scaled). */
  window: number;
  options: {
    mss?: number;
    windowScale?: number;
    sackPermitted?: boolean;
    timestamp?: { value: number; echo: number };
    /** SACK blocks: absolute left and right edges. */
    sack?: { left: number; right: number }[];
  };
  /** The data bytes captured (fewer than dataLength when the snapshot length cut the frame). */
  payload: Buffer;
  /** Data bytes the segment carried on the wire, from the IP header's lengths: what it adds to the sequence space. */
  dataLength: number;
}

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** UDP length field (header + payload). */
  length: number;
  payload: Buffer;
}

export interface IcmpHeader {
  /** 4 for ICMP, 6 for ICMPv6. */
  version: 4 | 6;
  type: number;
  code: number;
  /** Echo request/reply only. */
  id?: number;
  seq?: number;
  /** Bytes after the 8-byte ICMP header. */
  payloadLength: number;
  /** Error messages (unreachable, time exceeded ...): the start of the packet that caused it, as quoted. */
  original?: { src: string; dst: string; protocol: number; srcPort?: number; dstPort?: number };
}

export type SocketProto = 'tcp' | 'udp' | 'unix';

/** One row of a socket table, whichever tool printed it. */
export interface SocketEntry {
  proto: SocketProto;
  /** 4 or 6 for inet sockets. */
  family?: 4 | 6;
  /** Normalised upper-case state with underscores: LISTEN, ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1,
   *  FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, CLOSING, UNCONN (UDP/unix not connected), CONNECTED.
   *  A connected UDP socket is ESTABLISHED (as ss and netstat say); a unix socket is LISTEN, CONNECTED (ss says
   *  ESTAB, netstat CONNECTED) or UNCONN, whichever tool printed it. */
  state: string;
  recvQ: number;
  sendQ: number;
  /** Without brackets; IPv6 in RFC 5952 form, an IPv4-mapped address as plain IPv4 (family stays 6);
   *  wildcards 0.0.0.0 and ::. Unix sockets: the path, or "*" if unnamed. */
  localAddress: string;
  localPort?: number;
  peerAddress?: string;
  peerPort?: number;
  /** Unix sockets: the path, if bound to one. */
  path?: string;
  /** Unix sockets: stream or dgram. */
  unixType?: 'stream' | 'dgram' | 'seqpacket';
  /** Socket inode (ss for unix sockets, netstat -x, /proc/net/*): pairs the same socket across tools. */
  inode?: number;
  /** Unix sockets: inode of the connected peer socket (ss only). */
  peerInode?: number;
  pid?: number;
  program?: string;
}
