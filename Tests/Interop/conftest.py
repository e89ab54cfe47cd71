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


@pytest.fixture(scope="session")
def base_url():
    """Run the server on a free port with a temporary database; yield its URL."""
    if not BIN.is_file():
        pytest.exit(f"understudy binary not found at {BIN} (set UNDERSTUDY_BIN)", 2)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="understudy-interop-") as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [
                    str(BIN), "serve",
                    "--host", "127.0.0.1", "--port", str(port), "--issuer", url,
                    "--db", str(Path(tmp) / "understudy.sqlite"),
                    "--seed", str(REPO / "seed" / "default.yaml"),
                    "--seed", str(HERE / "seed-interop.yaml"),
                    "--keys", str(REPO / "keys"),
                ],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
            )
            try:
                if not wait_healthy(url, proc):
                    stop(proc)
                    output = log_path.read_text(errors="replace")
                    pytest.exit(f"understudy did not become healthy "
                                f"(exit code {proc.returncode}):\n{output}", 2)
                yield url
            finally:
                stop(proc)


@pytest.fixture(scope="session")
def discovery(base_url):
    """The server's OpenID Provider metadata."""
    r = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5)
    r.raise_for_status()
    return r.json()
