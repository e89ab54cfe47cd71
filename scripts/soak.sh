#!/usr/bin/env bash
# Five minutes of mixed load (tokens, JWKS, userinfo, SCIM writes) with the server's RSS sampled; prints
# the counts and the memory growth. Usage: scripts/soak.sh [seconds]   (env UNDERSTUDY_BIN: the binary;
# default: the debug build, built first).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
seconds="${1:-300}"
if [[ -z "${UNDERSTUDY_BIN:-}" ]]; then
    swift build --product understudy
    export UNDERSTUDY_BIN="$repo/.build/debug/understudy"
fi
UNDERSTUDY_SOAK_SECONDS="$seconds" exec scripts/interop.sh -s -k soak
