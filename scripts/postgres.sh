#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `scripts/postgres.sh start DIR` creates one in
# DIR (initdb, trust auth, a free loopback port; as the `postgres` user when run as root, since
# initdb refuses root), starts it and prints its URL; `scripts/postgres.sh stop DIR` stops it
# and removes DIR; `pause DIR` stops it as a crash would and `resume DIR` starts it again (the
# outage tests). Debian's `postgresql` is installed when no initdb is found. Never touches a
# server the machine already runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt-install.sh

say() { printf 'postgres: %s\n' "$*" >&2; }

bindir() {
  local initdb
  initdb="$(command -v initdb || true)"
  if [[ -z "$initdb" ]]; then
    initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  [[ -n "$initdb" ]] && dirname "$(readlink -f "$initdb")"
}

# Runs a command as the cluster's owner.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start() {
  local dir="$1" bin port
  bin="$(bindir || true)"
  if [[ -z "$bin" ]]; then
    say "installing Debian's postgresql"
    apt_install postgresql >/dev/null
    bin="$(bindir)"
  fi
  mkdir -p "$dir"
  if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 \
    --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  echo "$port" >"$dir/port"
  resume "$dir"
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

# Starts a stopped cluster again, on the port it had.
resume() {
  local dir="$1" bin port
  bin="$(bindir)"
  port="$(cat "$dir/port")"
  # Many test databases at once (a sandbox each): more connections than the default 100.
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=400" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

# Stops the cluster as a crash would (immediate), keeping its files for `resume`.
pause() {
  as_owner "$(bindir)/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null
}

stop() {
  local dir="$1" bin
  bin="$(bindir)"
  if [[ -d "$dir/data" ]]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start | stop | pause | resume) "$1" "${2:?usage: scripts/postgres.sh $1 DIR}" ;;
  *) echo "usage: scripts/postgres.sh start|stop|pause|resume DIR" >&2; exit 2 ;;
esac
