#!/bin/sh
# Starts tcpdump in a node's observer and waits until it listens (src/exercise/capture.ts, startCapture):
#   capture-start.sh BASE tcpdump [ARG...]
# tcpdump writes BASE.pcap, its messages to BASE.err and its pid to BASE.pid, cut off from this exec's
# streams so it outlives it. Prints `@@listening`, `@@dead` and tcpdump's messages, or `@@timeout` (10 s).
# A capture of the same name left running by an earlier run (an interrupted check) ends first: its files
# go, and only this run's tcpdump writes under the name.
base="$1"; shift
o=$(cat "$base.pid" 2>/dev/null) && [ "$(cat "/proc/$o/comm" 2>/dev/null)" = tcpdump ] && kill -KILL "$o" 2>/dev/null
rm -f "$base".*
"$@" </dev/null >/dev/null 2>"$base.err" &
p=$!; echo $p >"$base.pid"
# Counted rounds of 50 ms: it ends even where nothing else can be started.
i=0
while [ $i -lt 200 ]; do
  grep -q 'listening on' "$base.err" 2>/dev/null && { echo @@listening; exit 0; }
  kill -0 $p 2>/dev/null || { echo @@dead; cat "$base.err"; exit 0; }
  sleep 0.05; i=$((i + 1))
done
echo @@timeout
