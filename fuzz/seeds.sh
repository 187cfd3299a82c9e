#!/usr/bin/env bash
# Regenerates fuzz/seeds/: the protocol crate's conformance cases and callback examples and the
# render crate's XSS corpus (each written by a test when HOOKPIT_FUZZ_SEEDS is set), plus a few upload forms and AMR
# files built here. Deterministic; run it after the cases change and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/target-dir.sh
seeds="$PWD/fuzz/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"

# With HOOKPIT_FUZZ_SEEDS set these tests write the seeds; without it (in CI) they check that
# the committed seeds are still the cases.
HOOKPIT_FUZZ_SEEDS="$seeds" cargo test --quiet --locked -p hookpit-protocol \
  --test conformance --test callback -- --exact \
  the_fuzz_seeds_are_the_cases seeds::the_fuzz_seeds_are_the_document_examples
HOOKPIT_FUZZ_SEEDS="$seeds" cargo test --quiet --locked -p hookpit-render --test render -- \
  --exact seeds::the_fuzz_seeds_are_the_xss_payloads

# AMR-NB: the target prepends the `#!AMR\n` magic. Mode 7 (12.2 kbit/s) frames are 32 bytes.
amr="$seeds/upload_amr"
mkdir -p "$amr"
frame7() { printf '\x3c'; head -c 31 /dev/zero; }
{ for _ in 1 2 3; do frame7; done; } >"$amr/three_122_frames"
# One frame of each type 0..15 (each header alone; the sizes differ).
for type in $(seq 0 15); do printf "\\x$(printf %02x $((type << 3 | 4)))"; done >"$amr/every_frame_type"
printf '\x44\x00\x00\x00\x00\x00\x7c\x7c' >"$amr/sid_and_no_data"

# Multipart forms with the target's boundary `hookpit-fuzz`, as curl -F writes them.
form="$seeds/upload_form"
mkdir -p "$form"
crlf() { printf '%s\r\n' "$@"; }
{
  crlf '--hookpit-fuzz' 'Content-Disposition: form-data; name="media"; filename="voice.amr"' \
    'Content-Type: application/octet-stream' ''
  printf '#!AMR\n'; frame7; frame7; printf '\r\n'
  crlf '--hookpit-fuzz--'
} >"$form/media_voice"
{
  crlf '--hookpit-fuzz' 'Content-Disposition: form-data; name="file"; filename="a.png"' \
    'Content-Type: image/png' ''
  printf '\x89PNG\r\n\x1a\n0000000000000000\r\n'
  crlf '--hookpit-fuzz' 'Content-Disposition: form-data; name="media"; filename="b.mp4"' ''
  printf '\0\0\0\x18ftypmp42\r\n'
  crlf '--hookpit-fuzz--'
} >"$form/later_media_wins"
{
  crlf '--hookpit-fuzz' 'Content-Disposition: form-data; name="note"' '' 'hello'
  crlf '--hookpit-fuzz--'
} >"$form/no_file"
{
  crlf 'preamble' '--hookpit-fuzz' \
    'Content-Disposition: form-data; name*=UTF-8'"''"'media; filename="%E6%96%87.txt"' ''
  printf 'abcdef\r\n'
  crlf '--hookpit-fuzz--' 'epilogue'
} >"$form/encoded_name_with_preamble"

find "$seeds" -type f | sed "s|^$seeds/||" | cut -d/ -f1 | sort | uniq -c
du -sh "$seeds"
