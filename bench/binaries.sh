# Sourced by run.sh and growth.sh (after scripts/target-dir.sh): sets `hookpit` and `bench` to
# the release binaries, building what is missing. HOOKPIT_BIN: measure another server binary
# (e.g. a debug build while trying a script); HOOKPIT_BENCH_BIN: a prebuilt generator. With both,
# nothing is built (comparing two prebuilt builds while the source tree is changing).
packages=()
[[ -z "${HOOKPIT_BENCH_BIN:-}" ]] && packages+=(-p hookpit-bench)
[[ -z "${HOOKPIT_BIN:-}" ]] && packages+=(-p hookpit)
if [[ ${#packages[@]} -gt 0 ]]; then
    (cd "$(dirname "${BASH_SOURCE[0]}")/.." && cargo build --release -q "${packages[@]}") </dev/null
fi
hookpit="${HOOKPIT_BIN:-$CARGO_TARGET_DIR/release/hookpit}"
bench="${HOOKPIT_BENCH_BIN:-$CARGO_TARGET_DIR/release/hookpit-bench}"
