#!/usr/bin/env bash
# Makes the captures of test/fixtures/pcap that tell runs and connections apart, from real containers on an
# internal Docker network of our own (the same way as scripts/capture-fixtures.sh, which makes the others):
#   tcp-port-reuse.pcap      two connections from one client port to one server port: the first closed with
#                            FIN both ways, the second (a new SYN, a new ISN) ended by the client's RST
#   udp-echo-extra-byte.pcap a UDP echo server that answers each datagram with one byte more (a newline)
# and two socket tables of the client (test/fixtures/sockets), one run apart:
#   client-before-run-proc-net-tcp.txt  /proc/net/tcp and tcp6 after a first connection (port 20203) closed
#                                       by the client: it waits in TIME_WAIT
#   client-after-run-ss.txt             the probe's `ss -tanp; ss -uanp; ss -xanp` a moment later, while a
#                                       second connection (port 20204) is held open
#
#   scripts/capture-fixtures-runs.sh [image]        image defaults to the lab image (node bin/lab.js image build)
#
# Everything made here carries the label org.toplab.fixture=true and is removed on exit, success or not.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${1:-$(cd "$ROOT" && node bin/lab.js image build | tail -n 1)}
OUT=${TOPLAB_FIXTURE_OUT:-$ROOT/test/fixtures}/pcap
NET4=${TOPLAB_FIXTURE_NET4:-10.77.252}
SRV4=$NET4.10
CLI4=$NET4.20
RUN=fxr$$
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
const dgram = require('dgram');
const [cmd, ...args] = process.argv.slice(2);
switch (cmd) {
  case 'servers': {
    // TCP echo that closes as soon as the client does; UDP echo with one byte more than it got.
    net.createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen({ port: 9000, host: '0.0.0.0' });
    const u = dgram.createSocket('udp4');
    u.on('message', (m, r) => u.send(Buffer.concat([m, Buffer.from('\n')]), r.port, r.address));
    u.bind(9002, '0.0.0.0');
    break;
  }
  case 'reuse': { // two connections from local port 20201: close the first with FIN, reset the second
    const once = (msg, reset, done) => {
      const s = net.connect({ host: args[0], port: 9000, localPort: 20201 }, () => s.write(msg));
      s.on('error', () => {});
      s.once('data', () => (reset ? s.resetAndDestroy() : s.end()));
      s.on('close', done);
    };
    // The server closes second, so the client's side of the first connection waits in TIME_WAIT: the
    // second connect() from the same port needs SO_REUSEADDR semantics; Node sets it on the socket it binds.
    once('first\n', false, () => setTimeout(() => once('second\n', true, () => process.exit(0)), 200));
    setTimeout(() => process.exit(1), 5000);
    break;
  }
  case 'once': { // connect from a port, send a line, close first (the client's side then waits in TIME_WAIT)
    const s = net.connect({ host: args[0], port: 9000, localPort: Number(args[1]) }, () => s.write('hello\n'));
    s.once('data', () => s.end());
    s.on('close', () => process.exit(0));
    setTimeout(() => process.exit(1), 5000);
    break;
  }
  case 'hold': {
    const s = net.connect({ host: args[0], port: 9000, localPort: Number(args[1]) });
    s.resume();
    setInterval(() => {}, 1 << 30);
    break;
  }
  case 'udp': {
    const s = dgram.createSocket('udp4');
    let n = 0;
    s.on('message', () => { if (++n === 3) process.exit(0); });
    s.bind(20202, () => { for (const m of ['one', 'two', 'three']) s.send(m, 9002, args[0]); });
    setTimeout(() => process.exit(0), 1500);
    break;
  }
}
EOF

docker network create --internal --subnet "$NET4.0/24" "${LABELS[@]}" "$NET" >/dev/null
docker run -d --name "$SRV" --hostname server "${LABELS[@]}" --network "$NET" --ip "$SRV4" --cap-add NET_RAW --cap-add NET_ADMIN "$IMAGE" sleep infinity >/dev/null
docker run -d --name "$CLI" --hostname client "${LABELS[@]}" --network "$NET" --ip "$CLI4" "$IMAGE" sleep infinity >/dev/null
for c in "$SRV" "$CLI"; do docker exec "$c" mkdir -p /fx /cap; docker cp -q "$WORK/peer.cjs" "$c:/fx/peer.cjs"; done
docker exec -d "$SRV" node /fx/peer.cjs servers
retry 50 docker exec "$SRV" sh -c 'ss -ltn | grep -q ":9000 " && ss -lun | grep -q ":9002 "'

capture() { # name filter command...
  local name=$1 filter=$2; shift 2
  docker exec -d "$SRV" sh -c "echo \$\$ >/cap/$name.pid; exec tcpdump -i eth0 -nn -U --immediate-mode -w /cap/$name.pcap '$filter' 2>/cap/$name.log"
  retry 50 docker exec "$SRV" grep -q 'listening on' "/cap/$name.log"
  docker exec "$CLI" "$@"
  sleep 0.3
  docker exec "$SRV" sh -c "kill -INT \$(cat /cap/$name.pid)"
  retry 50 docker exec "$SRV" grep -q 'packets captured' "/cap/$name.log"
  mkdir -p "$OUT"
  docker cp -q "$SRV:/cap/$name.pcap" "$OUT/$name.pcap"
}
capture tcp-port-reuse 'tcp port 9000' node /fx/peer.cjs reuse "$SRV4"
capture udp-echo-extra-byte 'udp port 9002' node /fx/peer.cjs udp "$SRV4"
SOCK=${TOPLAB_FIXTURE_OUT:-$ROOT/test/fixtures}/sockets
mkdir -p "$SOCK"
docker exec "$CLI" node /fx/peer.cjs once "$SRV4" 20203
docker exec "$CLI" sh -c 'cat /proc/net/tcp; echo @@; cat /proc/net/tcp6' >"$SOCK/client-before-run-proc-net-tcp.txt"
docker exec -d "$CLI" node /fx/peer.cjs hold "$SRV4" 20204
retry 50 docker exec "$CLI" sh -c 'ss -tn | grep -q ":20204 "'
docker exec "$CLI" sh -c 'ss -tanp; echo @@; ss -uanp; echo @@; ss -xanp' >"$SOCK/client-after-run-ss.txt"
echo "wrote $OUT/tcp-port-reuse.pcap, $OUT/udp-echo-extra-byte.pcap and two tables in $SOCK" >&2
