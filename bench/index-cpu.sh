#!/usr/bin/env bash
# The search indexer's CPU per message: fill a store with N messages (text unless told), stop the server,
# remove search.db, start it again and let the indexer rebuild the whole index; its thread's
# CPU time (/proc/PID/task/TID/schedstat) until it is idle, divided by N. Run two builds on
# the same filled store (--keep DIR, then --store DIR) alternately and compare the lines.
#
# usage: bench/index-cpu.sh [--messages N] [--scenario S] [--store DIR] [--keep DIR]
#   --messages N   messages to fill with (default 200,000); ignored with --store
#   --scenario S   what to fill with: a hookpit-bench load scenario (default text; markdown
#                  gives 2 KB messages); ignored with --store
#   --store DIR    rebuild the index of a copy of this data directory instead of filling one
#   --keep DIR     keep the filled data directory here (for --store later)
# The server binary is $HOOKPIT_BIN, else $CARGO_TARGET_DIR/release/hookpit (built if missing).
set -euo pipefail

messages=200000
scenario=text
store=""
keep=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --messages) messages="$2"; shift ;;
        --scenario) scenario="$2"; shift ;;
        --store) store="$2"; shift ;;
        --keep) keep="$2"; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "index-cpu.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/target-dir.sh"
bench="$CARGO_TARGET_DIR/release/hookpit-bench"
hookpit="${HOOKPIT_BIN:-$CARGO_TARGET_DIR/release/hookpit}"
if [[ ! -x "$bench" || ( -z "${HOOKPIT_BIN:-}" && ! -x "$hookpit" ) ]]; then
    (cd "$root" && cargo build --release -q -p hookpit-bench -p hookpit) </dev/null
fi

data="$(mktemp -d "${TMPDIR:-/tmp}/hookpit-index.XXXXXX")"
pid=""
cleanup() {
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$data"
}
trap cleanup EXIT
start() {
    local port
    port="$("$bench" port)"
    url="http://127.0.0.1:$port"
    "$hookpit" serve --listen "127.0.0.1:$port" --data "$data" --limits off </dev/null >/dev/null 2>&1 &
    pid=$!
    "$bench" wait --url "$url" --timeout-seconds 60 >/dev/null 2>&1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

if [[ -n "$store" ]]; then
    cp "$store/hookpit.db" "$store/count" "$data/"
else
    start
    "$bench" load --url "$url" --scenario "$scenario" --mode count --requests "$messages" \
        --connections 64 --threads 2 --setup | grep -o '"ok":[0-9]*' | cut -d: -f2 >"$data/count"
    stop
    if [[ -n "$keep" ]]; then mkdir -p "$keep" && cp "$data/hookpit.db" "$data/count" "$keep/"; fi
fi
rm -f "$data"/search.db*
start
tid=""
while [[ -z "$tid" ]]; do
    tid="$(grep -l hookpit-store-i /proc/"$pid"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5)"
done
# Idle once less than 2 ms of CPU was added in 0.4 s (the thread still polls).
previous=0
current=1
while (( current - previous > 2000000 || current < 50000000 )); do
    sleep 0.4
    previous=$current
    current="$(cut -d' ' -f1 /proc/"$pid"/task/"$tid"/schedstat)"
done
stop
count="$(cat "$data/count")"
bytes="$(du -b "$data/search.db" | cut -f1)"
awk -v ns="$current" -v n="$count" -v b="$bytes" \
    'BEGIN { printf "indexed %d messages: %.2f us of indexer CPU per message, search.db %d B per message\n", n, ns / 1e3 / n, b / n }'
