#!/bin/sh
# The wrapper every lab program and command runs in (src/exercise/programs.ts, launchThen):
#   run-wrapper.sh BASE MAX TOKEN FRESH COMMAND [ARG...]
# It starts COMMAND in its own session (so the whole group can be killed), gives it stdin from a file
# ($TOPLAB_STDIN), and passes stdout and stderr through a capper into files: at most MAX bytes of each are
# kept, `wc -c` counts the rest, and the process is never blocked or killed for printing too much. The
# capper copies the first 64 KiB byte by byte (so a line shows at once: readiness can wait for it), the rest
# of the kept part in 64 KiB blocks (a 1 GB flood passes in a few seconds). The exit code is written only
# once the outputs are complete, and atomically (a rename).
#
# Each run has a directory of its own, BASE/TOKEN: nothing a reader finds there can be an earlier run's, and
# an earlier run's wrapper, finishing late, cannot write into it. Unless FRESH is 1, a run first ends the
# earlier runs under BASE that still run (a program started again: the server of the previous `lab check`),
# and every process they started, found by the TOPLAB_RUN_BASE each run's processes inherit (a detached child
# of last check's server would still hold its port), and waits, at most 2 s, until they are gone (so their
# sockets are closed), then removes their directories.
base="$1"; max="$2"; tok="$3"; fresh="$4"; shift 4
d="$base/$tok"
# A process that still runs (a zombie has ended: its parent went before it could reap it).
alive() { s=$(cut -d")" -f2 "/proc/$1/stat" 2>/dev/null | cut -c2); [ -n "$s" ] && [ "$s" != Z ]; }
# Processes an earlier run of this name started, wherever they went: a child started in a session of its
# own (Node's `detached: true`, setsid, a daemon) leaves the run's session, but keeps its environment.
# One grep over every environment (NUL-separated entries), not two processes per process: a node under a fork
# bomb, or a host full of processes, would take seconds to walk.
marked() { grep -lzxF "TOPLAB_RUN_BASE=$base" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3; }
if [ "$fresh" != 1 ]; then
  for f in "$base"/*/pid; do [ -e "$f" ] && [ ! -e "${f%/pid}/exit" ] && k=$(cat "$f") && { kill -KILL "-$k" 2>/dev/null; kill -KILL "$k" 2>/dev/null; }; done
  # Remembered: a process that is exiting has lost its environment before its sockets are closed, so the
  # wait below asks after these, not only after what still shows the mark.
  killed=$(marked)
  for k in $killed; do kill -KILL "$k" 2>/dev/null; done
  # Counted rounds of 50 ms, not a clock: in a node whose process table is full not even `date` can start.
  i=0
  while [ $i -lt 40 ]; do
    left=0
    for f in "$base"/*/pid; do [ -e "$f" ] && [ ! -e "${f%/pid}/exit" ] && alive "$(cat "$f")" && left=1; done
    for k in $killed $(marked); do alive "$k" && left=1; done
    [ $left = 0 ] && break
    sleep 0.05; i=$((i + 1))
  done
fi
rm -rf "$base"; mkdir -p "$d" || exit 90
cd /home/student 2>/dev/null || cd /
printf "%s" "${TOPLAB_STDIN-}" >"$d/stdin"; unset TOPLAB_STDIN
mkfifo "$d/o" "$d/e" || exit 91
cap() { dd bs=1 count=65536 of="$1" 2>/dev/null; dd bs=65536 count=$(( (max - 65536) / 65536 )) iflag=fullblock of="$1" oflag=append conv=notrunc 2>/dev/null; wc -c >"$1.dropped"; }
cap "$d/stdout" <"$d/o" &
cap "$d/stderr" <"$d/e" &
date +%s%N >"$d/start"
TOPLAB_RUN_BASE="$base" setsid "$@" <"$d/stdin" >"$d/o" 2>"$d/e" &
p=$!; echo $p >"$d/pid"
wait $p; code=$?
date +%s%N >"$d/end"
# What the run left behind in its session goes with it; then the output files are complete.
kill -KILL "-$p" 2>/dev/null
wait
echo $code >"$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"
