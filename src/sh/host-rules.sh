#!/bin/sh
# toplab's rules in the engine host's packet filter (src/runtime/docker/host-rules.ts), run in a helper
# container on the host's network namespace:
#   host-rules.sh add RULE...     adds each rule unless it is there (idempotent)
#   host-rules.sh remove RULE...  takes every copy of each rule away (give them in reverse order)
#   host-rules.sh list            prints the toplab rules now in the filter (iptables -S lines)
# A RULE is one word list: `TABLE CHAIN POSITION ONTOP SPEC...`, TABLE `ip` or `ip6`, POSITION a number or
# `-` (append), ONTOP `top` for a rule that must stay the chain's first (Docker inserts its own above it) or
# `-`. The SPEC words carry no spaces or glob characters: hostRules() makes them.
# The chain TOPLAB-ISOLATION is created by `add` when a rule names it and deleted by `remove`.
set -f
COMMENT=toplab
CHAIN6=TOPLAB-ISOLATION
mode="$1"; shift

# Docker's chains live in one flavour of iptables (nft or legacy): use that one.
if iptables-nft -w -S DOCKER-USER >/dev/null 2>&1; then V=nft
elif iptables-legacy -w -S DOCKER-USER >/dev/null 2>&1; then V=legacy
elif [ "$mode" = add ]; then echo "no DOCKER-USER chain: is Docker managing iptables on this host?" >&2; exit 3
else V=legacy
fi
ipt() { if [ "$1" = ip ]; then shift; "iptables-$V" -w "$@"; else shift; "ip6tables-$V" -w "$@"; fi; }

add() {
  table=$1; chain=$2; pos=$3; top=$4; shift 4
  if [ "$chain" = "$CHAIN6" ]; then ipt "$table" -S "$CHAIN6" >/dev/null 2>&1 || ipt "$table" -N "$CHAIN6"; fi
  if [ "$top" = top ]; then
    # On top unless it is there already, then any copy further down deleted (highest number first).
    ipt "$table" -S "$chain" | sed -n 2p | grep -q -e "--comment \"\\?$COMMENT\"\\? " || ipt "$table" -I "$chain" 1 "$@"
    for n in $(ipt "$table" -L "$chain" -n --line-numbers | awk -v c="/* $COMMENT */" '$1 ~ /^[0-9]+$/ && $1 != 1 && index($0, c) {print $1}' | sort -rn); do
      ipt "$table" -D "$chain" "$n"
    done
  elif [ "$pos" = - ]; then
    ipt "$table" -C "$chain" "$@" 2>/dev/null || ipt "$table" -A "$chain" "$@"
  else
    ipt "$table" -C "$chain" "$@" 2>/dev/null || ipt "$table" -I "$chain" "$pos" "$@"
  fi
}

remove() {
  table=$1; chain=$2; shift 4
  while ipt "$table" -D "$chain" "$@" 2>/dev/null; do :; done
}

case "$mode" in
  add)
    set -e
    # shellcheck disable=SC2086 # each RULE is split into its words on purpose (set -f: no globbing)
    for rule in "$@"; do add $rule; done
    ;;
  remove)
    removed6=
    # shellcheck disable=SC2086 # as above
    for rule in "$@"; do remove $rule; case "$rule" in ip6\ *) removed6=1 ;; esac; done
    if [ -n "$removed6" ]; then ipt ip6 -X "$CHAIN6" 2>/dev/null || true; fi
    ;;
  list)
    { ipt ip -S; ipt ip6 -S; } 2>/dev/null | grep -e "\"$COMMENT\"" -e "$COMMENT " || true
    exit 0
    ;;
  *)
    echo "host-rules.sh: unknown mode '$mode' (add, remove or list)" >&2; exit 2
    ;;
esac
echo ok
