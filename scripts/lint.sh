#!/usr/bin/env bash
# `npm run lint`: the layer rules of src/ (dependency-cruiser, .dependency-cruiser.cjs; docs/architecture.md)
# and shellcheck on every shell script in the repository (committed or new, not ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

npx --no-install depcruise src --config .dependency-cruiser.cjs --output-type err-long

command -v shellcheck >/dev/null 2>&1 || { echo "lint: shellcheck is not installed (scripts/setup.sh installs it; or apt-get install shellcheck)" >&2; exit 1; }
files() { git ls-files --cached --others --exclude-standard -- "$@"; }
mapfile -t scripts < <(files '*.sh' ':!labs/**' ':!test/fixtures/**')
# Lab command files run as `sh FILE` in a node (src/exercise/run.ts): POSIX sh, without a shebang.
# SC1010: `ping -M do` passes the word "do" to ping; it is no loop keyword.
mapfile -t commands < <(files 'labs/**.sh' 'test/fixtures/**.sh')
shellcheck "${scripts[@]}"
shellcheck --shell=sh --exclude=SC1010 "${commands[@]}"
echo "lint: layers hold; shellcheck found nothing in ${#scripts[@]} scripts and ${#commands[@]} lab command files"
