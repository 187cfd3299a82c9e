#!/usr/bin/env bash
# What shared fault rules (--redis) cost a webhook call: text sends to one Hookpit with
# `--limits off` (so that the fault pick is the only Redis call of a send) and `--sync normal`
# (so that an fsync per commit does not hide a loopback round trip), without --redis,
# with --redis and no rule anywhere, and with --redis and one shared rule that matches every
# call but never fires (`every` huge: the script counts each call). A throwaway redis-server on
# a free port; each case on a fresh data directory.
#
# usage: bench/shared-faults.sh [--seconds N] [--rounds R] [--connections C] [--debug]
#   --seconds N      measured seconds per case (default 5, after a 1 s warm-up)
#   --rounds R       the three cases R times, alternating (default 3: the machine's noise shows)
#   --connections C  keep-alive connections (default 1: the latency of one call at a time)
#   --debug          the debug builds (quicker to build; slower, so only the differences count)
# The server binary is $HOOKPIT_BIN, else the target directory's (built if missing).
# Prints one line per case: requests/s, p50 and p99 in ms.
set -euo pipefail

seconds=5
rounds=3
connections=1
profile=release
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --rounds) rounds="$2"; shift ;;
        --connections) connections="$2"; shift ;;
        --debug) profile=debug ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "shared-faults.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/target-dir.sh"
bench="$CARGO_TARGET_DIR/$profile/hookpit-bench"
hookpit="${HOOKPIT_BIN:-$CARGO_TARGET_DIR/$profile/hookpit}"
if [[ ! -x "$bench" || ( -z "${HOOKPIT_BIN:-}" && ! -x "$hookpit" ) ]]; then
    release=(--release)
    [[ "$profile" == debug ]] && release=()
    (cd "$root" && cargo build "${release[@]}" -q -p hookpit-bench -p hookpit) </dev/null
fi

redis_port="$("$bench" port)"
redis_dir="$(mktemp -d "${TMPDIR:-/tmp}/hookpit-redis.XXXXXX")"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$redis_dir" \
    </dev/null >/dev/null 2>&1 &
redis_pid=$!
pid=""
data=""
cleanup() {
    [[ -n "$pid" ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    [[ -n "$data" ]] && rm -rf "$data"
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    rm -rf "$redis_dir"
}
trap cleanup EXIT
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.05; done

# run NAME [serve flags...]: one case on a fresh server; RULE, if set, is posted first.
run() {
    local name="$1"
    shift
    redis-cli -p "$redis_port" flushall >/dev/null
    local port
    port="$("$bench" port)"
    data="$(mktemp -d "${TMPDIR:-/tmp}/hookpit-faults.XXXXXX")"
    "$hookpit" serve --listen "127.0.0.1:$port" --data "$data" --limits off --sync normal "$@" \
        </dev/null >/dev/null 2>&1 &
    pid=$!
    local url="http://127.0.0.1:$port"
    "$bench" wait --url "$url" --timeout-seconds 60 >/dev/null 2>&1
    if [[ -n "${RULE:-}" ]]; then
        curl -fsS "$url/api/v1/faults" -H 'Content-Type: application/json' -d "$RULE" >/dev/null
    fi
    local report
    report="$("$bench" load --url "$url" --scenario text --connections "$connections" --threads 2 \
        --setup --mode saturation --warmup 1 --duration "$seconds")"
    python3 -c 'import json, sys
name, r = sys.argv[1], json.loads(sys.argv[2])
print("%-36s %8.0f req/s  p50 %.3f ms  p99 %.3f ms  errors %s"
      % (name, r["throughput"], r["p50_ms"], r["p99_ms"], r["errors"]))' \
        "$name" "$report"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=""
    rm -rf "$data"
    data=""
}

redis="redis://127.0.0.1:$redis_port"
for _ in $(seq "$rounds"); do
    run "no --redis"
    run "--redis, no rule" --redis "$redis"
    RULE='{"effect": {"errcode": -1}, "every": 1000000000}' \
        run "--redis, a rule counting each call" --redis "$redis"
done
