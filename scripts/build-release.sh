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
for arg in "$@"; do
    case "$arg" in
        -c | --configuration | -c=* | --configuration=*) echo "build-release: the configuration is release; do not pass $arg" >&2 && exit 2 ;;
    esac
done
flags=(-c release --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections)
bin="$(swift build "${flags[@]}" --show-bin-path "$@")"
# SwiftPM does not recompile packages whose objects exist when only these flags change: a release folder
# built with other flags would keep its old objects and link a binary laid out differently. The flags of
# the last build are noted next to the products; different flags start the release folder afresh.
stamp="$bin/.understudy-release-flags"
wanted="${flags[*]} $*"
if [[ -d "$bin" && "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]]; then
    echo "build-release: $bin was built with other flags; rebuilding it from scratch" >&2
    rm -rf "$bin"
fi
swift build "${flags[@]}" --product understudy "$@" >&2
printf '%s' "$wanted" >"$stamp"
echo "$bin/understudy"
