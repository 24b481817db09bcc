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

phase "[2b/4] The report formats' own readers for the tests (xmllint for the JUnit XSD, prove for TAP)"
if ! command -v xmllint >/dev/null 2>&1 || ! command -v prove >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends libxml2-utils perl >/dev/null \
      || { echo "setup: apt-get install libxml2-utils perl failed" >&2; exit 1; }
  else
    echo "setup: the tests need xmllint and prove: install libxml2-utils and perl (as root: apt-get install libxml2-utils perl)" >&2
    exit 1
  fi
fi
echo "xmllint: $(command -v xmllint), prove: $(command -v prove)"

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
