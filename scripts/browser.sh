#!/usr/bin/env bash
# Runs the real-browser suite (selenium driving headless Chromium) against the built understudy binary.
# Usage: scripts/browser.sh [pytest args...]   (env UNDERSTUDY_BIN overrides the binary)
# Installs Debian's chromium and chromium-driver when missing (runs as root on CI).
# Screenshots land in test-artifacts/ (playground-signed-in.png, plus one set per failed test).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv-browser"
cd "$repo"

missing=()
dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s chromium-driver >/dev/null 2>&1 || missing+=(chromium-driver)
if ((${#missing[@]})); then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

if [[ ! -x "$venv/bin/python" ]]; then
    if ! python3 -m venv "$venv"; then
        # Debian/Ubuntu ship venv (and ensurepip) separately.
        rm -rf "$venv"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        python3 -m venv "$venv"
    fi
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/Browser/requirements.txt

# Chromium and chromedriver come from Debian; Selenium Manager must never download anything.
export SE_OFFLINE=true
exec "$venv/bin/python" -m pytest -q Tests/Browser "$@"
