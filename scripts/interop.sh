#!/usr/bin/env bash
# Runs the Python interop suite (authlib, PyJWT) against the built understudy binary.
# Usage: scripts/interop.sh [pytest args...]   (env UNDERSTUDY_BIN overrides the binary)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-interop"
cd "$repo"

if [[ ! -x "$venv/bin/python" ]]; then
    if ! python3 -m venv "$venv"; then
        # Debian/Ubuntu ship venv (and ensurepip) separately.
        rm -rf "$venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        python3 -m venv "$venv"
    fi
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/Interop/requirements.txt
exec "$venv/bin/python" -m pytest -q Tests/Interop "$@"
