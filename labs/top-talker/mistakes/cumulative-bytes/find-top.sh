# One reading of bytes_received: the client that has sent the most SINCE IT CONNECTED, and that counter
# taken for a rate. The burst client wins on totals, though it trickles now.
ss -tinH state established '( sport = :9000 )' |
  awk '/^[0-9]/ || /^ESTAB/ { peer = $4 } /bytes_received:/ { match($0, /bytes_received:[0-9]+/); n = substr($0, RSTART + 15, RLENGTH - 15) + 0; if (n > most) { most = n; who = peer } }
       END { sub(/:[0-9]+$/, "", who); printf "top: %s\nrate: %d B/s\n", who, most }'
