#!/usr/bin/env bash
# Build the Python wheel once (release) and check it: mypy --strict, the binding's tests,
# the HTTP contract suite against the FastAPI example, and the README quick start run in a
# fresh virtualenv holding nothing but the wheel.
#
#   MONGODB_URI=mongodb://... scripts/test-python.sh
#
# MONGODB_URI must name a MongoDB-wire server (`scripts/mongo.sh start DIR` prints the URI
# of a fresh one). Exits non-zero at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
: "${MONGODB_URI:?must point at a MongoDB-wire server (scripts/mongo.sh start DIR prints one)}"
export MONGODB_URI

py=$root/.venv/bin/python
wheels=$root/bindings-python/dist # git-ignored
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS" >&2; }

step "virtualenv"
scripts/venv.sh
"$py" -m pip install -q -r bindings-python/requirements-dev.txt

step "wheel: maturin build --release"
rm -rf "$wheels"
# For the host triple named explicitly, as napi names it: the Node build then reuses the
# compiled dependencies.
CARGO_BUILD_TARGET=$(rustc -vV | sed -n "s/^host: //p") \
  .venv/bin/maturin build --release --manifest-path bindings-python/Cargo.toml -o "$wheels"
wheel=$(echo "$wheels"/tenantry-*.whl)
[ -f "$wheel" ] || { echo "no wheel in $wheels" >&2; exit 1; }
"$py" -m pip install -q --force-reinstall --no-deps "$wheel"
ls -l "$wheel" >&2

step "mypy --strict, and stubtest (the .pyi against the built module)"
export MYPY_CACHE_DIR=$root/.venv/mypy-cache
.venv/bin/mypy --strict bindings-python/tests bindings-python/examples bindings-python/bench examples/fastapi
.venv/bin/mypy --strict examples/notes-fastapi # its own run: both examples have an app.py
(cd .venv && "$py" -m mypy.stubtest tenantry._native) # from .venv: the installed wheel, cache kept there

step "binding tests"
"$py" -m pytest bindings-python/tests -q -p no:cacheprovider

step "contract suite against the FastAPI example"
"$py" -m pytest tests/contract -q -p no:cacheprovider \
  --server-cmd "cd '$root/examples/fastapi' && exec '$py' app.py"

step "the notes service (examples/notes-fastapi)"
"$py" -m pytest tests/notes -q -p no:cacheprovider \
  --server-cmd "cd '$root/examples/notes-fastapi' && exec '$py' app.py"

step "packaging: the README quick start, with only the wheel installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
quickstart=bindings-python/examples/quickstart.py
"$py" - "$quickstart" bindings-python/README.md README.md <<'PY'
import sys
example, *readmes = (open(p, encoding="utf-8").read() for p in sys.argv[1:])
for path, readme in zip(sys.argv[2:], readmes):
    assert example.strip() in readme, f"{path} must show examples/quickstart.py verbatim"
PY
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q --no-index "$wheel" # no index: the wheel must need nothing else
cp "$quickstart" "$tmp/"
master_db="quickstart_$(date +%s)_$$"
(cd "$tmp" && MASTER_DB=$master_db "$tmp/venv/bin/python" quickstart.py)
"$py" -c 'import os, sys, pymongo; pymongo.MongoClient(os.environ["MONGODB_URI"]).drop_database(sys.argv[1])' "$master_db"

step "python: all passed"
