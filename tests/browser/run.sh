#!/usr/bin/env bash
# Browser tests of the Hookpit inbox: real headless Chromium (Debian's package) against the real
# server binary. Installs what is missing (chromium and CJK fonts with apt-get, playwright-core
# with npm ci), starts `hookpit serve` on a free port with a temporary data directory, runs the
# tests with node's test runner, stops the server, and exits non-zero when a test fails.
#
# Environment: HOOKPIT_BIN (default $CARGO_TARGET_DIR/debug/hookpit), CARGO_TARGET_DIR (default
# ~/.cache/hookpit-target), HOOKPIT_SCREENSHOTS (default tests/browser/screenshots), CHROMIUM
# (default /usr/bin/chromium). Extra arguments are passed to `node --test` (e.g. a test file);
# `run.sh bench` runs the benchmark of opening a chat of 100,000 messages instead.
set -euo pipefail
cd "$(dirname "$0")"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hookpit-target}"
BIN="${HOOKPIT_BIN:-$CARGO_TARGET_DIR/debug/hookpit}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export HOOKPIT_SCREENSHOTS="${HOOKPIT_SCREENSHOTS:-$PWD/screenshots}"

say() { printf 'browser tests: %s\n' "$*" >&2; }

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

if [ ! -x "$CHROMIUM" ]; then
  say "installing Debian's chromium"
  apt_install chromium
fi
# Chinese fonts, so that the screenshots show text rather than boxes (not needed to pass).
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]; then
  say "installing CJK fonts for readable screenshots"
  apt_install fonts-noto-cjk || say "could not install fonts-noto-cjk; screenshots may show boxes"
fi
if [ ! -d node_modules/playwright-core ]; then
  say "installing playwright-core (npm ci; no browser download)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -x "$BIN" ]; then
  say "no hookpit binary at $BIN: build it with 'cargo build -p hookpit' or set HOOKPIT_BIN"
  exit 1
fi

work="$(mktemp -d)"
log="$work/server.log"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port and the banner tells which.
extra=()
if [ "${1:-}" = "bench" ]; then extra=(--limits off); fi # seeding 100,000 messages needs no rate limit
"$BIN" serve --listen 127.0.0.1:0 --data "$work/data" "${extra[@]}" >"$log" 2>&1 &
server=$!

webhook=""
for _ in $(seq 1 300); do
  webhook="$(grep -oE 'webhook: https?://[^[:space:]]+' "$log" | head -n 1 | sed 's/^webhook: //' || true)"
  [ -n "$webhook" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    say "the server exited before printing its banner:"; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done
if [ -z "$webhook" ]; then say "no 'webhook:' line from the server:"; cat "$log" >&2; exit 1; fi

export HOOKPIT_URL="${webhook%%/cgi-bin/*}"
export HOOKPIT_KEY="${webhook##*key=}"
ready=""
for _ in $(seq 1 300); do
  if curl -fsS -o /dev/null "$HOOKPIT_URL/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then say "$HOOKPIT_URL/readyz never answered:"; cat "$log" >&2; exit 1; fi

say "server $HOOKPIT_URL (log $log), screenshots in $HOOKPIT_SCREENSHOTS"
mkdir -p "$HOOKPIT_SCREENSHOTS"

status=0
if [ "${1:-}" = "bench" ]; then
  # The 100,000-message chat benchmark (not part of the test run).
  node bench-open-chat.js || status=$?
elif [ "$#" -gt 0 ]; then
  node --test --test-reporter=spec --test-concurrency=1 "$@" || status=$?
else
  # One file at a time: they share the server, and the inbox file clears all messages.
  node --test --test-reporter=spec --test-concurrency=1 inbox.test.js messages.test.js view-as.test.js xss.test.js || status=$?
fi
say "screenshots: $HOOKPIT_SCREENSHOTS"
if [ "$status" -ne 0 ]; then
  say "failed; server log:"; tail -n 40 "$log" >&2
fi
exit "$status"
