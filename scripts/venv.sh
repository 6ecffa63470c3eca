#!/usr/bin/env bash
# Create (once) the project virtualenv .venv with tests/requirements.txt installed.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.requirements-installed
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
if [ ! -f "$stamp" ] || [ tests/requirements.txt -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip >&2
  .venv/bin/pip install -q -r tests/requirements.txt >&2
  touch "$stamp"
fi
