#!/usr/bin/env bash
# The three packages, publishable as they stand: the crate (`cargo publish --dry-run`: it is
# packaged, then built from the package's own files), the Python wheel and sdist
# (`twine check` of their metadata and README), the npm package (`npm pack --dry-run`: what
# it would ship). Run by `make test` after the Python and Node suites built the wheel and
# the addon. Prints what each package holds; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
step() { echo "== packages: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "crate tenantry: cargo publish --dry-run"
# --allow-dirty: the checkout may hold build output of the suites run before; what is
# packaged is the crate's `include` list, built on its own below.
if ! cargo publish --dry-run -p tenantry --allow-dirty >"$tmp/publish.log" 2>&1; then
  cat "$tmp/publish.log" >&2
  exit 1
fi
grep -E "Packaged|Verifying|Finished" "$tmp/publish.log"
cargo package --list -p tenantry --allow-dirty >"$tmp/crate.txt" 2>/dev/null
echo "   $(wc -l <"$tmp/crate.txt") files: $(tr '\n' ' ' <"$tmp/crate.txt" | cut -c1-200)..."

step "Python: twine check (wheel and sdist)"
wheel=$(ls bindings-python/dist/tenantry-*.whl)
.venv/bin/maturin sdist -m bindings-python/Cargo.toml -o "$tmp/sdist" 2>&1 | grep -E "Built|error" || true
.venv/bin/twine check --strict "$wheel" "$tmp"/sdist/*.tar.gz

step "npm: npm pack --dry-run"
cd "$root/bindings-node"
npm pack --dry-run --json --loglevel=error >"$tmp/pack.json"
node -e '
  const [p] = require(process.argv[1])
  const files = p.files.map((f) => f.path).sort()
  for (const required of ["index.js", "index.d.ts", "native.js", "native.d.ts", "express.js", "express.d.ts", "README.md", "package.json"]) {
    if (!files.includes(required)) { console.error(`npm package lacks ${required}`); process.exit(1) }
  }
  if (!files.some((f) => f.endsWith(".node"))) { console.error("npm package lacks the addon"); process.exit(1) }
  const pkg = require("./package.json")
  for (const key of ["license", "repository", "keywords", "engines", "types", "exports"]) {
    if (!pkg[key]) { console.error(`package.json lacks ${key}`); process.exit(1) }
  }
  console.log(`   ${p.name}@${p.version}: ${files.join(" ")}`)' "$tmp/pack.json"
step "all publishable"
