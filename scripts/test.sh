#!/usr/bin/env bash
# Install tunedeck with its test dependencies into .venv, run the gates (ruff, mypy,
# import-linter: configured in pyproject.toml), then the whole test suite. Any finding
# fails the run. Needs only Python 3.11+; installs tmux (for the end-to-end test) with
# apt-get if missing. `GATES=0 scripts/test.sh ...` runs the tests alone.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v tmux >/dev/null 2>&1; then
  echo "tmux is missing: installing it with apt-get" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq tmux >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
if [ "${GATES:-1}" != 0 ]; then
  echo "ruff:" >&2 && .venv/bin/ruff check .
  echo "mypy:" >&2 && .venv/bin/mypy
  echo "import-linter:" >&2 && .venv/bin/lint-imports
fi
exec .venv/bin/python -m pytest "$@"
