# Runs on the server (as root) while the clients send. Two readings of every connection's bytes_received
# (ss -ti: the kernel's tcp_info), two seconds apart: the difference over the time is each client's rate now.
reading() {
  ss -tinH state established '( sport = :9000 )' |
    awk '/^[0-9]/ || /^ESTAB/ { peer = $4 } /bytes_received:/ { match($0, /bytes_received:[0-9]+/); print peer, substr($0, RSTART + 15, RLENGTH - 15) }'
}
a=$(reading)
sleep 2
b=$(reading)
{ echo "$a" | sed 's/^/A /'; echo "$b" | sed 's/^/B /'; } |
  awk '$1 == "A" { was[$2] = $3 }
       $1 == "B" { d = $3 - was[$2]; if (d > most) { most = d; who = $2 } }
       END { sub(/:[0-9]+$/, "", who); printf "top: %s\nrate: %d B/s\n", who, most / 2 }'
