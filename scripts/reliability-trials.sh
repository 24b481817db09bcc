#!/bin/bash
# Signal trials at random points (docs/reliability.md): `lab up` and `lab grade` of tcp-handshake, each sent
# SIGINT, SIGTERM or SIGHUP (a third of them twice, 0.2 s apart) at a random time; prints per trial the exit
# code and how many containers, networks and creation locks of its instance were left, then removes them.
# Usage: bash scripts/reliability-trials.sh [toplab folder] [label]   (N=8 trials of each command by default)
set -u
DIR=${1:-.}; L=${2:-trial}
cd "$DIR" || exit 1
left() {
  echo $(( $(docker ps -aq --filter "label=org.toplab.instance=$1" | wc -l) + $(docker network ls -q --filter "label=org.toplab.instance=$1" | wc -l) + $(docker ps -aq --filter "name=tl-lock.tcp-handshake.$1" | wc -l) ))
}
for i in $(seq 1 "${N:-8}"); do
  for cmd in up grade; do
    I=trial-$L-$RANDOM$i
    sigs=(INT TERM HUP INT); sig=${sigs[$((RANDOM % 4))]}; twice=$((RANDOM % 3 == 0))
    if [ "$cmd" = up ]; then
      d=$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.3+r/32767*2.2}')
      node bin/lab.js up tcp-handshake --instance "$I" >/dev/null 2>&1 & P=$!
    else
      d=$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.5+r/32767*5.5}')
      node bin/lab.js grade tcp-handshake --submission labs/tcp-handshake --instance "$I" --results "/tmp/trial-res-$L" >/dev/null 2>&1 & P=$!
    fi
    sleep "$d"; kill -"$sig" $P 2>/dev/null
    [ "$twice" = 1 ] && { sleep 0.2; kill -"$sig" $P 2>/dev/null; }
    wait $P; code=$?
    sleep 0.5
    echo "$L $cmd sig=$sig twice=$twice at=${d}s exit=$code left=$(left "$I")"
    node bin/lab.js down tcp-handshake --instance "$I" >/dev/null 2>&1
    docker rm -f "tl-lock.tcp-handshake.$I" >/dev/null 2>&1
  done
done
rm -rf "/tmp/trial-res-$L"
