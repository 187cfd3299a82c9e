#!/usr/bin/env bash
# Cost as the store grows: one Hookpit (`--limits off`, default `--sync full`, fresh data
# directory) is filled over HTTP to each size in turn, and at each size the text send is measured
# again next to the baseline (`hookpit-bench baseline`, the same HTTP stack doing nothing):
# throughput at saturation and its ratio to the baseline's in the same minute, p50/p99 at
# 1,000 req/s (open loop, from the scheduled send time), resident memory, bytes on disk and the
# inbox's first page. The measurement adds messages of its own (a few seconds at saturation), so
# each row names the messages stored when it began.
#
# usage: bench/growth.sh [--sizes "10000 100000 1000000"] [--duration S] [--out DIR]
#   --sizes    the store sizes, ascending (default 10^4, 10^5, 10^6)
#   --duration seconds per throughput and latency measurement (default 3)
#   --out      where results.jsonl and table.md go (default: a temp dir)
# HOOKPIT_BIN / HOOKPIT_BENCH_BIN: prebuilt binaries (nothing is built then), as for run.sh.
# Prints the table (markdown) on stdout.
set -euo pipefail

sizes="10000 100000 1000000"
duration=3
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift ;;
        --duration) duration="$2"; shift ;;
        --out) out="$2"; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "growth.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/target-dir.sh"
source "$root/bench/binaries.sh"

out="${out:-$(mktemp -d "${TMPDIR:-/tmp}/hookpit-growth.XXXXXX")}"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"
data="$(mktemp -d "${TMPDIR:-/tmp}/hookpit-growth-data.XXXXXX")"
pids=()
cleanup() {
    if [[ ${#pids[@]} -gt 0 ]]; then kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; fi
    rm -rf "$data"
}
trap cleanup EXIT

record() { # record SIZE KIND JSON
    printf '{"size":%s,"kind":"%s","data":%s}\n' "$1" "$2" "$3" >>"$results"
}

base_port="$("$bench" port)"
"$bench" baseline --listen "127.0.0.1:$base_port" </dev/null >>"$out/baseline.log" 2>&1 &
pids+=($!)
base_pid=$!
port="$("$bench" port)"
"$hookpit" serve --listen "127.0.0.1:$port" --data "$data" --limits off </dev/null >>"$out/hookpit.log" 2>&1 &
pids+=($!)
hook_pid=$!
"$bench" wait --url "http://127.0.0.1:$base_port" --timeout-seconds 60 2>/dev/null
"$bench" wait --url "http://127.0.0.1:$port" --timeout-seconds 60 2>/dev/null

load() { # load URL PID MODE [args...]
    local url="$1" pid="$2" mode="$3" setup=()
    shift 3
    [[ "$pid" == "$hook_pid" ]] && setup=(--setup)
    "$bench" load --url "$url" --scenario text --mode "$mode" --connections 64 --threads 2 \
        --server-pid "$pid" "${setup[@]}" "$@"
}
stored_in() { grep -o '"ok":[0-9]*' <<<"$1" | cut -d: -f2; }

echo "hookpit-growth: sizes $sizes; $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg); results in $out" >&2
stored=0
for size in $sizes; do
    if [[ "$size" -gt "$stored" ]]; then
        echo "storing up to $size messages..." >&2
        report="$(load "http://127.0.0.1:$port" "$hook_pid" count --requests $((size - stored)) --progress 15)"
        stored=$((stored + $(stored_in "$report")))
        chatid="$(grep -o '"chatid":"[^"]*"' <<<"$report" | cut -d'"' -f4)"
    fi
    record "$stored" stored "{\"messages\":$stored}"
    record "$stored" baseline "$(load "http://127.0.0.1:$base_port" "$base_pid" saturation --duration "$duration" --warmup 0.5)"
    report="$(load "http://127.0.0.1:$port" "$hook_pid" saturation --duration "$duration" --warmup 0.5)"
    record "$stored" saturation "$report"
    added="$(stored_in "$report")"
    report="$(load "http://127.0.0.1:$port" "$hook_pid" rate --rate 1000 --duration "$duration" --warmup 0.5)"
    record "$stored" rate "$report"
    added=$((added + $(stored_in "$report")))
    record "$stored" rss "$("$bench" rss --pid "$hook_pid")"
    record "$stored" disk "{\"bytes\":$(du -sb "$data" | cut -f1),\"messages\":$((stored + added))}"
    record "$stored" inbox "$("$bench" inbox --url "http://127.0.0.1:$port" --chatid "$chatid" --limit 50 --repeat 20)"
    # The next size is reached from what is stored now, measurements included.
    stored=$((stored + added))
    echo "at $size: done (now $stored stored)" >&2
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$results" <<'EOF' | tee "$out/table.md"
import json, sys
rows = {}
for line in open(sys.argv[1]):
    entry = json.loads(line)
    rows.setdefault(entry["size"], {})[entry["kind"]] = entry["data"]
print("| stored at the start | baseline req/s | Hookpit req/s | ratio | p50 / p99 at 1,000 req/s, ms | RSS, MiB | bytes on disk per message (WAL included) | inbox first page, median ms |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|")
for size in sorted(rows):
    r = rows[size]
    base, hook, rate = r["baseline"]["throughput"], r["saturation"]["throughput"], r["rate"]
    disk = r["disk"]
    inbox = r["inbox"]
    median = inbox.get("median_ms", inbox.get("p50_ms", float("nan")))
    print(f"| {size:,} | {base:,.0f} | {hook:,.0f} | {hook / base:.0%} | {rate['p50_ms']:.2f} / {rate['p99_ms']:.2f} "
          f"| {r['rss']['rss_kib'] / 1024:.1f} | {disk['bytes'] / max(disk['messages'], 1):,.0f} | {median:.2f} |")
EOF
