# Sourced by the test and benchmark scripts: exports CARGO_TARGET_DIR as the build folder cargo
# itself uses (`$CARGO_TARGET_DIR`, a `build.target-dir` of a cargo config, or `./target`), so
# `cargo run`, the tests and the benchmarks share one build and the scripts find its binaries.
# CI sets CARGO_TARGET_DIR outside the clone (`.ci/run`) so that its next run is incremental.
if [[ -z "${CARGO_TARGET_DIR:-}" ]]; then
  CARGO_TARGET_DIR="$(cargo metadata --format-version 1 --no-deps --offline \
    --manifest-path "$(dirname "${BASH_SOURCE[0]}")/../Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
fi
export CARGO_TARGET_DIR
