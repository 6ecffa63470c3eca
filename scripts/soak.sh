#!/usr/bin/env bash
# `make soak`: the randomized lifecycle model (core/tests/model.rs) for SOAK_SEQUENCES
# sequences (default 2000) of SOAK_STEPS steps (default 16), the writers of
# online_rename.rs over SOAK_RENAMES renames (default 500), and the crash trials once more,
# against a throwaway server (or $MONGODB_URI). Prints each run's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
external=${MONGODB_URI:-${MONGO_URI:-}}
if [ -z "$external" ]; then
  scripts/mongo.sh install
  dir=$(mktemp -d)
  MONGODB_URI=$(scripts/mongo.sh start "$dir")
  trap 'scripts/mongo.sh stop "$dir"; rm -rf "$dir"' EXIT
else
  MONGODB_URI=$external
fi
export MONGODB_URI
export TENANTRY_MODEL_SEQUENCES=${SOAK_SEQUENCES:-2000}
export TENANTRY_MODEL_STEPS=${SOAK_STEPS:-16}
export TENANTRY_MODEL_SEED=${SOAK_SEED:-$(date +%s)}
echo "== soak: $TENANTRY_MODEL_SEQUENCES sequences x $TENANTRY_MODEL_STEPS steps from seed $TENANTRY_MODEL_SEED"
export TENANTRY_RENAMES=${SOAK_RENAMES:-500}
cargo test -p tenantry --test model --test crash --test online_rename -- --nocapture 2>&1 |
  grep -E "model:|crash trials|writer:|recovery moved|test result|panicked|seed"
