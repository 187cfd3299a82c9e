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

# A test binary bakes in the path of the checkout it was built from (CARGO_MANIFEST_DIR: insta's
# snapshots, the fuzz seeds), and cargo takes a workspace member's build from another checkout
# of the same sources as fresh. So when this build folder last served another checkout, the
# workspace's own packages are rebuilt here (dependencies, the bulk of the build, are kept).
hookpit_checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
hookpit_stamp="$CARGO_TARGET_DIR/.hookpit-checkout"
if [[ -f "$hookpit_stamp" && "$(cat "$hookpit_stamp")" != "$hookpit_checkout" ]]; then
  echo "target-dir: $CARGO_TARGET_DIR last built $(cat "$hookpit_stamp"); rebuilding the workspace's packages" >&2
  (cd "$hookpit_checkout" &&
    cargo metadata --format-version 1 --no-deps --offline |
    python3 -c 'import json, sys; print(" ".join("-p " + p["name"] for p in json.load(sys.stdin)["packages"]))' |
    xargs cargo clean --offline -q)
fi
mkdir -p "$CARGO_TARGET_DIR"
echo "$hookpit_checkout" >"$hookpit_stamp"
