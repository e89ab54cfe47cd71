"""Starts one Understudy server for the interop suite."""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BIN = Path(os.environ.get("UNDERSTUDY_BIN", REPO / ".build" / "debug" / "understudy"))
STARTUP_TIMEOUT = 20.0

ORDERS = ("orders-service", "orders-secret")
ES = ("es-service", "es-secret with spaces&symbols:")


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base_url: str, proc: subprocess.Popen) -> bool:
    """Poll /healthz until it answers ok, the process exits, or time runs out."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            r = requests.get(f"{base_url}/healthz", timeout=1)
            if r.status_code == 200 and r.json().get("status") == "ok":
                return True
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server, then SIGKILL if it does not exit promptly."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class ServerStartError(RuntimeError):
    """The server binary is missing, or the server did not become healthy (with its output)."""


def start_server(extra_seed_yaml=None, seeds=None):
    """Start understudy on a free port with a temporary database; return (url, stop).

    The seeds are `seeds` (default: seed/default.yaml and seed-interop.yaml), then
    `extra_seed_yaml`, when given, written to a file in the temporary folder. `stop()` ends the
    server and removes the folder. Raises ServerStartError, with the server's output, when the
    server does not become healthy."""
    if not BIN.is_file():
        raise ServerStartError(f"understudy binary not found at {BIN} (set UNDERSTUDY_BIN)")
    if seeds is None:
        seeds = [REPO / "seed" / "default.yaml", HERE / "seed-interop.yaml"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tmp = tempfile.TemporaryDirectory(prefix="understudy-interop-")
    seed_paths = [Path(seed) for seed in seeds]
    if extra_seed_yaml is not None:
        extra = Path(tmp.name) / "extra-seed.yaml"
        extra.write_text(extra_seed_yaml)
        seed_paths.append(extra)
    log_path = Path(tmp.name) / "server.log"
    command = [
        str(BIN), "serve",
        "--host", "127.0.0.1", "--port", str(port), "--issuer", url,
        "--db", str(Path(tmp.name) / "understudy.sqlite"),
        "--keys", str(REPO / "keys"),
    ]
    for seed in seed_paths:
        command += ["--seed", str(seed)]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)

    def stop_server():
        stop(proc)
        tmp.cleanup()

    stop_server.log_path = log_path  # readable until stop_server() runs

    if not wait_healthy(url, proc):
        stop(proc)
        output = log_path.read_text(errors="replace")
        tmp.cleanup()
        raise ServerStartError(f"understudy did not become healthy "
                               f"(exit code {proc.returncode}):\n{output}")
    return url, stop_server


@pytest.fixture(scope="session")
def base_url():
    """Run the server on a free port with a temporary database; yield its URL."""
    try:
        url, stop_server = start_server()
    except ServerStartError as error:
        pytest.exit(str(error), 2)
    try:
        yield url
    finally:
        stop_server()


@pytest.fixture(scope="session")
def discovery(base_url):
    """The server's OpenID Provider metadata."""
    r = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5)
    r.raise_for_status()
    return r.json()
