#!/usr/bin/env bash
# One-time setup from a fresh clone (also what CI runs): a Docker engine, the npm packages and
# the build, then the lab image. Safe to run again; each step is quick when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

phase() { printf '\n==> %s\n' "$*"; }

phase "[1/4] Node.js"
command -v node >/dev/null 2>&1 || { echo "setup: Node.js 20 or newer is needed (node is not on PATH)" >&2; exit 1; }
node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error(`setup: Node.js 20 or newer is needed (this is ${process.version})`); process.exit(1); }'
echo "Node.js $(node --version), npm $(npm --version)"

phase "[2/4] Docker engine"
bash scripts/ensure-docker.sh

# The engine-pool tests (test/docker/engines) make TLS certificates and an ssh key for their test engines.
missing_tools=()
command -v openssl >/dev/null 2>&1 || missing_tools+=(openssl)
command -v ssh-keygen >/dev/null 2>&1 || missing_tools+=(openssh-client)
if [ ${#missing_tools[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get install -y -qq --no-install-recommends "${missing_tools[@]}" >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing_tools[@]}" >/dev/null; }
  else
    echo "setup: note: the engine-pool tests need ${missing_tools[*]} (not installed)" >&2
  fi
fi

phase "[3/4] npm ci (installs the packages and builds toplab)"
npm ci

phase "[4/4] Lab image (the first build takes a minute or two)"
node bin/lab.js image build
# The image must now be there under toplab's label, whatever the command above printed.
if [ -z "$(docker image ls -q --filter label=org.toplab.managed=true toplab/lab)" ]; then
  echo "setup: no toplab/lab image after 'lab image build'; see the messages above" >&2
  exit 1
fi

phase "Done: run 'npm test', or 'node bin/lab.js --help'"
