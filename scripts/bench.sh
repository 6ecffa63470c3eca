#!/usr/bin/env bash
# `make bench`: install what is missing, build everything the benchmarks run (release),
# then run them all (benches/run.py): criterion micro-benchmarks of the core, the HTTP
# servers one at a time under benches/loadgen, the bindings against their drivers, rename
# and tenant-count scaling. Prints a table, writes target/bench/results.json and
# regenerates BENCHMARKS.md. A throwaway MongoDB-wire server is started and stopped
# (unless MONGODB_URI/MONGO_URI points at one).
#
# The FastAPI and Express servers and the binding benchmarks are skipped, with a
# "not built" line, when their binding does not build here. BENCH_RUNS (3) and
# BENCH_SECS (4) set the runs per measurement and their length.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SECONDS=0
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS" >&2; }
mkdir -p target/bench
rm -f target/bench/not-built-*

step "prerequisites"
missing=()
command -v taskset >/dev/null || missing+=(util-linux)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
  echo "installing ${missing[*]} (apt)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && apt-get install -y -qq "${missing[@]}" >&2
  else sudo apt-get update -qq >&2 && sudo apt-get install -y -qq "${missing[@]}" >&2; fi
fi
if [ -z "${MONGODB_URI:-${MONGO_URI:-}}" ]; then scripts/mongo.sh install; fi
scripts/venv.sh

# Every build names the host triple: napi always passes --target, and only builds for the
# same --target share compiled dependencies (with one feature set: workspace-hack/).
CARGO_BUILD_TARGET=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_BUILD_TARGET

step "build: server, load generator, criterion benches (release)"
cargo build --release -p tenantry-http -p tenantry-loadgen
cargo bench -p tenantry --bench core --no-run

# A binding that does not build is reported as "not built" by run.py, not fatal.
not_built() { echo "$2" >"target/bench/not-built-$1"; echo "$1: NOT BUILT: $2" >&2; }

step "build: Python binding (maturin --release) and the FastAPI example's requirements"
if [ -f bindings-python/pyproject.toml ] && [ -f examples/fastapi/app.py ]; then
  rm -rf target/bench/wheels
  if .venv/bin/pip install -q -r examples/fastapi/requirements.txt >&2 &&
    .venv/bin/maturin build --release --manifest-path bindings-python/Cargo.toml -o target/bench/wheels >&2 &&
    .venv/bin/pip install -q --force-reinstall --no-deps target/bench/wheels/tenantry-*.whl >&2; then
    :
  else
    not_built python "maturin build --release of bindings-python failed"
  fi
else
  not_built python "bindings-python/pyproject.toml or examples/fastapi/app.py is missing"
fi

step "build: Node binding (napi build --release) and the Express example's packages"
if [ -f bindings-node/package.json ] && [ -f examples/express/package.json ]; then
  if (cd bindings-node && { [ -d node_modules ] || npm ci --no-audit --no-fund >&2; } &&
    npm run build >&2) &&
    (cd examples/express && { [ -d node_modules ] || npm ci --no-audit --no-fund >&2; }); then
    :
  else
    not_built node "npm ci / napi build --release of bindings-node or examples/express failed"
  fi
else
  not_built node "bindings-node/package.json or examples/express/package.json is missing"
fi

step "benchmarks"
BENCH_BUILD_SECONDS=$SECONDS .venv/bin/python benches/run.py
step "done"
