#!/usr/bin/env bash
# Install (once) and start a MongoDB-wire server (secantusd-rs) for tests and development.
#   scripts/mongo.sh install            install cmake and secantusd-rs if missing
#   scripts/mongo.sh start DIR [PORT]   start a server with its data under DIR; prints its
#                                       URI on stdout; the pid goes to DIR/secantusd.pid
#   scripts/mongo.sh stop DIR           stop the server started on DIR
set -euo pipefail

SECANTUS_VERSION=0.5.3-beta.196
export PATH="$HOME/.cargo/bin:$PATH"

install() {
  if command -v secantusd-rs >/dev/null 2>&1; then return 0; fi
  if ! command -v cmake >/dev/null 2>&1; then
    echo "installing cmake..." >&2
    if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && apt-get install -y -qq cmake >&2
    else sudo apt-get update -qq >&2 && sudo apt-get install -y -qq cmake >&2; fi
  fi
  echo "installing secantusd-rs $SECANTUS_VERSION (a few minutes, once)..." >&2
  cargo install secantus-mdb --version "$SECANTUS_VERSION" --locked --ignore-rust-version >&2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
  local dir=$1 port=${2:-}
  [ -n "$port" ] || port=$(free_port)
  mkdir -p "$dir"
  secantusd-rs --host 127.0.0.1 --port "$port" --storage-path "$dir/data" \
    --log-file-max 16MB --cache-size 256M --log-level WARNING >"$dir/secantusd.log" 2>&1 &
  echo $! >"$dir/secantusd.pid"
  for _ in $(seq 1 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; then
      echo "mongodb://127.0.0.1:$port/?directConnection=true"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/secantusd.pid")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "secantusd-rs did not start; its log:" >&2
  cat "$dir/secantusd.log" >&2
  return 1
}

stop() {
  local dir=$1
  if [ -f "$dir/secantusd.pid" ]; then
    kill "$(cat "$dir/secantusd.pid")" 2>/dev/null || true
    rm -f "$dir/secantusd.pid"
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  *) echo "usage: $0 install | start DIR [PORT] | stop DIR" >&2; exit 2 ;;
esac
