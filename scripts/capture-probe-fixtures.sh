#!/usr/bin/env bash
# shellcheck disable=SC2016 # code in single quotes is for node -e or a container's sh, which expand it
# Regenerates the probe fixtures (test/fixtures/probes): real output of ip, ifconfig, lsof, ping and
# traceroute, and the ICMP captures of a traceroute, from containers of the lab image.
#
#   scripts/capture-probe-fixtures.sh [image]        image defaults to the newest toplab/lab
#
# Two set-ups, both labelled org.toplab.fixture=true and removed on exit whatever happens:
#  - two containers on an internal Docker network of our own (ip/ifconfig/lsof/ping as a lab node sees them);
#  - one container with no Docker network at all, in which network namespaces joined by veth pairs make a
#    client - router1 - router2 - server path (traceroute, time-exceeded). Routing between namespaces inside
#    one container needs no host firewall change. The container gets NET_ADMIN and SYS_ADMIN (for ip netns) and a writable /proc/sys (to let the routers forward).
# No traffic leaves these containers.
set -euo pipefail

IMAGE=${1:-$(docker images --format '{{.Repository}}:{{.Tag}}' toplab/lab | head -1)}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/test/fixtures/probes
RUN=pf$$
LABELS=(--label org.toplab.fixture=true --label "org.toplab.fixture.run=$RUN")
NET=tl-$RUN
mkdir -p "$OUT"

