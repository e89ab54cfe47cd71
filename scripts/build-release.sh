#!/usr/bin/env bash
# Builds the release binary exactly as docker/Dockerfile, the test command and the benchmark do, and prints
# its path. Extra arguments go to `swift build`.
#
# -function-sections (Swift) and -ffunction-sections (C) give every function its own section, in every
# package, so the release link can lay out by function (linker/understudy.order) and gather the compiler's
# unnamed helpers (linker/understudy.ld). Without them a whole source file's code moves as one piece and the
# start-up code stays scattered (bench/README.md, "Memory"). Package.swift cannot set flags for dependencies,
# hence this script.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
flags=(-c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections)
swift build "${flags[@]}" --product understudy "$@" >&2
echo "$(swift build "${flags[@]}" --show-bin-path "$@")/understudy"
