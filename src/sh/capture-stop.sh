#!/bin/sh
# Stops a capture started by capture-start.sh (src/exercise/capture.ts, stopCapture):
#   capture-stop.sh BASE
# SIGINT, so tcpdump writes its last packets and its counts; waits for it at most 5 s; prints the kernel's
# drop count, then the line `@@toplab-pcap@@` and the bytes of BASE.pcap (or `@@nofile`).
base="$1"
p=$(cat "$base.pid" 2>/dev/null); [ -n "$p" ] && kill -INT "$p" 2>/dev/null
i=0
while [ $i -lt 100 ]; do
  { [ -n "$p" ] && kill -0 "$p" 2>/dev/null; } || break
  sleep 0.05; i=$((i + 1))
done
grep -o '[0-9]* packets\{0,1\} dropped by kernel' "$base.err" 2>/dev/null | head -n 1
if [ -e "$base.pcap" ]; then echo @@toplab-pcap@@; cat "$base.pcap"; else echo @@nofile; fi