cleanup() {
  local rc=$?
  docker ps -aq --filter "label=org.toplab.fixture.run=$RUN" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=org.toplab.fixture.run=$RUN" | xargs -r docker network rm >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ]; then echo "capture-probe-fixtures: failed (exit $rc); containers and network removed" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "== $*" >&2; }

# --- 1. Two lab-image containers on an internal network ---------------------------------------------------
log "internal network $NET with a server and a client ($IMAGE)"
docker network create --internal "${LABELS[@]}" --subnet 10.77.250.0/24 \
  -o com.docker.network.bridge.inhibit_ipv4=true -o com.docker.network.bridge.name="$NET" "$NET" >/dev/null
docker run -d "${LABELS[@]}" --name "$NET-server" --hostname server --network "$NET" --ip 10.77.250.10 \
  --cap-add NET_ADMIN --cap-add SYS_PTRACE "$IMAGE" sleep infinity >/dev/null
docker run -d "${LABELS[@]}" --name "$NET-client" --hostname client --network "$NET" --ip 10.77.250.20 \
  --cap-add NET_ADMIN "$IMAGE" sleep infinity >/dev/null
S() { docker exec "$NET-server" sh -c "$1"; }
C() { docker exec "$NET-client" sh -c "$1"; }

# A small MTU on the client, and a holder of TCP 9000 and UDP 7000 on the server.
C 'ip link set eth0 mtu 1400'
docker exec -d "$NET-server" sh -c 'exec nc -l -k -p 9000'
docker exec -d -u 1000 "$NET-server" node -e 'require("dgram").createSocket("udp4").bind(7000); require("net").createServer(() => {}).listen(9001)'
for _ in $(seq 50); do S 'ss -tln | grep -q ":9001 "' && break; sleep 0.1; done
C 'exec nc -w 30 server 9000' </dev/null >/dev/null 2>&1 &
for _ in $(seq 50); do S 'ss -tn | grep -q ESTAB' && break; sleep 0.1; done

C 'ip addr' >"$OUT/client-ip-addr.txt"
C 'ip -d addr' >"$OUT/client-ip-d-addr.txt"
C 'ip link' >"$OUT/client-ip-link.txt"
C 'ifconfig' >"$OUT/client-ifconfig.txt"
C 'ifconfig -a' >"$OUT/client-ifconfig-a.txt"
C 'ip route' >"$OUT/client-ip-route.txt"
C 'netstat -rn' >"$OUT/client-netstat-rn.txt"
S 'ip addr' >"$OUT/server-ip-addr.txt"
S 'lsof -nP -i' >"$OUT/server-lsof-i.txt"
S 'lsof -nP -i :9000' >"$OUT/server-lsof-i-9000.txt"
S 'lsof -nP -i TCP:9001 -s TCP:LISTEN' >"$OUT/server-lsof-i-9001-listen.txt"
S 'lsof -nP -iUDP:7000' >"$OUT/server-lsof-udp-7000.txt"
S 'lsof -nP -i :9999' >"$OUT/server-lsof-i-none.txt" || true
S 'lsof -nP -F pcnPtT -i :9000' >"$OUT/server-lsof-F-9000.txt"
C 'ping -c 3 server' >"$OUT/client-ping-3.txt"
C 'ping -c 4 -s 200 10.77.250.10' >"$OUT/client-ping-4-s200.txt"
C 'ping -c 2 -W 1 10.77.250.99' >"$OUT/client-ping-unreachable.txt" 2>&1 || true
C 'ping -c 3 -s 1600 -M do 10.77.250.10' >"$OUT/client-ping-emsgsize.txt" 2>&1 || true
C 'traceroute -n server' >"$OUT/client-traceroute-1hop.txt" 2>&1

# Errors as Node programs really print them (uncaught, as students often leave them) and as C tools do.
E() { docker exec -u 1000 "$NET-$1" node -e "$2" >"$OUT/$3" 2>&1 || true; }
E client 'require("net").connect(9002, "server")' errno-econnrefused-uncaught.txt
E client 'require("net").connect(9002, "server").on("error", (e) => { console.error(`connect failed: ${e.message}`); process.exit(1); })' errno-econnrefused-handled.txt
E client 'require("net").connect("/tmp/missing.sock").on("error", (e) => { console.error(e.message); process.exit(1); })' errno-enoent.txt
E server 'require("net").createServer().listen("/root/echo.sock")' errno-eacces-uncaught.txt
E server 'require("net").createServer().listen(9001).on("error", (e) => { console.error(`cannot listen on port 9001: ${e.code}`); process.exit(2); })' errno-eaddrinuse-handled.txt
E server 'require("net").createServer().listen(9001)' errno-eaddrinuse-uncaught.txt
E client 'const s = require("dgram").createSocket("udp4"); s.send(Buffer.alloc(70000), 7000, "10.77.250.10", (e) => { console.error(e ? e.message : "sent"); process.exit(e ? 1 : 0); })' errno-emsgsize.txt
C 'nc -z -v -w 1 server 9002' >"$OUT/errno-nc-refused.txt" 2>&1 || true

# --- 2. client - router1 - router2 - server in network namespaces of one container -------------------------
log "routed path in network namespaces"
docker run -d "${LABELS[@]}" --name "$NET-path" --network none --cap-add NET_ADMIN --cap-add SYS_ADMIN --security-opt systempaths=unconfined "$IMAGE" sleep infinity >/dev/null
P() { docker exec "$NET-path" sh -c "$1"; }
P '
set -e
for n in c r1 r2 s; do ip netns add $n; ip -n $n link set lo up; done
link() { ip link add $1 netns $2 type veth peer name $3 netns $4; ip -n $2 link set $1 up; ip -n $4 link set $3 up; }
link c-r1 c r1-c r1
link r1-r2 r1 r2-r1 r2
link r2-s r2 s-r2 s
ip -n c  addr add 10.77.1.20/24 dev c-r1;  ip -n c  addr add fd00:77:1::20/64 dev c-r1 nodad
ip -n r1 addr add 10.77.1.2/24 dev r1-c;   ip -n r1 addr add fd00:77:1::2/64 dev r1-c nodad
ip -n r1 addr add 10.77.2.2/24 dev r1-r2;  ip -n r1 addr add fd00:77:2::2/64 dev r1-r2 nodad
ip -n r2 addr add 10.77.2.3/24 dev r2-r1;  ip -n r2 addr add fd00:77:2::3/64 dev r2-r1 nodad
ip -n r2 addr add 10.77.3.3/24 dev r2-s;   ip -n r2 addr add fd00:77:3::3/64 dev r2-s nodad
ip -n s  addr add 10.77.3.10/24 dev s-r2;  ip -n s  addr add fd00:77:3::10/64 dev s-r2 nodad
ip -n r2 link set r2-s mtu 1400; ip -n s link set s-r2 mtu 1400
for r in r1 r2; do ip netns exec $r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1; done
ip -n c route add default via 10.77.1.2;  ip -n c -6 route add default via fd00:77:1::2
ip -n r1 route add 10.77.3.0/24 via 10.77.2.3; ip -n r1 -6 route add fd00:77:3::/64 via fd00:77:2::3
ip -n r2 route add 10.77.1.0/24 via 10.77.2.2; ip -n r2 -6 route add fd00:77:1::/64 via fd00:77:2::2
ip -n s route add default via 10.77.3.3;  ip -n s -6 route add default via fd00:77:3::3
'
P 'ip netns exec c ping -c 1 -W 2 10.77.3.10 >/dev/null'
P 'ip netns exec c ping -6 -c 1 -W 2 fd00:77:3::10 >/dev/null'
P 'ip netns exec c tcpdump -i c-r1 -nn -U -w /tmp/trace.pcap icmp 2>/tmp/td.err & echo $! >/tmp/td.pid'
for _ in $(seq 50); do P 'grep -q "listening on" /tmp/td.err' && break; sleep 0.1; done
P 'ip netns exec c traceroute -n 10.77.3.10' >"$OUT/traceroute-3hops.txt"
P 'ip netns exec c traceroute -n -q 1 -w 1 10.77.3.10' >"$OUT/traceroute-3hops-q1.txt"
P 'ip netns exec c traceroute -n -N 1 -q 1 -w 2 10.77.3.10' >"$OUT/traceroute-3hops-sequential.txt"
P 'ip netns exec c traceroute -I -n 10.77.3.10' >"$OUT/traceroute-3hops-icmp.txt"
P 'ip netns exec c traceroute 10.77.3.10' >"$OUT/traceroute-3hops-names.txt"
P 'ip netns exec c traceroute -n -q 1 -w 1 -m 4 10.77.9.9' >"$OUT/traceroute-unreachable.txt" 2>&1 || true
P 'ip netns exec c traceroute -6 -n fd00:77:3::10' >"$OUT/traceroute6-3hops.txt"
P 'ip netns exec c ping -c 3 -s 100 10.77.3.10' >"$OUT/ping-routed.txt"
P 'ip netns exec c ping -6 -c 3 fd00:77:3::10' >"$OUT/ping6-routed.txt"
P 'kill -INT $(cat /tmp/td.pid)'
for _ in $(seq 50); do P 'kill -0 $(cat /tmp/td.pid) 2>/dev/null' || break; sleep 0.1; done
docker exec "$NET-path" cat /tmp/trace.pcap >"$OUT/traceroute-3hops-icmp.pcap"
P 'ip -n r2 addr' >"$OUT/router-ip-addr.txt"
P 'ip netns exec r2 ifconfig' >"$OUT/router-ifconfig.txt"
P 'ip -n r1 route' >"$OUT/router-ip-route.txt"
P 'ip -n r1 -6 route' >"$OUT/router-ip-6-route.txt"
P 'ip -n c -d addr' >"$OUT/client-ns-ip-d-addr.txt"

# shellcheck disable=SC2012 # the names are ours; ls only counts them
log "wrote $(ls "$OUT" | wc -l) files to $OUT"
