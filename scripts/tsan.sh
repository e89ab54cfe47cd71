#!/usr/bin/env bash
# The concurrency-heavy Swift tests under ThreadSanitizer, in a build folder of their own (.build-tsan), so
# the normal build is untouched. Not part of every CI run: a sanitized build from scratch takes minutes.
# Usage: scripts/tsan.sh [extra swift test arguments]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
filter='ConcurrencyTests|KeyRotationTests|AdminCatalogTests|AdminResetTests|DeactivationTests|LockoutTests|SCIMGroupsTests|SCIMUsersTests|IntrospectionAndRevocationTests|UserGrantTests|TokenTests|AuditLog|HotPathEncodingTests'
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
swift build --build-tests --sanitize=thread --scratch-path .build-tsan
swift test --skip-build --sanitize=thread --scratch-path .build-tsan --disable-xctest --filter "$filter" "$@"
