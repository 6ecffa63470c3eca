#!/usr/bin/env bash
# The Node side: build the binding once (release), type-check, run its tests, then the
# Express example (type check and the HTTP contract suite), the notes service (type check
# and its tests), then a packaging test (the `npm pack` tarball installed into an empty
# directory runs the README's quick start).
# Needs MONGODB_URI (or MONGO_URI) pointing at a MongoDB-wire server; exits non-zero on
# any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
export MONGODB_URI=${MONGODB_URI:-${MONGO_URI:-}}
if [ -z "$MONGODB_URI" ]; then
  echo "MONGODB_URI must point at a MongoDB-wire server (scripts/mongo.sh start DIR prints one)" >&2
  exit 2
fi
step() { echo "== node: $*"; }
npm_quiet=(--no-audit --no-fund --loglevel=error)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$root/bindings-node"
step "npm ci (binding)"
npm ci "${npm_quiet[@]}"
step "release build"
npm run build
# The generated loader and types are committed: they must match the sources.
if git ls-files --error-unmatch native.d.ts >/dev/null 2>&1 && ! git diff --quiet HEAD -- native.js native.d.ts; then
  if git diff --quiet HEAD -- src Cargo.toml package.json; then
    echo "native.js/native.d.ts are stale: commit the files 'npm run build' regenerated" >&2
    git diff --stat HEAD -- native.js native.d.ts >&2
    exit 1
  fi
  echo "note: the sources changed, so native.js/native.d.ts were regenerated; commit them with the sources"
fi
step "tsc --noEmit --strict (tests, examples, benchmark)"
npm run typecheck
step "node --test"
npm test

cd "$root/examples/express"
step "npm ci (Express example)"
npm ci "${npm_quiet[@]}"
step "tsc --noEmit --strict (Express example)"
npm run typecheck
step "HTTP contract suite against the Express example"
"$root/scripts/venv.sh"
(cd "$root" && .venv/bin/python -m pytest tests/contract -q -p no:cacheprovider \
  --server-cmd "node $root/examples/express/server.js")

cd "$root/examples/notes-express"
step "the notes service (examples/notes-express): npm ci, tsc --strict, its tests"
npm ci "${npm_quiet[@]}"
npm run typecheck
(cd "$root" && .venv/bin/python -m pytest tests/notes -q -p no:cacheprovider \
  --server-cmd "exec node '$root/examples/notes-express/server.js'")

step "packaging: npm pack, install into an empty project, run the quick start"
cd "$root/bindings-node"
# The README shows examples/quickstart.mjs verbatim.
node -e '
  const fs = require("fs")
  const file = fs.readFileSync("examples/quickstart.mjs", "utf8")
  for (const readme of ["README.md", "../README.md"]) {
    if (!fs.readFileSync(readme, "utf8").includes("```js\n" + file + "```")) {
      console.error(readme + " does not show examples/quickstart.mjs verbatim")
      process.exit(1)
    }
  }'
npm pack --pack-destination "$tmp" --json "${npm_quiet[@]}" >"$tmp/pack.json"
tarball=$(node -p 'require(process.argv[1])[0].filename' "$tmp/pack.json")
mkdir "$tmp/app"
cp examples/quickstart.mjs "$tmp/app/"
(cd "$tmp/app" && npm init -y >/dev/null && npm install "${npm_quiet[@]}" "$tmp/$tarball")
master_db="quickstart_$(node -p 'require("crypto").randomBytes(6).toString("hex")')"
out=$(cd "$tmp/app" && MASTER_DB=$master_db node quickstart.mjs)
echo "$out"
MASTER_DB=$master_db node -e '
  const { MongoClient } = require("mongodb")
  const client = new MongoClient(process.env.MONGODB_URI)
  client.db(process.env.MASTER_DB).dropDatabase().finally(() => client.close())'
expected=$'org_acme_corp true\norg_acme_inc\ntrue TENANT_NOT_FOUND'
if [ "$out" != "$expected" ]; then
  echo "the quick start printed something else; expected:" >&2
  echo "$expected" >&2
  exit 1
fi
node -e '
  const [p] = require(process.argv[1])
  const mb = (n) => (n / 1048576).toFixed(1) + " MB"
  console.log(`package ${p.filename}: ${p.entryCount} files, ${mb(p.size)} packed, ${mb(p.unpackedSize)} unpacked`)' \
  "$tmp/pack.json"
echo "installed: $(du -sh "$tmp/app/node_modules/tenantry" | cut -f1) in node_modules/tenantry"
step "all passed"
