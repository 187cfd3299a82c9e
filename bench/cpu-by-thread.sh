#!/usr/bin/env bash
# Server CPU per request, split by thread: one load on a fresh Hookpit, the CPU time of each of
# its threads from /proc/PID/task/*/schedstat over the measured window, divided by the requests
# answered. Finer than run.sh's whole-process figure: it shows what a change to the writer or
# the indexer did to that thread alone. Run two builds alternately and compare the lines.
#
# usage: bench/cpu-by-thread.sh [--seconds N] [--rate R] [--scenario S] [--database URL]
#   --seconds N     measured window (default 5), after a 1 s warm-up load
#   --rate R        open loop at R req/s (default: saturation, 64 connections)
#   --database URL  the store in a fresh database created on this PostgreSQL server (as
#                   bench/run.sh does; dropped after); also prints PostgreSQL's own CPU per
#                   request (its processes on this machine: needs a superuser, as
#                   scripts/postgres.sh's clusters have) and, with pg_stat_statements loaded,
#                   the statements per request
# The server binary is $HOOKPIT_BIN, else $CARGO_TARGET_DIR/release/hookpit (built if missing).
# Prints: req/s, total µs per request, then the writer, indexer, tokio workers and the rest.
set -euo pipefail

seconds=5
rate=""
scenario=text
database=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --rate) rate="$2"; shift ;;
        --scenario) scenario="$2"; shift ;;
        --database) database="$2"; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
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
store=()
db_url=""
if [[ -n "$database" ]]; then
    name="hookpit_cpu_$$"
    psql "$database" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $name" >/dev/null
    db_url="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$database" "$name")"
    psql "$db_url" -qAtX -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null 2>&1 || true
    store=(--database "$db_url")
fi
"$hookpit" serve --listen "127.0.0.1:$port" --data "$data" --limits off "${store[@]}" </dev/null >/dev/null 2>&1 &
pid=$!
cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$data"
    if [[ -n "$db_url" ]]; then psql "$database" -qAtX -c "DROP DATABASE IF EXISTS $name" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
"$bench" wait --url "$url" --timeout-seconds 60 >/dev/null 2>&1

mode=(--mode saturation)
[[ -n "$rate" ]] && mode=(--mode rate --rate "$rate")
load() { "$bench" load --url "$url" --scenario "$scenario" --connections 64 --threads 2 --setup --warmup 0 "$@"; }
# PostgreSQL's processes on this machine: the postmaster (its data directory's postmaster.pid)
# and its children.
postgres_pids=()
if [[ -n "$db_url" ]]; then
    pgdata="$(psql "$db_url" -qAtX -c "SHOW data_directory" 2>/dev/null || true)"
    if [[ -n "$pgdata" && -r "$pgdata/postmaster.pid" ]]; then
        postmaster="$(head -n 1 "$pgdata/postmaster.pid")"
        postgres_pids=("$postmaster")
    fi
fi
# Each thread's name and nanoseconds on a CPU; PostgreSQL's processes as one `postgres` line
# each; then the statements PostgreSQL ran for this database so far, by text.
snapshot() {
    for task in /proc/"$pid"/task/*; do echo "$(tr ' ' _ <"$task/comm") $(cut -d' ' -f1 "$task/schedstat")"; done
    if [[ ${#postgres_pids[@]} -gt 0 ]]; then
        for p in "${postgres_pids[0]}" $(pgrep -P "${postgres_pids[0]}"); do
            for task in /proc/"$p"/task/*; do echo "postgres $(cut -d' ' -f1 "$task/schedstat" 2>/dev/null || echo 0)"; done
        done
    fi
    if [[ -n "$db_url" ]]; then
        psql "$db_url" -qAtX -F $'\t' -c "SELECT calls, regexp_replace(query, '\s+', ' ', 'g') FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())" 2>/dev/null |
            sed 's/^/statement\t/' || true
    fi
}

load "${mode[@]}" --duration 1 >/dev/null
before="$(snapshot)"
report="$(load "${mode[@]}" --duration "$seconds")"
# The indexer works behind the writer: let it finish the window's messages.
sleep 0.6
after="$(snapshot)"
python3 - "$report" "$before" "$after" <<'PY'
import collections, json, sys
report, before, after = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
def statements(text):
    calls = collections.Counter()
    for line in text.strip().splitlines():
        if line.startswith("statement\t"):
            _, n, query = line.split("\t", 2)
            calls[query] += int(n)
    return calls
sa, sb = statements(before), statements(after)
names = {"hookpit-store-w": "writer", "hookpit-store-i": "indexer", "tokio-rt-worker": "tokio",
         "postgres": "postgres"}
def parse(text):
    total = collections.Counter()
    for line in text.strip().splitlines():
        if line.startswith("statement\t"):
            continue
        comm, ns = line.rsplit(" ", 1)
        total[names.get(comm, "other")] += int(ns)
    return total
a, b = parse(before), parse(after)
per = {k: (b[k] - a[k]) / 1e3 / report["ok"] for k in b}
# Processes that started or ended in the window (a PostgreSQL backend) count from zero.
per = {k: max(v, 0.0) for k, v in per.items()}
server = sum(v for k, v in per.items() if k != "postgres")
line = (f'{report["throughput"]:.0f} req/s, {server:.1f} us of server CPU per request: '
        + ", ".join(f"{k} {per.get(k, 0):.1f}" for k in ("writer", "indexer", "tokio", "other")))
if "postgres" in per:
    line += f'; PostgreSQL {per["postgres"]:.1f} us'
print(line)
ran = {q: sb[q] - sa.get(q, 0) for q in sb if sb[q] - sa.get(q, 0) > 0}
if ran:
    total = sum(ran.values())
    print(f'{total / report["ok"]:.2f} statements per request (pg_stat_statements, this database):')
    for query, n in sorted(ran.items(), key=lambda item: -item[1]):
        print(f'  {n / report["ok"]:6.3f}  {query[:150]}')
PY
