#!/usr/bin/env bash
# Browser tests of the Hookpit inbox: real headless Chromium (Debian's package) against the real
# server binary. Installs what is missing on a fresh Debian machine (chromium, node and npm, CJK
# fonts with apt-get; playwright-core with npm ci), builds `hookpit` and the SDK's example bot
# `echo_bot` (the callback tests start it as a real callback receiver), starts `hookpit serve` on a
# free port with a temporary data directory, runs the tests with node's test runner, stops the
# server, and exits non-zero when a test fails. Needs no terminal: works with CI=true and no stdin.
#
#   tests/browser/run.sh                 every test file
#   tests/browser/run.sh xss.test.js     some files (arguments go to `node --test`)
#   tests/browser/run.sh bench           the benchmark: open a chat of 100,000 messages
#
# Environment: HOOKPIT_BIN and ECHO_BOT_BIN (prebuilt binaries: skip the build), CARGO_TARGET_DIR (default:
# cargo's own, scripts/target-dir.sh), HOOKPIT_SCREENSHOTS (default tests/browser/screenshots), CHROMIUM
# (default /usr/bin/chromium); the benchmark's own variables are listed in bench-open-chat.js.
set -euo pipefail
exec </dev/null # nothing below may wait for a keyboard
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

source "$root/scripts/target-dir.sh"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export HOOKPIT_SCREENSHOTS="${HOOKPIT_SCREENSHOTS:-$PWD/screenshots}"
mode="test"
if [ "${1:-}" = "bench" ]; then mode="bench"; shift; fi

say() { printf 'browser tests: %s\n' "$*" >&2; }

source "$root/scripts/apt-install.sh"

# ---------------------------------------------------------------- what the tests need

if [ ! -x "$CHROMIUM" ]; then
  say "installing Debian's chromium"
  apt_install chromium
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  say "installing node and npm"
  apt_install nodejs npm
fi
# Chinese fonts, so that the screenshots show text rather than boxes (not needed to pass).
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
  say "installing CJK fonts for readable screenshots"
  apt_install fonts-noto-cjk || say "could not install fonts-noto-cjk; screenshots may show boxes"
fi
if [ ! -f node_modules/playwright-core/package.json ]; then
  say "installing playwright-core (npm ci; it downloads no browser)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

cargo_flags=(--quiet)
if [ -n "${CI:-}" ]; then cargo_flags+=(--locked); fi # CI must build what Cargo.lock says
# One cargo invocation for both binaries: they share most of the dependency graph.
hookpit_target=(-p hookpit --bin hookpit)
echo_target=(-p hookpit-client --example echo_bot)
if [ -n "${HOOKPIT_BIN:-}" ]; then
  BIN="$HOOKPIT_BIN"
  if [ -z "${ECHO_BOT_BIN:-}" ] && [ "$mode" = "test" ]; then
    say "building echo_bot"
    (cd "$root" && cargo build "${cargo_flags[@]}" "${echo_target[@]}")
  fi
elif [ "$mode" = "bench" ]; then
  # A benchmark measures the optimised server (and needs no echo bot).
  say "building hookpit (release)"
  (cd "$root" && cargo build --release "${cargo_flags[@]}" "${hookpit_target[@]}")
  BIN="$CARGO_TARGET_DIR/release/hookpit"
else
  say "building hookpit and echo_bot"
  (cd "$root" && cargo build "${cargo_flags[@]}" "${hookpit_target[@]}" "${echo_target[@]}")
  BIN="$CARGO_TARGET_DIR/debug/hookpit"
fi
if [ ! -x "$BIN" ]; then say "no hookpit binary at $BIN"; exit 1; fi
export HOOKPIT_BIN="$BIN" # some tests start a server of their own (e.g. with --admin-token)
export ECHO_BOT_BIN="${ECHO_BOT_BIN:-$CARGO_TARGET_DIR/debug/examples/echo_bot}"
if [ "$mode" = "test" ] && [ ! -x "$ECHO_BOT_BIN" ]; then say "no echo_bot binary at $ECHO_BOT_BIN"; exit 1; fi

# ---------------------------------------------------------------- the server

work="$(mktemp -d)"
log="$work/server.log"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Image uploads are in WeCom's internal document only; the tests need them for the cover of a
# miniprogram message (`pic_media_id` must be an uploaded image).
extra=(--upload-types image)
# Seeding 100,000 messages quickly needs no rate limit (nor the identical-body rule), and no
# fsync per commit (the benchmark measures reads, not durability).
if [ "$mode" = "bench" ]; then extra+=(--limits off --sync normal); fi
# Port 0: the kernel picks a free port, and the banner says which.
"$BIN" serve --listen 127.0.0.1:0 --data "$work/data" "${extra[@]}" >"$log" 2>&1 &
server=$!

webhook=""
for _ in $(seq 1 300); do
  webhook="$(grep -oE 'webhook: https?://[^[:space:]]+' "$log" 2>/dev/null | head -n 1 | sed 's/^webhook: //' || true)"
  [ -n "$webhook" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    say "the server exited before printing its banner:"; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done
if [ -z "$webhook" ]; then say "no 'webhook:' line from the server within 30 s:"; cat "$log" >&2; exit 1; fi

export HOOKPIT_URL="${webhook%%/cgi-bin/*}"
export HOOKPIT_KEY="${webhook##*key=}"
# Ready when /readyz says so (a server without /readyz is ready once it answers at all).
ready=""
for _ in $(seq 1 300); do
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok || r.status === 404 ? 0 : 1), () => process.exit(1))' \
    "$HOOKPIT_URL/readyz"; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then say "$HOOKPIT_URL/readyz never answered:"; cat "$log" >&2; exit 1; fi

say "server $HOOKPIT_URL (log $log)"
mkdir -p "$HOOKPIT_SCREENSHOTS"

# ---------------------------------------------------------------- the tests

runner=(node --test --test-reporter=spec --test-concurrency=1)
# A hung test fails after 2 minutes instead of holding CI (the flag exists from node 20.11).
if node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 11) ? 0 : 1)'; then
  runner+=(--test-timeout=120000)
fi

status=0
if [ "$mode" = "bench" ]; then
  node bench-open-chat.js || status=$?
elif [ "$#" -gt 0 ]; then
  "${runner[@]}" "$@" || status=$?
else
  # One file at a time: they share the server, and the inbox file clears every message. The
  # callback file gives the demo bot a callback URL while it runs, and removes it at its end.
  # The fault file removes every fault rule at its start and at its end; the relay file starts a
  # second server as the relay's upstream and relays a bot of its own to it (removed at its end);
  # the capture file runs the chromium binary itself (a headless --screenshot) against a server
  # of its own.
  "${runner[@]}" callbacks.test.js inbox.test.js messages.test.js view-as.test.js xss.test.js privacy.test.js \
    faults.test.js relay.test.js token.test.js capture.test.js || status=$?
  say "screenshots of every message type: $HOOKPIT_SCREENSHOTS"
fi
if [ "$status" -ne 0 ]; then
  say "failed; the server's log ends with:"; tail -n 40 "$log" >&2
fi
exit "$status"
