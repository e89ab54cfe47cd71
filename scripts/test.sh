#!/usr/bin/env bash
# The test command: everything, from a fresh Debian 12 machine with Swift 6.3.
#   1. installs the system packages the build and the interop suite need (when missing;
#      scripts/browser.sh installs chromium and chromium-driver itself),
#   2. checks formatting, builds once (package, executable and tests),
#   3. runs the Swift tests, then the Python interop and browser suites against the built binary,
#   4. builds the release binary as docker/Dockerfile does and proves the Docker recipe with it
#      (hadolint, compose structure, the image's entrypoint and healthcheck, the compose scenario).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

missing=()
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
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
# -s: the hardening, soak and durability tests print their counts (inputs tried, attacks refused, 5xx seen, memory).
UNDERSTUDY_BIN="$(swift build --show-bin-path)/understudy" scripts/interop.sh -s

echo "== browser tests (selenium, chromium)"
UNDERSTUDY_BIN="$(swift build --show-bin-path)/understudy" scripts/browser.sh

# The image's binary: the Docker recipe is proven with exactly what docker/Dockerfile builds.
echo "== release build (as in docker/Dockerfile)"
release_bin="$(scripts/build-release.sh)"

echo "== docker checks (hadolint, compose structure, the image's recipe as local processes)"
UNDERSTUDY_RELEASE_BIN="$release_bin" UNDERSTUDY_REQUIRE_RELEASE_BIN=1 scripts/docker-check.sh
