#!/usr/bin/env bash
# Makes the fixtures of a server listening where the client's SYN cannot reach it, from real containers on an
# internal dual-stack Docker network of our own (the same way as scripts/capture-fixtures-runs.sh):
#   pcap/tcp-syn-to-loopback-listener.pcap  four SYNs from the client, each answered with RST: to the server's
#                                           IPv4 address port 9000 (it listens on 127.0.0.1:9000 only), to its
#                                           IPv6 address port 9001 (it listens on [::1]:9001 only), to its
#                                           IPv4 address port 9002 (nothing listens there; it listens on 9003)
#                                           and to its IPv6 address port 9004 (it listens on 0.0.0.0:9004 only)
#   sockets/server-loopback-listeners-ss.txt the sockets probe's `ss -tanp; ss -uanp; ss -xanp` on the server
#                                           meanwhile: LISTEN 127.0.0.1:9000, [::1]:9001, *:9003 and
#                                           0.0.0.0:9004 (node)
#
#   scripts/capture-fixtures-mistakes.sh [image]    image defaults to the lab image (node bin/lab.js image build)
#
# Everything made here carries the label org.toplab.fixture=true and is removed on exit, success or not.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${1:-$(cd "$ROOT" && node bin/lab.js image build | tail -n 1)}
OUT=${TOPLAB_FIXTURE_OUT:-$ROOT/test/fixtures}
NET4=10.77.253
NET6=fd00:7e57:79:
SRV4=$NET4.10
SRV6=${NET6}:10
CLI4=$NET4.20
CLI6=${NET6}:20
RUN=fxm$$
LABELS=(--label org.toplab.fixture=true --label "org.toplab.fixture.run=$RUN")
NET=tl-$RUN
SRV=tl-$RUN-server
CLI=tl-$RUN-client
WORK=$(mktemp -d)

cleanup() {
  local rc=$?
  docker ps -aq --filter "label=org.toplab.fixture.run=$RUN" | xargs -r docker rm -f >/dev/null 2>&1 || true
  docker network ls -q --filter "label=org.toplab.fixture.run=$RUN" | xargs -r docker network rm >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

retry() { local tries=$1; shift; for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "gave up: $*" >&2; return 1; }

cat >"$WORK/peer.cjs" <<'EOF'
'use strict';
const net = require('net');
const [cmd, ...args] = process.argv.slice(2);
switch (cmd) {
  case 'servers': // the mistakes: loopback only (IPv4 and IPv6), and the wrong port
    net.createServer((s) => s.pipe(s)).listen({ port: 9000, host: '127.0.0.1' });
    net.createServer((s) => s.pipe(s)).listen({ port: 9001, host: '::1' });
    net.createServer((s) => s.pipe(s)).listen({ port: 9003 });
    net.createServer((s) => s.pipe(s)).listen({ port: 9004, host: '0.0.0.0' });
    break;
  case 'connect': { // one connection attempt from a fixed port; it is refused
    const s = net.connect({ host: args[0], port: Number(args[1]), localPort: Number(args[2]) });
    s.on('error', () => process.exit(0));
    s.on('connect', () => process.exit(1));
    setTimeout(() => process.exit(1), 5000);
    break;
  }
}
EOF

docker network create --internal --ipv6 --subnet "$NET4.0/24" --subnet "${NET6}:/64" "${LABELS[@]}" "$NET" >/dev/null
docker run -d --name "$SRV" --hostname server "${LABELS[@]}" --network "$NET" --ip "$SRV4" --ip6 "$SRV6" --cap-add NET_RAW --cap-add NET_ADMIN "$IMAGE" sleep infinity >/dev/null
docker run -d --name "$CLI" --hostname client "${LABELS[@]}" --network "$NET" --ip "$CLI4" --ip6 "$CLI6" "$IMAGE" sleep infinity >/dev/null
for c in "$SRV" "$CLI"; do docker exec "$c" mkdir -p /fx /cap; docker cp -q "$WORK/peer.cjs" "$c:/fx/peer.cjs"; done
docker exec -d "$SRV" node /fx/peer.cjs servers
retry 50 docker exec "$SRV" sh -c 'ss -ltn | grep -q ":9000 " && ss -ltn | grep -q ":9001 " && ss -ltn | grep -q ":9003 " && ss -ltn | grep -q ":9004 "'

name=tcp-syn-to-loopback-listener
docker exec -d "$SRV" sh -c "echo \$\$ >/cap/$name.pid; exec tcpdump -i eth0 -nn -U --immediate-mode -w /cap/$name.pcap 'tcp portrange 9000-9004' 2>/cap/$name.log"
retry 50 docker exec "$SRV" grep -q 'listening on' "/cap/$name.log"
docker exec "$CLI" node /fx/peer.cjs connect "$SRV4" 9000 20301
docker exec "$CLI" node /fx/peer.cjs connect "$SRV6" 9001 20302
docker exec "$CLI" node /fx/peer.cjs connect "$SRV4" 9002 20303
docker exec "$CLI" node /fx/peer.cjs connect "$SRV6" 9004 20304
sleep 0.3
docker exec "$SRV" sh -c "kill -INT \$(cat /cap/$name.pid)"
retry 50 docker exec "$SRV" grep -q 'packets captured' "/cap/$name.log"
mkdir -p "$OUT/pcap" "$OUT/sockets"
docker cp -q "$SRV:/cap/$name.pcap" "$OUT/pcap/$name.pcap"
docker exec "$SRV" sh -c 'ss -tanp; echo @@; ss -uanp; echo @@; ss -xanp' >"$OUT/sockets/server-loopback-listeners-ss.txt"
echo "wrote $OUT/pcap/$name.pcap and $OUT/sockets/server-loopback-listeners-ss.txt" >&2
