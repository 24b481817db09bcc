#!/usr/bin/env bash
# One-time setup from a fresh clone (also what CI runs): a Docker engine, the npm packages and
# the build, then the lab image. Safe to run again; each step is quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

phase() { printf '\n==> %s\n' "$*"; }

phase "[1/6] Node.js"
command -v node >/dev/null 2>&1 || { echo "setup: Node.js 20 or newer is needed (node is not on PATH)" >&2; exit 1; }
# shellcheck disable=SC2016 # JavaScript for node -e: its ${...} is node's
node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error(`setup: Node.js 20 or newer is needed (this is ${process.version})`); process.exit(1); }'
echo "Node.js $(node --version), npm $(npm --version)"

phase "[2/6] Docker engine"
bash scripts/ensure-docker.sh

# The engine-pool tests (test/docker/engines) make TLS certificates and an ssh key for their test engines;
# the report tests read each format with its consumer's own reader (xmllint and the JUnit XSD, prove for TAP);
# the pcap decoder and the ladder are compared with tshark, the independent reference; the lint runs shellcheck.
missing_tools=()
command -v openssl >/dev/null 2>&1 || missing_tools+=(openssl)
command -v ssh-keygen >/dev/null 2>&1 || missing_tools+=(openssh-client)
command -v xmllint >/dev/null 2>&1 || missing_tools+=(libxml2-utils)
command -v prove >/dev/null 2>&1 || missing_tools+=(perl)
{ command -v tshark && command -v mergecap; } >/dev/null 2>&1 || missing_tools+=(tshark)
# `npm run lint` (part of `npm test`) checks every shell script with shellcheck.
command -v shellcheck >/dev/null 2>&1 || missing_tools+=(shellcheck)
if [ ${#missing_tools[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing_tools[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing_tools[@]}" >/dev/null; }
  else
    echo "setup: note: the tests need ${missing_tools[*]} (not installed)" >&2
  fi
fi

phase "[3/6] npm ci (installs the packages and builds toplab), and the lab command on PATH"
npm ci
# `lab` is a symlink to bin/lab.js: in /usr/local/bin as root, else ~/.local/bin (TOPLAB_BIN_DIR to choose).
# Run again, it points the link at this clone; a `lab` there that is not a symlink is left alone.
if [ -n "${TOPLAB_BIN_DIR:-}" ]; then bin_dir="$TOPLAB_BIN_DIR"; elif [ "$(id -u)" = 0 ]; then bin_dir=/usr/local/bin; else bin_dir="$HOME/.local/bin"; fi
mkdir -p "$bin_dir"
chmod +x bin/lab.js
if [ -e "$bin_dir/lab" ] && [ ! -L "$bin_dir/lab" ]; then
  echo "setup: $bin_dir/lab exists and is not a symlink; left as it is (run toplab with 'node bin/lab.js')" >&2
else
  # Another checkout's link is taken over, and said so: on a shared machine, `lab` is then this clone for everyone.
  was=$(readlink "$bin_dir/lab" 2>/dev/null || true)
  if [ -n "$was" ] && [ "$was" != "$PWD/bin/lab.js" ] && [ -e "$was" ]; then
    echo "setup: $bin_dir/lab pointed at another checkout ($was); it now points at this one (TOPLAB_BIN_DIR=<dir> puts the link elsewhere)" >&2
  fi
  ln -sfn "$PWD/bin/lab.js" "$bin_dir/lab"
  echo "lab -> $(readlink "$bin_dir/lab") (in $bin_dir)"
  case ":$PATH:" in *":$bin_dir:"*) ;; *) echo "setup: note: $bin_dir is not on PATH; add it to use 'lab'" >&2 ;; esac
fi

phase "[4/6] Lab image (the first build takes a minute or two)"
node bin/lab.js image build
# The image must now be there under toplab's label, whatever the command above printed.
if [ -z "$(docker image ls -q --filter label=org.toplab.managed=true toplab/lab)" ]; then
  echo "setup: no toplab/lab image after 'lab image build'; see the messages above" >&2
  exit 1
fi

phase "[5/6] Workshop server under Compose (docker-compose.yml)"
# Compose v1 from Debian where apt is available and Compose is missing (the tests start the server with it).
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker-compose >/dev/null || echo "setup: could not install docker-compose; docker-compose.yml needs Compose v1 or v2" >&2
  else
    echo "setup: no Docker Compose found; install docker-compose (v1) or the compose plugin (v2) to use docker-compose.yml" >&2
  fi
fi
# The server image is built FROM the lab image (its tag goes in .env) with this Node.js (staged in .compose/).
lab_tag="$(node bin/lab.js image build 2>/dev/null | tail -1)"
mkdir -p .compose
cp -f "$(readlink -f "$(command -v node)")" .compose/node
touch .env
grep -v '^TOPLAB_LAB_IMAGE=' .env > .env.tmp || true
printf 'TOPLAB_LAB_IMAGE=%s\n' "$lab_tag" >> .env.tmp
mv .env.tmp .env
echo "docker-compose.yml will build the server from $lab_tag"

phase "[6/6] Chromium for the browser tests (Debian's package; no browser is downloaded by a test tool)"
# The workshop pages are tested in a real Chromium (test/e2e); a CJK font lets it draw the Chinese pages.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk'; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
  else
    echo "setup: install Chromium (and a CJK font) with your package manager to run the browser tests" >&2
  fi
fi
if command -v chromium >/dev/null 2>&1; then chromium --version 2>/dev/null || true; fi

phase "Done: run 'npm test', or 'lab --help'"
