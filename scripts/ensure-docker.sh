#!/usr/bin/env bash
# Makes sure a Docker engine answers, for toplab.
#
# - If `docker info` answers (honouring DOCKER_HOST), say which engine it is and stop.
# - Otherwise, on Debian as root: install docker.io (and debootstrap, which builds the lab image
#   without a registry) if missing, start dockerd in the background with its log in
#   /var/log/toplab-dockerd.log, and wait until it answers.
# - Otherwise say how to get an engine, and exit non-zero.
#
# Safe to run again: it never starts a second dockerd.
set -euo pipefail

LOG=/var/log/toplab-dockerd.log
WAIT_SECONDS=${TOPLAB_DOCKER_WAIT:-60}

say() { printf 'ensure-docker: %s\n' "$*"; }
fail() { printf 'ensure-docker: %s\n' "$*" >&2; exit 1; }

engine_answers() {
  command -v docker >/dev/null 2>&1 && docker info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

describe_engine() {
  local desc
  desc=$(docker info --format 'Docker Engine {{.ServerVersion}} on {{.OperatingSystem}} ({{.Architecture}}, storage {{.Driver}}, cgroups v{{.CgroupVersion}})' 2>/dev/null || true)
  say "engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}: ${desc:-unknown engine}"
}

dockerd_pid() {
  local pids
  pids=$(pidof dockerd 2>/dev/null || pgrep -x dockerd 2>/dev/null || true)
  [ -n "$pids" ] || return 1
  # shellcheck disable=SC2086 # one pid per word, on purpose
  printf '%s\n' $pids | head -n 1
}

is_root() { [ "$(id -u)" -eq 0 ]; }
is_debian() { [ -r /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; }

apt_install() {
  say "installing $* with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed: check this machine's access to its Debian mirror"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || fail "apt-get install $* failed"
}

# The offline lab image builder needs debootstrap; add it when we may.
ensure_debootstrap() {
  if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
    if is_root && is_debian; then
      apt_install debootstrap
    else
      say "note: debootstrap is not installed; without a registry the lab image can only be built offline, as root, with it (apt-get install debootstrap)"
    fi
  fi
}

how_to_get_an_engine() {
  cat >&2 <<'EOF'
ensure-docker: no Docker engine answers, and this script can only install and start one on Debian as root.
To get one:
  - Debian/Ubuntu as root:     apt-get install docker.io && dockerd >/var/log/dockerd.log 2>&1 &
                               (or, with systemd: systemctl start docker)
  - As a normal user:          ask for membership of the `docker` group (then log in again),
                               or run this script with sudo.
  - macOS/Windows:             install and start Docker Desktop.
  - A remote engine:           export DOCKER_HOST=tcp://HOST:2375 (or ssh://user@host).
Then run this script again.
EOF
  exit 1
}

if engine_answers; then
  describe_engine
  ensure_debootstrap
  exit 0
fi

# Nothing answers. A remote (non-default) DOCKER_HOST is not ours to start.
if [ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ] && [ "${DOCKER_HOST}" != "unix:///run/docker.sock" ]; then
  fail "DOCKER_HOST=${DOCKER_HOST} does not answer (docker info failed): start that engine, or unset DOCKER_HOST to use a local one"
fi

if ! is_root || ! is_debian; then
  how_to_get_an_engine
fi

# Install what is missing.
export PATH="$PATH:/usr/sbin:/sbin"
missing=()
if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  missing+=(docker.io)
fi
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi
command -v dockerd >/dev/null 2>&1 || fail "dockerd is still missing after installing docker.io"

# Start dockerd unless one is already running (it may just be slow to answer, or the
# package's own init script may have started it).
if running=$(dockerd_pid); then
  say "dockerd is already running (pid $running); waiting for it to answer"
else
  say "starting dockerd in the background (log: $LOG)"
  printf '\n--- dockerd started by toplab at %s ---\n' "$(date -Is)" >>"$LOG"
  setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
  disown || true
fi

waited=0
until engine_answers; do
  if ! dockerd_pid >/dev/null; then
    printf 'ensure-docker: dockerd stopped; the end of %s:\n' "$LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  if [ "$waited" -ge "$WAIT_SECONDS" ]; then
    printf 'ensure-docker: dockerd did not answer within %s s; the end of %s:\n' "$WAIT_SECONDS" "$LOG" >&2
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  if [ "$waited" -gt 0 ] && [ $((waited % 5)) -eq 0 ]; then
    say "waiting for dockerd to answer (${waited} s)"
  fi
  sleep 1
  waited=$((waited + 1))
done

describe_engine
