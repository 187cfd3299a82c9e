#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 60), one at a time, on its seeds and
# its working corpus; then prints, per target, the executions, exec/s, libFuzzer's final `cov:`
# and `ft:`, the corpus size and any crash artifact. Exits non-zero if a target crashed.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Not part of CI. Needs cargo-fuzz (installed if missing) and nightly flags, which
# RUSTC_BOOTSTRAP=1 lets the stable toolchain accept. Builds go to their own directory so the
# sanitizer flags never invalidate the main build cache. FUZZ_SANITIZER=none runs faster.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
shift || true
export RUSTC_BOOTSTRAP=1
export CARGO_TERM_COLOR=never
target_dir="${HOOKPIT_FUZZ_TARGET_DIR:-$HOME/.cache/hookpit-fuzz-target}"
sanitizer="${FUZZ_SANITIZER:-address}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

# The longest input each target is given: bodies well past each limit the parsers enforce (the
# server caps a send body at 4 MiB, but parse_send's rules all bite far earlier).
max_len() {
  case "$1" in
    parse_send) echo 262144 ;;
    render_markdown | render_markdown_v2) echo 8192 ;; # markdown content ≤ 4096 bytes
    callback_crypto) echo 4096 ;;
    *) echo 65536 ;;
  esac
}

# -a: debug assertions and overflow checks, so an arithmetic overflow is a crash too.
build() {
  nice -n 19 cargo fuzz build -a --sanitizer "$sanitizer" --target-dir "$target_dir" "$@" </dev/null
}
if [ "$#" -gt 0 ]; then
  for target in "${targets[@]}"; do build "$target"; done
else
  build
fi
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="$target_dir/$triple/release"

failed=0
summary=()
for target in "${targets[@]}"; do
  corpus="corpus/$target"
  artifacts="artifacts/$target"
  log="artifacts/$target.log"
  mkdir -p "$corpus" "$artifacts" "seeds/$target"
  echo "== $target: ${seconds}s" >&2
  status=0
  nice -n 19 "$bin/$target" "$corpus" "seeds/$target" \
    -max_total_time="$seconds" -max_len="$(max_len "$target")" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" -close_fd_mask=1 \
    </dev/null >"$log" 2>&1 ||
    status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  final="$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$final")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$final")"
  size="$(find "$corpus" -type f | wc -l)"
  crash="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
  line="$target: runs ${runs:-?} exec/s ${speed:-?} cov ${cov:-?} ft ${ft:-?} corpus $size"
  if [ "$status" -ne 0 ]; then
    failed=1
    line="$line CRASHED (exit $status) ${crash:-see $log}"
    grep -m1 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" >&2 || true
  fi
  echo "$line" >&2
  summary+=("$line")
done

printf '%s\n' "${summary[@]}"
exit "$failed"
