#!/usr/bin/env bash
# Server CPU per request, split by thread: one load on a fresh Hookpit, the CPU time of each of
# its threads from /proc/PID/task/*/schedstat over the measured window, divided by the requests
# answered. Finer than run.sh's whole-process figure: it shows what a change to the writer or
# the indexer did to that thread alone. Run two builds alternately and compare the lines.
#
# usage: bench/cpu-by-thread.sh [--seconds N] [--rate R] [--scenario S]
#   --seconds N   measured window (default 5), after a 1 s warm-up load
#   --rate R      open loop at R req/s (default: saturation, 64 connections)
# The server binary is $HOOKPIT_BIN, else $CARGO_TARGET_DIR/release/hookpit (built if missing).
# Prints: req/s, total µs per request, then the writer, indexer, tokio workers and the rest.
set -euo pipefail

seconds=5
rate=""
scenario=text
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --rate) rate="$2"; shift ;;
        --scenario) scenario="$2"; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "cpu-by-thread.sh: unknown argument $1" >&2; exit 2 ;;
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

port="$("$bench" port)"
url="http://127.0.0.1:$port"
data="$(mktemp -d "${TMPDIR:-/tmp}/hookpit-cpu.XXXXXX")"
"$hookpit" serve --listen "127.0.0.1:$port" --data "$data" --limits off </dev/null >/dev/null 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
"$bench" wait --url "$url" --timeout-seconds 60 >/dev/null 2>&1

mode=(--mode saturation)
[[ -n "$rate" ]] && mode=(--mode rate --rate "$rate")
load() { "$bench" load --url "$url" --scenario "$scenario" --connections 64 --threads 2 --setup --warmup 0 "$@"; }
# Each thread's name and nanoseconds on a CPU.
snapshot() { for task in /proc/"$pid"/task/*; do echo "$(tr ' ' _ <"$task/comm") $(cut -d' ' -f1 "$task/schedstat")"; done; }

load "${mode[@]}" --duration 1 >/dev/null
before="$(snapshot)"
report="$(load "${mode[@]}" --duration "$seconds")"
# The indexer works behind the writer: let it finish the window's messages.
sleep 0.6
after="$(snapshot)"
python3 - "$report" "$before" "$after" <<'PY'
import collections, json, sys
report, before, after = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
names = {"hookpit-store-w": "writer", "hookpit-store-i": "indexer", "tokio-rt-worker": "tokio"}
def parse(text):
    total = collections.Counter()
    for line in text.strip().splitlines():
        comm, ns = line.rsplit(" ", 1)
        total[names.get(comm, "other")] += int(ns)
    return total
a, b = parse(before), parse(after)
per = {k: (b[k] - a[k]) / 1e3 / report["ok"] for k in b}
print(f'{report["throughput"]:.0f} req/s, {sum(per.values()):.1f} us of server CPU per request: '
      + ", ".join(f"{k} {per.get(k, 0):.1f}" for k in ("writer", "indexer", "tokio", "other")))
PY
