#!/usr/bin/env bash
# shellcheck disable=SC2016 # code in single quotes is for node -e or a container's sh, which expand it
# Regenerates the packet captures (test/fixtures/pcap) and socket tables (test/fixtures/sockets) from real
# containers on an internal Docker network of our own. No traffic goes to any address but these containers.
#
#   scripts/capture-fixtures.sh [image]        image defaults to toplab/dev:0
#
# Needs: a Docker engine, the image (node, tcpdump, ss, netstat, ping, nc, iptables), node on the host (to
# write the JSON descriptions) and, optionally, editcap (Debian's wireshark-common) for the pcapng copy.
# Every container and network made here carries the label org.toplab.fixture=true and is removed on exit,
# whether the run succeeds or not.
#
# Ports, addresses and payloads are fixed so the captures are easy to read (client ports sit below the
# ephemeral range 32768-60999, where Docker's embedded DNS picks its own listening ports at random); sequence numbers, timestamps,
# pids and inodes change on every run, so test/unit/observe/{pcap,sockets}.test.ts must be updated after a re-run.
set -euo pipefail

IMAGE=${1:-toplab/dev:0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# Where the fixtures go (TOPLAB_FIXTURE_OUT to try a run without touching the committed ones). They are
# written to a scratch directory first and moved into place only when the whole run succeeded.
OUT=${TOPLAB_FIXTURE_OUT:-$ROOT/test/fixtures}

# An unusual subnet pair outside the pool labs take their subnets from (10.128.0.0/9, src/plan/plan.ts),
# so the run does not collide with lab networks on the same engine.
NET4=${TOPLAB_FIXTURE_NET4:-10.77.251}
NET6=${TOPLAB_FIXTURE_NET6:-fd00:7e57:77:}
SRV4=$NET4.10
CLI4=$NET4.20
SRV6=$NET6:10
CLI6=$NET6:20

# TOPLAB_FIXTURE_ONLY="name ..." makes only the named captures (not the socket tables) and puts only their
# files in place, leaving every other fixture as it is (a new capture needs no re-run of the others).
ONLY=${TOPLAB_FIXTURE_ONLY:-}
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

RUN=fx$$
LABELS=(--label org.toplab.fixture=true --label "org.toplab.fixture.run=$RUN")
NET=tl-$RUN
SRV=tl-$RUN-server
CLI=tl-$RUN-client
WORK=$(mktemp -d)
PCAP_DIR=$WORK/out/pcap
SOCK_DIR=$WORK/out/sockets

cleanup() {
  local rc=$?
  docker ps -aq --filter "label=org.toplab.fixture.run=$RUN" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=org.toplab.fixture.run=$RUN" | xargs -r docker network rm >/dev/null 2>&1 || true
  rm -rf "$WORK"
  if [ "$rc" -ne 0 ]; then echo "capture-fixtures: failed (exit $rc); containers and network removed" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "== $*" >&2; }

# Runs "$@" until it succeeds, at most $1 times, a tenth of a second apart.
retry() {
  local tries=$1; shift
  for _ in $(seq "$tries"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "capture-fixtures: gave up waiting for: $*" >&2
  return 1
}

# ---------------------------------------------------------------------------------------------------------
# The peers: small node programs with fixed ports, copied into both containers as /fx/peer.cjs.
cat >"$WORK/peer.cjs" <<'EOF'
'use strict';
const net = require('net');
const dgram = require('dgram');
const [cmd, ...args] = process.argv.slice(2);
const quiet = (s) => s.on('error', () => {});
const giveUp = (ms) => setTimeout(() => { console.error(`${cmd}: timed out`); process.exit(1); }, ms);
const endpoint = () => ({ host: args[0], port: Number(args[1]), localPort: Number(args[2]) });

switch (cmd) {
  case 'tcp-servers': {
    const echo = (s) => { quiet(s); s.pipe(s); };
    net.createServer(echo).listen({ port: 9000, host: '0.0.0.0' });
    net.createServer(echo).listen({ port: 9000, host: '::', ipv6Only: true });
    net.createServer(echo).listen({ port: 9100 }); // dual stack: IPv4 peers appear as ::ffff:a.b.c.d
    net.createServer((s) => { quiet(s); s.end('bye\n'); }).listen({ port: 9200, host: '0.0.0.0' }); // closes first
    net.createServer({ pauseOnConnect: true }, quiet).listen({ port: 9300, host: '0.0.0.0' }); // never reads
    net.createServer({ allowHalfOpen: true }, (s) => { quiet(s); s.resume(); }).listen({ port: 9400, host: '0.0.0.0' });
    net.createServer((s) => { quiet(s); s.once('data', (d) => s.write(d, () => s.resetAndDestroy())); })
      .listen({ port: 9600, host: '0.0.0.0' });
    break;
  }
  case 'udp-servers': {
    const echo = (sock) => sock.on('message', (m, r) => sock.send(m, r.port, r.address));
    const v4 = dgram.createSocket('udp4'); echo(v4); v4.bind(9002, '0.0.0.0');
    const v6 = dgram.createSocket({ type: 'udp6', ipv6Only: true }); echo(v6); v6.bind(9003, '::');
    break;
  }
  case 'unix-server':
    net.createServer((s) => { quiet(s); s.pipe(s); }).listen(args[0]);
    break;
  case 'unix-hold':
    quiet(net.connect(args[0]));
    setInterval(() => {}, 1 << 30);
    break;
  case 'tcp-echo': { // send a line, wait for it to come back, close first
    giveUp(5000);
    const msg = args[3];
    const s = net.connect(endpoint(), () => s.write(msg));
    let got = '';
    s.on('data', (d) => { got += d; if (got.length >= msg.length) s.end(); });
    s.on('close', () => process.exit(got === msg ? 0 : 1));
    break;
  }
  case 'tcp-refused': {
    giveUp(5000);
    const s = net.connect(endpoint(), () => { console.error('connected?'); process.exit(1); });
    s.on('error', (e) => process.exit(e.code === 'ECONNREFUSED' ? 0 : 1));
    break;
  }
  case 'tcp-reset': {
    giveUp(5000);
    const s = net.connect(endpoint(), () => s.write(args[3]));
    s.resume(); // a paused socket is never read, and would never notice the reset
    s.on('error', (e) => process.exit(e.code === 'ECONNRESET' ? 0 : 1));
    s.on('close', () => process.exit(0));
    break;
  }
  case 'tcp-hold': { // connect, optionally send bytes or half-close, and stay
    const s = net.connect(endpoint(), () => {
      if (args[3] === 'half-close') s.end();
      else if (args[3]) s.write(/^\d+$/.test(args[3]) ? 'x'.repeat(Number(args[3])) : args[3]);
    });
    s.on('error', (e) => console.error(`${cmd}: ${e.message}`));
    s.resume();
    setInterval(() => {}, 1 << 30);
    break;
  }
  case 'close-both-server': { // on each connection: send SIZE bytes and close at once, without waiting
    net.createServer((s) => { quiet(s); s.resume(); s.end('y'.repeat(Number(args[1]))); })
      .listen({ port: Number(args[0]), host: '0.0.0.0' });
    break;
  }
  case 'tcp-close-both': { // connect, send SIZE bytes and close at once; the server does the same
    giveUp(10000);
    const s = net.connect(endpoint(), () => s.end('x'.repeat(Number(args[3]))));
    quiet(s);
    s.resume();
    s.on('close', () => process.exit(0));
    break;
  }
  case 'tcp-bye': {
    giveUp(5000);
    const s = net.connect(endpoint());
    s.resume();
    s.on('close', () => process.exit(0));
    break;
  }
  case 'udp-send': { // family host port localPort size count: send, wait briefly for replies
    const [family, host, port, localPort, size, count] = args;
    const sock = dgram.createSocket(family === '6' ? 'udp6' : 'udp4');
    let replies = 0;
    sock.on('message', () => { if (++replies === Number(count)) process.exit(0); });
    sock.bind(Number(localPort), () => {
      for (let i = 1; i <= Number(count); i++) {
        const text = `datagram ${i}\n`;
        const body = Number(size) > text.length ? text + 'x'.repeat(Number(size) - text.length) : text;
        sock.send(body, Number(port), host);
      }
    });
    setTimeout(() => process.exit(0), 1500);
    break;
  }
  default:
    console.error(`peer.cjs: unknown command ${cmd}`);
    process.exit(2);
}
EOF

# ---------------------------------------------------------------------------------------------------------
log "network $NET ($NET4.0/24, $NET6:/64), internal"
docker network create --internal --ipv6 --subnet "$NET4.0/24" --subnet "$NET6:/64" "${LABELS[@]}" "$NET" >/dev/null

log "containers from $IMAGE"
# The server captures (NET_RAW, NET_ADMIN for tcpdump) and drops SYNs to one port (iptables, NET_ADMIN);
# the client drops one connection's pure ACKs (iptables, NET_ADMIN).
docker run -d --name "$SRV" --hostname server "${LABELS[@]}" --network "$NET" --ip "$SRV4" --ip6 "$SRV6" \
  --cap-add NET_RAW --cap-add NET_ADMIN "$IMAGE" sleep infinity >/dev/null
docker run -d --name "$CLI" --hostname client "${LABELS[@]}" --network "$NET" --ip "$CLI4" --ip6 "$CLI6" \
  --cap-add NET_RAW --cap-add NET_ADMIN "$IMAGE" sleep infinity >/dev/null
for c in "$SRV" "$CLI"; do
  docker exec "$c" mkdir -p /fx /cap
  docker cp -q "$WORK/peer.cjs" "$c:/fx/peer.cjs"
  # IPv6 addresses are usable once duplicate address detection is over.
  retry 50 docker exec "$c" sh -c '! ip -6 addr show dev eth0 | grep -q tentative'
done

srv() { docker exec "$SRV" "$@"; }
cli() { docker exec "$CLI" "$@"; }
peer_bg() { local c=$1; shift; docker exec -d "$c" node /fx/peer.cjs "$@"; }

peer_bg "$SRV" tcp-servers
peer_bg "$SRV" udp-servers
peer_bg "$SRV" unix-server /tmp/echo.sock
retry 50 srv sh -c 'ss -ltn | grep -q ":9600 " && ss -lun | grep -q ":9003 " && test -S /tmp/echo.sock'

# ---------------------------------------------------------------------------------------------------------
# Captures. Each runs tcpdump in the server container, writes /cap/NAME.pcap, and is stopped with SIGINT.
# --immediate-mode matters: without it libpcap hands packets over in blocks, and a capture stopped less than
# a second after a short exchange can end up empty.
start_capture() { # name iface filter [tcpdump options...]
  local name=$1 iface=$2 filter=$3; shift 3
  docker exec -d "$SRV" sh -c "echo \$\$ >/cap/$name.pid; exec tcpdump -i $iface -nn -U --immediate-mode $* -w /cap/$name.pcap '$filter' 2>/cap/$name.log"
  retry 50 srv grep -q 'listening on' "/cap/$name.log"
}
stop_capture() { # name description: copies NAME.pcap out and writes NAME.json beside it
  local name=$1 shows=$2
  sleep 0.3 # let the last segments arrive
  srv sh -c "kill -INT \$(cat /cap/$name.pid)"
  retry 50 srv sh -c "grep -q 'packets captured' /cap/$name.log"
  docker cp -q "$SRV:/cap/$name.pcap" "$PCAP_DIR/$name.pcap"
  local packets linktype
  packets=$(srv sed -n 's/^\([0-9]*\) packets\{0,1\} captured$/\1/p' "/cap/$name.log")
  linktype=$(srv sed -n 's/.*link-type \([A-Z0-9_]*\).*/\1/p' "/cap/$name.log")
  FX_NAME=$name FX_SHOWS=$shows FX_PACKETS=$packets FX_LINK=$linktype FX_CMD="$(cat "$WORK/$name.cmd")" \
    FX_SERVER="$SRV4 $SRV6" FX_CLIENT="$CLI4 $CLI6" node -e '
      const e = process.env;
      const d = { file: `${e.FX_NAME}.pcap`, shows: e.FX_SHOWS, packets: Number(e.FX_PACKETS),
        linkType: e.FX_LINK, capturedIn: `server (${e.FX_SERVER})`, client: e.FX_CLIENT, tcpdump: e.FX_CMD,
        madeBy: "scripts/capture-fixtures.sh" };
      process.stdout.write(JSON.stringify(d, null, 2) + "\n");' >"$PCAP_DIR/$name.json"
}
capture() { # name iface filter [tcpdump options...]: remembers the command line for the description
  local name=$1 iface=$2 filter=$3; shift 3
  echo "tcpdump -i $iface -nn -U --immediate-mode $* -w $name.pcap '$filter'" | sed 's/  */ /g' >"$WORK/$name.cmd"
  start_capture "$name" "$iface" "$filter" "$@"
}

mkdir -p "$PCAP_DIR" "$SOCK_DIR"

if [ -z "$ONLY" ]; then
log "tcp echo over IPv4 (eth0, any as SLL2, any as SLL)"
F="tcp port 9000 and host $CLI4"
capture tcp-echo-eth eth0 "$F"
capture tcp-echo-any-sll2 any "$F"
capture tcp-echo-any-sll any "$F" -y LINUX_SLL
cli node /fx/peer.cjs tcp-echo "$SRV4" 9000 20101 $'hello toplab\n'
stop_capture tcp-echo-eth "Client $CLI4:20101 connects to the echo server $SRV4:9000, sends 'hello toplab\\n' (13 bytes), gets it back, closes first (FIN), then the server closes (FIN). Captured on eth0 (Ethernet)."
stop_capture tcp-echo-any-sll2 "Same exchange as tcp-echo-eth, captured with -i any: tcpdump 4.99/libpcap 1.10 writes Linux cooked v2 (SLL2) by default."
stop_capture tcp-echo-any-sll "Same exchange as tcp-echo-eth, captured with -i any -y LINUX_SLL: Linux cooked v1."

log "connect to a closed port"
capture tcp-closed-port eth0 "tcp port 9001"
cli node /fx/peer.cjs tcp-refused "$SRV4" 9001 20102
stop_capture tcp-closed-port "Client $CLI4:20102 sends a SYN to $SRV4:9001 where nothing listens; the server's kernel answers RST+ACK."

log "server resets after echoing"
capture tcp-reset-after-data eth0 "tcp port 9600"
cli node /fx/peer.cjs tcp-reset "$SRV4" 9600 20103 $'reset me\n'
stop_capture tcp-reset-after-data "Client $CLI4:20103 connects to $SRV4:9600 and sends 'reset me\\n'; the server echoes it and then resets the connection (socket.resetAndDestroy(), RST+ACK) instead of closing with FIN."

log "udp both ways"
capture udp-echo eth0 "udp port 9002"
cli node /fx/peer.cjs udp-send 4 "$SRV4" 9002 20104 0 2
stop_capture udp-echo "Client $CLI4:20104 sends two UDP datagrams ('datagram 1\\n', 'datagram 2\\n', 11 bytes each) to $SRV4:9002; the server echoes each one back."

log "udp to a closed port"
capture udp-closed-port eth0 "host $CLI4 and (udp port 9005 or icmp)"
cli node /fx/peer.cjs udp-send 4 "$SRV4" 9005 20105 0 1
stop_capture udp-closed-port "Client $CLI4:20105 sends one UDP datagram ('datagram 1\\n') to $SRV4:9005 where nothing is bound; the server answers ICMP destination unreachable, port unreachable (type 3 code 3)."

log "icmp echo (nanosecond timestamps)"
capture icmp-echo-nano eth0 "icmp and host $CLI4" --time-stamp-precision=nano
cli ping -n -c 3 -s 100 -i 0.2 "$SRV4" >/dev/null
stop_capture icmp-echo-nano "ping -c 3 -s 100 from the client $CLI4 to $SRV4: three ICMP echo requests (100 data bytes) and three replies. Written with nanosecond timestamps (magic a1b23c4d)."

log "fragmented udp over IPv4"
capture ipv4-fragmented-udp eth0 "host $CLI4 and (udp or (ip[6:2] & 0x3fff != 0))"
cli node /fx/peer.cjs udp-send 4 "$SRV4" 9002 20106 3000 1
stop_capture ipv4-fragmented-udp "Client $CLI4:20106 sends one 3000-byte UDP datagram to the echo server $SRV4:9002 over a 1500-byte MTU: three IPv4 fragments (offsets 0, 1480, 2960); the echo comes back in three fragments too."

log "tcp over IPv6 (eth0, any)"
F="ip6 and tcp port 9000"
capture ipv6-tcp-echo-eth eth0 "$F"
capture ipv6-tcp-echo-any-sll2 any "$F"
cli node /fx/peer.cjs tcp-echo "$SRV6" 9000 20107 $'hello over ipv6\n'
stop_capture ipv6-tcp-echo-eth "IPv6: client [$CLI6]:20107 connects to the echo server [$SRV6]:9000, sends 'hello over ipv6\\n' (16 bytes), gets it back, closes first."
stop_capture ipv6-tcp-echo-any-sll2 "Same IPv6 exchange as ipv6-tcp-echo-eth, captured with -i any (SLL2)."

log "icmpv6 echo"
capture icmpv6-echo eth0 "icmp6 and (ip6[40] == 128 or ip6[40] == 129)"
cli ping -6 -n -c 2 -i 0.2 "$SRV6" >/dev/null
stop_capture icmpv6-echo "ping -6 -c 2 from [$CLI6] to [$SRV6]: two ICMPv6 echo requests (type 128, 56 data bytes) and two replies (129)."

log "fragmented udp over IPv6"
capture ipv6-fragmented-udp eth0 "ip6 and host $CLI6 and (udp or ip6[6] == 44)"
cli node /fx/peer.cjs udp-send 6 "$SRV6" 9003 20108 3000 1
stop_capture ipv6-fragmented-udp "IPv6: client [$CLI6]:20108 sends one 3000-byte UDP datagram to the echo server [$SRV6]:9003; the sender fragments it (IPv6 fragment header, next header 44): first fragment carries the UDP header; the echo comes back fragmented too."

log "handshake whose final ACK never arrives"
# In the client: drop this connection's pure ACKs (flags exactly ACK among SYN,ACK,FIN,RST,PSH). The SYN goes
# out, the SYN-ACK comes back, the client's kernel considers itself connected, but the third segment of the
# handshake is dropped before it leaves, so the server retransmits its SYN-ACK and stays in SYN-RECV.
cli iptables -A OUTPUT -p tcp --sport 20109 --dport 9000 --tcp-flags SYN,ACK,FIN,RST,PSH ACK -j DROP
capture tcp-missing-ack eth0 "tcp port 9000 and host $CLI4 and port 20109"
peer_bg "$CLI" tcp-hold "$SRV4" 9000 20109
sleep 3.5
stop_capture tcp-missing-ack "Client $CLI4:20109 connects to $SRV4:9000 and sends nothing, with iptables in the client dropping its outgoing pure ACKs on that connection: SYN, SYN-ACK, then only the server's SYN-ACK retransmissions (after about 1 s and 3 s); no final ACK ever crosses the wire. The connection is still held open when the socket tables are taken."

fi

if want tcp-simultaneous-close; then
  log "simultaneous close: both sides close at once, the FINs cross"
  # Both sides send 3000 bytes and close at once. A token bucket of 100 kbit/s on each side's eth0 holds each
  # FIN behind its data (beyond the bucket's first 1600 bytes) for about 130 ms, less than the 200 ms
  # retransmission timeout, so each FIN leaves before the other one arrives: neither FIN acknowledges the
  # other, both sides go FIN-WAIT-1 -> CLOSING -> TIME-WAIT.
  peer_bg "$SRV" close-both-server 9700 3000
  retry 50 srv sh -c 'ss -ltn | grep -q ":9700 "'
  for c in "$SRV" "$CLI"; do docker exec "$c" tc qdisc add dev eth0 root tbf rate 100kbit burst 1600 limit 30000; done
  capture tcp-simultaneous-close eth0 "tcp port 9700 and host $CLI4"
  cli node /fx/peer.cjs tcp-close-both "$SRV4" 9700 20110 3000
  sleep 0.5
  stop_capture tcp-simultaneous-close "Client $CLI4:20110 and the server $SRV4:9700 each send 3000 bytes and close at once; a 100 kbit/s token bucket (tc tbf) on both sides holds each FIN behind its data, so the two FINs cross on the wire and neither acknowledges the other: a simultaneous close (both sides FIN-WAIT-1, CLOSING, TIME-WAIT)."
  for c in "$SRV" "$CLI"; do docker exec "$c" tc qdisc del dev eth0 root; done
fi

if want tcp-port-reuse-time-wait; then
  log "two connections, one after the other, on the same four-tuple"
  # The client connects from the same fixed port twice to the server that closes first (9200): the server
  # holds the first connection in TIME-WAIT, and Linux lets a new SYN with a higher sequence number reopen it.
  capture tcp-port-reuse-time-wait eth0 "tcp port 9200 and host $CLI4"
  cli node /fx/peer.cjs tcp-bye "$SRV4" 9200 20111
  sleep 0.3
  cli node /fx/peer.cjs tcp-bye "$SRV4" 9200 20111
  stop_capture tcp-port-reuse-time-wait "Client $CLI4:20111 connects to $SRV4:9200 twice, one connection after the other on the same four-tuple; each time the server sends bye and closes first (it keeps the first connection in TIME-WAIT, which the second SYN, with a new initial sequence number, reopens). Two connections: two handshakes, two closes."
fi

if want tcp-retransmission; then
  log "a data segment lost once and retransmitted"
  # In the server, iptables drops the first data segment of this connection after tcpdump has seen it
  # (a packet socket sees a frame before the IP layer's INPUT chain): a quota of 100 bytes lets exactly one
  # 65-byte segment match. The client's kernel retransmits it when its timer (or a tail loss probe) fires.
  srv iptables -I INPUT -p tcp --sport 20112 --dport 9000 --tcp-flags PSH PSH -m quota --quota 100 -j DROP
  capture tcp-retransmission eth0 "tcp port 9000 and host $CLI4 and port 20112"
  cli node /fx/peer.cjs tcp-echo "$SRV4" 9000 20112 $'lost once\n'
  stop_capture tcp-retransmission "Client $CLI4:20112 connects to the echo server $SRV4:9000 and sends 'lost once\\n' (10 bytes); iptables in the server drops that first data segment after tcpdump saw it, so the client retransmits it; then the echo and the close (client FIN first)."
  srv iptables -D INPUT -p tcp --sport 20112 --dport 9000 --tcp-flags PSH PSH -m quota --quota 100 -j DROP
fi

if want tcp-zero-window; then
  log "a receiver that never reads: zero window, and the sender's probes"
  # The server on 9300 never reads. The client writes 16 MB; once both buffers are full the server advertises
  # a zero window and the client's kernel probes it, backing off. The capture starts only then, so it holds
  # the probes and their answers, not megabytes of data (and no handshake: it begins mid-connection).
  peer_bg "$CLI" tcp-hold "$SRV4" 9300 20113 16000000
  retry 100 srv sh -c 'ss -tn state established "( sport = :9300 )" | grep -q "20113"'
  sleep 1.5
  capture tcp-zero-window eth0 "tcp port 9300 and host $CLI4 and port 20113"
  sleep 2.5
  stop_capture tcp-zero-window "Client $CLI4:20113 has written 16 MB to $SRV4:9300, whose server never reads; the capture starts once the window is closed: the client's zero-window probes (one sequence number below what it has sent, backing off) and the server's answers advertising a window of 0. It begins mid-connection, with no handshake."
fi

if [ -z "$ONLY" ]; then
# ---------------------------------------------------------------------------------------------------------
log "socket tables"
# Server side, held open while the tables are taken:
#   20001 -> 9000 ESTABLISHED (IPv4 listener)          20002 -> 9100 ESTABLISHED (dual-stack: ::ffff:...)
#   20003 -> 9200 server closed first: TIME_WAIT        20004 -> 9300 3000 bytes unread: Recv-Q 3000
#   20005 -> 9400 client half-closed: CLOSE_WAIT        [v6]:20010 -> [v6]:9000 ESTABLISHED over IPv6
#   20109 -> 9000 SYN_RECV (final ACK dropped above)     20007 -> 9500 SYN dropped in the server: SYN_SENT
#   UDP 0.0.0.0:9002 and [::]:9003 bound (node); nc -u -l 9004 connected to the client's 20004 after its datagram
#   unix stream /tmp/echo.sock listening, one connection to it held
srv iptables -A INPUT -p tcp --dport 9500 -j DROP
peer_bg "$CLI" tcp-hold "$SRV4" 9000 20001 $'held\n'
peer_bg "$CLI" tcp-hold "$SRV4" 9100 20002 $'held\n'
cli node /fx/peer.cjs tcp-bye "$SRV4" 9200 20003
peer_bg "$CLI" tcp-hold "$SRV4" 9300 20004 3000
peer_bg "$CLI" tcp-hold "$SRV4" 9400 20005 half-close
peer_bg "$CLI" tcp-hold "$SRV6" 9000 20010 $'held\n'
peer_bg "$CLI" tcp-hold "$SRV4" 9500 20007
docker exec -d "$SRV" sh -c 'sleep 100000 | nc -u -l 9004'
retry 50 srv sh -c 'ss -lun | grep -q ":9004 "'
cli node /fx/peer.cjs udp-send 4 "$SRV4" 9004 20004 0 1
peer_bg "$SRV" unix-hold /tmp/echo.sock
# Every one of those must be in place before the tables are taken.
retry 50 srv sh -c 'ss -tan | grep -q "^ESTAB .*:20001 *$" && ss -tan | grep -q "^ESTAB .*:20002 *$" &&
  ss -tan | grep -q "^TIME-WAIT .*:20003 *$" && ss -tan | grep -q "^ESTAB *3000 .*:20004 *$" &&
  ss -tan | grep -q "^CLOSE-WAIT .*:20005 *$" && ss -tan | grep -q "^ESTAB .*:20010 *$" &&
  ss -tan | grep -q "^SYN-RECV .*:20109 *$" && ss -uan | grep -q "^ESTAB .*:20004 *$" &&
  test "$(ss -xan | grep -c "^u_str *ESTAB")" -eq 2'
retry 50 cli sh -c 'ss -tan | grep -q "^SYN-SENT .*:9500 *$" && ss -tan | grep -q "^FIN-WAIT-2 .*:9400 *$"'

take() { # container name command...
  local c=$1 name=$2; shift 2
  docker exec "$c" "$@" >"$SOCK_DIR/$name.txt"
}
take "$SRV" server-ss-tanp ss -tanp
take "$SRV" server-ss-tan ss -tan
take "$SRV" server-ss-an ss -an
take "$SRV" server-ss-uanp ss -uanp
take "$SRV" server-ss-xlp ss -xlp
take "$SRV" server-ss-xanp ss -xanp
take "$SRV" server-netstat-tanp netstat -tanp
take "$SRV" server-netstat-tanpW netstat -tanpW
take "$SRV" server-netstat-tan netstat -tan
take "$SRV" server-netstat-tlnp netstat -tlnp
take "$SRV" server-netstat-uanp netstat -uanp
take "$SRV" server-netstat-xlp netstat -xlp
take "$SRV" server-netstat-xanp netstat -xanp
take "$SRV" server-proc-net-tcp cat /proc/net/tcp
take "$SRV" server-proc-net-tcp6 cat /proc/net/tcp6
take "$SRV" server-proc-net-udp cat /proc/net/udp
take "$SRV" server-proc-net-udp6 cat /proc/net/udp6
take "$SRV" server-proc-net-unix cat /proc/net/unix
take "$SRV" server-ps ps -eo pid,comm,args
take "$CLI" client-ss-tanp ss -tanp
take "$CLI" client-netstat-tanp netstat -tanp
take "$CLI" client-ps ps -eo pid,comm,args

# ---------------------------------------------------------------------------------------------------------
if command -v editcap >/dev/null; then
  log "pcapng copy (editcap)"
  editcap -F pcapng "$PCAP_DIR/tcp-echo-eth.pcap" "$PCAP_DIR/tcp-echo-eth.pcapng"
else
  log "editcap not found: tcp-echo-eth.pcapng left out"
fi

fi

if [ -n "$ONLY" ]; then
  mkdir -p "$OUT/pcap"
  for name in $ONLY; do cp "$PCAP_DIR/$name.pcap" "$PCAP_DIR/$name.json" "$OUT/pcap/"; done
  log "done: $ONLY under $OUT/pcap"
  exit 0
fi

mkdir -p "$OUT"
rm -rf "$OUT/pcap" "$OUT/sockets"
mv "$PCAP_DIR" "$SOCK_DIR" "$OUT/"
log "done: $(find "$OUT/pcap" "$OUT/sockets" -type f | wc -l) files under $OUT"
