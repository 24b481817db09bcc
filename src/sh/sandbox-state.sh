#!/bin/sh
# What the kernel counted against a node's limits (src/exercise/sandbox.ts parses it):
#   sandbox-state.sh TMPFS_PATH...
# prints `oom_kill N`, `pids_refused N`, `pids_max N` and a `df ...` line per writable place.
# cgroup v1, then v2 (the names differ; the counters mean the same).
grep -h "^oom_kill " /sys/fs/cgroup/memory/memory.oom_control /sys/fs/cgroup/memory.events 2>/dev/null | head -1
for f in /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events; do [ -r "$f" ] && { sed "s/^max /pids_refused /" "$f"; break; }; done
for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -r "$f" ] && { echo "pids_max $(cat "$f")"; break; }; done
df -kP "$@" 2>/dev/null | sed 1d | sed 's/^/df /'
