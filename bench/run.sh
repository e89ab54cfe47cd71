#!/usr/bin/env bash
# The benchmark: one command, one machine, one run. See bench/README.md.
#   bench/run.sh [--no-build] [--quick] [--soak SECONDS] [--check] [--duration S] [--starts N] [--keep-tmp]
# 1. installs wrk and openssl through apt when they are missing (and libsqlite3-dev and libssl-dev for the build),
# 2. builds the release binary as docker/Dockerfile does, unless --no-build or UNDERSTUDY_BIN is given,
# 3. runs bench/bench.py (Python 3 standard library only): prints a table, writes
#    bench/results/<UTC timestamp>.json and bench/results/latest.json.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

build=1
for arg in "$@"; do
    case "$arg" in
        --no-build) build=0 ;;
        -h | --help) exec python3 "$repo/bench/bench.py" --help ;;
    esac
done
[[ -n "${UNDERSTUDY_BIN:-}" ]] && build=0

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
if ((build)); then
    dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
    dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
fi
if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if ((build)); then
    echo "== release build (as in docker/Dockerfile)" >&2
    UNDERSTUDY_BIN="$("$repo/scripts/build-release.sh")"
else
    UNDERSTUDY_BIN="${UNDERSTUDY_BIN:-$repo/.build/release/understudy}"
fi
if [[ ! -x "$UNDERSTUDY_BIN" ]]; then
    echo "no understudy binary at $UNDERSTUDY_BIN (build it, or drop --no-build)" >&2
    exit 2
fi
export UNDERSTUDY_BIN
exec python3 "$repo/bench/bench.py" "$@"
