#!/usr/bin/env bash
# Crash safety of Hookpit's store: send at full speed from several connections, kill -9 the
# server mid-load, restart it on the same data directory, and check that every message
# acknowledged with errcode 0 before the kill is stored exactly once, that nothing stored is
# damaged or foreign, and that the SQLite file passes its integrity check.
#
# usage: bench/crash.sh [--quick] [--release] [--cycles N] [--connections N] [--sync full|normal]
#                       [--database postgres://…]
#   --quick     2 cycles with short bursts (CI; under a minute)
#   --release   use (and build) release binaries instead of debug ones
#   --database  the store in this (empty) PostgreSQL database instead of SQLite in the data
#               directory; the SQLite integrity check is then PostgreSQL's own recovery
# The server binary is $HOOKPIT_BIN, else $CARGO_TARGET_DIR/{debug,release}/hookpit.
# Prints one line per cycle and finally `crash-safety: N passed, M failed`; exits 1 on any
# failure. Needs no terminal (CI=true, no stdin).
set -euo pipefail

cycles=10
quick=0
profile=debug
connections=8
sync=full
database=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1; cycles=2 ;;
        --release) profile=release ;;
        --cycles) cycles="$2"; shift ;;
        --connections) connections="$2"; shift ;;
        --sync) sync="$2"; shift ;;
        --database) database="$2"; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "crash.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/target-dir.sh"
release_flag=()
[[ $profile == release ]] && release_flag=(--release)
cargo_flags=()
[[ "${CI:-}" == true ]] && cargo_flags=(--locked)

hookpit="${HOOKPIT_BIN:-$CARGO_TARGET_DIR/$profile/hookpit}"
bench="$CARGO_TARGET_DIR/$profile/hookpit-bench"
(
    cd "$root"
    if [[ $profile == release || ! -x "$hookpit" ]]; then
        cargo build "${cargo_flags[@]}" "${release_flag[@]}" -q -p hookpit
    fi
    cargo build "${cargo_flags[@]}" "${release_flag[@]}" -q -p hookpit-bench
) </dev/null

work="$(mktemp -d "${TMPDIR:-/tmp}/hookpit-crash.XXXXXX")"
data="$work/data"
log="$work/server.log"
server_pid=""
send_pid=""
cleanup() {
    local status=$?
    [[ -n "$send_pid" ]] && kill "$send_pid" 2>/dev/null || true
    if [[ -n "$server_pid" ]]; then
        { kill -TERM "$server_pid" && wait "$server_pid"; } 2>/dev/null || true
    fi
    if [[ $status -eq 0 && -z "${KEEP_WORK:-}" ]]; then
        rm -rf "$work"
    else
        echo "crash.sh: work directory kept: $work (server log: $log)" >&2
    fi
}
trap cleanup EXIT

url=""
start_server() {
    local port
    # A fresh port on every start: nothing to wait for if the old socket lingers.
    port="$("$bench" port)"
    url="http://127.0.0.1:$port"
    local store=()
    [[ -n "$database" ]] && store=(--database "$database")
    "$hookpit" serve --listen "127.0.0.1:$port" --data "$data" --limits off --sync "$sync" \
        "${store[@]}" </dev/null >>"$log" 2>&1 &
    server_pid=$!
    if ! "$bench" wait --url "$url" --timeout-seconds 60 2>/dev/null; then
        echo "crash.sh: the server did not start (or did not reopen its store); log:" >&2
        tail -n 20 "$log" >&2
        return 1
    fi
}

# A burst of random length, so that the kill lands at a different point of the group commits.
burst() {
    if [[ $quick -eq 1 ]]; then
        awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.6 + (r % 60) / 100 }'
    else
        awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 1 + (r % 200) / 100 }'
    fi
}

passed=0
failed=0
echo "crash.sh: $hookpit, $cycles cycles, $connections connections, --sync $sync, data in $data${database:+, store in PostgreSQL}"
start_server
if ! bot="$("$bench" setup --url "$url" --name crash)"; then
    echo "crash.sh: cannot create the test bot through /api/v1" >&2
    exit 1
fi
read -r key chatid _ <<<"$bot"

for cycle in $(seq 1 "$cycles"); do
    "$bench" crash-send --url "$url" --key "$key" --chatid "$chatid" --connections "$connections" \
        --run "c$cycle" --acked "$work/acked" --pending "$work/pending" --max-seconds 60 \
        </dev/null >"$work/send.$cycle.json" 2>>"$work/send.log" &
    send_pid=$!
    sleep "$(burst)"
    if ! kill -9 "$server_pid" 2>/dev/null; then
        echo "crash.sh: the server had already exited before the kill; log:" >&2
        tail -n 20 "$log" >&2
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    sent_ok=1
    wait "$send_pid" || sent_ok=0
    send_pid=""
    acked_now="$(grep -o '"acked":[0-9]*' "$work/send.$cycle.json" | cut -d: -f2 || true)"
    inflight_now="$(grep -o '"pending":[0-9]*' "$work/send.$cycle.json" | cut -d: -f2 || true)"

    verdict="server did not restart"
    ok=0
    if start_server; then
        if verdict="$("$bench" verify --url "$url" --chatid "$chatid" \
                --acked "$work/acked" --pending "$work/pending" 2>&1)"; then
            ok=1
        fi
        if [[ -z "$database" ]] && ! integrity="$("$bench" check-db --data "$data" 2>&1)"; then
            ok=0
            verdict="$verdict; $integrity"
        fi
    fi
    if [[ $sent_ok -eq 0 || -z "$acked_now" || "$acked_now" -eq 0 ]]; then
        # A cycle in which nothing was acknowledged proves nothing.
        ok=0
        verdict="$verdict; the sender acknowledged nothing ($(tail -n 3 "$work/send.log" | tr '\n' ' '))"
    fi
    if [[ $ok -eq 1 ]]; then
        passed=$((passed + 1))
        echo "cycle $cycle: ok: ${acked_now} acked this cycle, ${inflight_now} in flight at the kill; $verdict"
    else
        failed=$((failed + 1))
        echo "cycle $cycle: FAILED: $verdict" >&2
    fi
done

echo "crash-safety: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
