# The right client, but its rate read as iftop prints it (Mb: megaBITS per second) and written as megaBYTES.
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
       END { sub(/:[0-9]+$/, "", who); printf "top: %s\nrate: %.2f MB/s\n", who, most / 2 * 8 / 1000000 }'
