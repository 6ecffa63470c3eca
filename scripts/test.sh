#!/usr/bin/env bash
# `make test`: install what is missing, start a throwaway MongoDB-wire server (unless
# MONGODB_URI/MONGO_URI points at one), run the Rust tests, the contract suite against the
# Rust example, the Python and Node suites, then the differential test of the three servers
# and their docs pages in headless Chromium; stop the server; fail on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/venv.sh
external=${MONGODB_URI:-${MONGO_URI:-}}
if [ -z "$external" ]; then
  scripts/mongo.sh install
  dir=$(mktemp -d)
  MONGODB_URI=$(scripts/mongo.sh start "$dir")
  trap 'scripts/mongo.sh stop "$dir"; rm -rf "$dir"' EXIT
else
  MONGODB_URI=$external
fi
# Two more servers, as the other clusters of the multi-cluster tests (MONGODB_URI_2 and
# MONGODB_URI_3 may point at servers of one's own).
if [ -z "${MONGODB_URI_2:-}" ] || [ -z "${MONGODB_URI_3:-}" ]; then
  scripts/mongo.sh install
  clusters=$(mktemp -d)
  MONGODB_URI_2=$(scripts/mongo.sh start "$clusters/2")
  MONGODB_URI_3=$(scripts/mongo.sh start "$clusters/3")
  trap 'scripts/mongo.sh stop "$clusters/2"; scripts/mongo.sh stop "$clusters/3"; rm -rf "$clusters"; [ -z "${dir:-}" ] || { scripts/mongo.sh stop "$dir"; rm -rf "$dir"; }' EXIT
fi
export MONGODB_URI MONGO_URI=$MONGODB_URI MONGODB_URI_2 MONGODB_URI_3
echo "== MongoDB-wire servers: $MONGODB_URI, $MONGODB_URI_2, $MONGODB_URI_3"

echo "== Rust: cargo test"
cargo test --workspace

# Every suite must be there: a missing or non-executable one fails the run, never skips.
for required in tests/contract/test_contract.py tests/differential/test_differential.py \
  tests/differential/test_docs_page.py tests/notes/test_notes.py scripts/test-python.sh scripts/test-node.sh \
  scripts/test-packages.sh; do
  [ -e "$required" ] || { echo "missing: $required" >&2; exit 1; }
done
for script in scripts/test-python.sh scripts/test-node.sh scripts/test-packages.sh; do
  [ -x "$script" ] || { echo "not executable: $script" >&2; exit 1; }
done

echo "== HTTP contract: Rust example"
cargo build -p tenantry-http
.venv/bin/python -m pytest tests/contract -q --server-cmd "$PWD/target/debug/tenantry-http"

for part in python node; do
  echo "== $part"
  "scripts/test-$part.sh"
done

# The three servers answer alike, and their docs pages render in a real browser.
if ! command -v chromium >/dev/null; then
  echo "== installing Chromium (Debian's), for the docs page check"
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  else
    echo "Chromium is missing: sudo apt-get install chromium" >&2
    exit 1
  fi
fi
echo "== differential: the Rust, FastAPI and Express servers, same requests, same answers"
.venv/bin/python -m pytest tests/differential -q -p no:cacheprovider \
  --rust-cmd "$PWD/target/debug/tenantry-http"
echo "== packages: publishable as they stand"
scripts/test-packages.sh
echo "== all tests passed"
