#!/usr/bin/env bash
# The test command: everything, from a fresh Debian 12 machine with Swift 6.3.
#   1. installs the system packages the build and the interop suite need (when missing;
#      scripts/browser.sh installs chromium and chromium-driver itself),
#   2. checks formatting, builds once (package, executable and tests),
#   3. runs the Swift tests, then the Python interop and browser suites against the built binary.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

missing=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

echo "== format check"
swift format lint --strict --parallel --recursive Sources Tests Package.swift

echo "== build"
swift build --build-tests

echo "== Swift tests"
swift test --skip-build --disable-xctest

echo "== interop tests (authlib, PyJWT)"
UNDERSTUDY_BIN="$(swift build --show-bin-path)/understudy" scripts/interop.sh

echo "== browser tests (selenium, chromium)"
UNDERSTUDY_BIN="$(swift build --show-bin-path)/understudy" scripts/browser.sh
