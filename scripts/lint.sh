#!/usr/bin/env bash
# `npm run lint`: the layer rules of src/ (dependency-cruiser, .dependency-cruiser.cjs; docs/architecture.md),
# typescript-eslint (eslint.config.js), Prettier's formatting (.prettierrc.json; `npm run format` applies it)
# and shellcheck on every shell script in the repository (committed or new, not ignored).
set -euo pipefail
cd "$(dirname "$0")/.."

npx --no-install depcruise src --config .dependency-cruiser.cjs --output-type err-long
npx --no-install eslint src web/src test
npx --no-install prettier --check --log-level warn src web/src test scripts '*.ts' '*.js' '*.cjs' || { echo "lint: run npm run format" >&2; exit 1; }

command -v shellcheck >/dev/null 2>&1 || { echo "lint: shellcheck is not installed (scripts/setup.sh installs it; or apt-get install shellcheck)" >&2; exit 1; }
files() { git ls-files --cached --others --exclude-standard -- "$@"; }
mapfile -t scripts < <(files '*.sh' ':!labs/**' ':!test/fixtures/**')
# Lab command files run as `sh FILE` in a node (src/exercise/run.ts): POSIX sh, without a shebang.
# SC1010: `ping -M do` passes the word "do" to ping; it is no loop keyword.
mapfile -t commands < <(files 'labs/**.sh' 'test/fixtures/**.sh')
shellcheck "${scripts[@]}"
shellcheck --shell=sh --exclude=SC1010 "${commands[@]}"
echo "lint: layers hold; eslint and prettier agree; shellcheck found nothing in ${#scripts[@]} scripts and ${#commands[@]} lab command files"
