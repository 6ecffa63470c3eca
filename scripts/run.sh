#!/usr/bin/env bash
# `make run`: the Rust example server on port 8000 over a local secantusd-rs whose data is
# kept in .dev/mongo between runs, with a development JWT secret generated once and kept in
# .dev/jwt_secret. With MONGO_URI set, that database is used and no server is started.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p .dev

if [ -z "${MONGO_URI:-}" ]; then
  scripts/mongo.sh install
  MONGO_URI=$(scripts/mongo.sh start .dev/mongo "${DEV_MONGO_PORT:-27018}")
  trap 'scripts/mongo.sh stop .dev/mongo' EXIT
  echo "local database: $MONGO_URI (data in .dev/mongo)"
fi
export MONGO_URI

if [ -z "${JWT_SECRET:-}" ]; then
  if [ ! -s .dev/jwt_secret ]; then
    python3 -c 'import secrets; print(secrets.token_urlsafe(48))' >.dev/jwt_secret
    chmod 600 .dev/jwt_secret
  fi
  JWT_SECRET=$(cat .dev/jwt_secret)
fi
export JWT_SECRET
export PORT=${PORT:-8000}

cargo build -p tenantry-http
echo "tenantry example server: http://127.0.0.1:$PORT  (docs: http://127.0.0.1:$PORT/docs)"
target/debug/tenantry-http
