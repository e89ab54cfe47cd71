"""Fixtures for the real-browser suite: one Understudy server, a tiny CORS-enabled
"authorizer" API that checks access tokens, and a fresh headless Chromium per test."""

import json
import os
import re
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BIN = Path(os.environ.get("UNDERSTUDY_BIN", REPO / ".build" / "debug" / "understudy"))
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")
ARTIFACTS = REPO / "test-artifacts"
STARTUP_TIMEOUT = 20.0

CLIENT_ID = "browser-spa"
CLIENT_SCOPES = ["openid", "profile", "email", "groups", "orders/get.order"]
MANAGER = ("manager", "manager-password")
EMPLOYEE = ("employee", "employee-password")
MANAGER_GROUP = "SPA-Manager"
EMPLOYEE_GROUP = "SPA-Employee"

# Selenium Manager must not try the network: chromium and chromedriver come from Debian.
os.environ.setdefault("SE_OFFLINE", "true")


def free_port() -> int:
    """A TCP port nobody listens on at 127.0.0.1 at the moment."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_is_healthy(base_url: str) -> bool:
    """True when /healthz answers 200 with status ok."""
    try:
        r = requests.get(f"{base_url}/healthz", timeout=1)
        return r.status_code == 200 and r.json().get("status") == "ok"
    except (requests.RequestException, ValueError):
        return False


def terminate(proc: subprocess.Popen) -> None:
    """Send SIGTERM; fall back to SIGKILL after five seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def browser_seed(base_url: str) -> str:
    """Seed YAML adding a public client whose URIs point at this run's playground."""
    scopes = ", ".join(CLIENT_SCOPES)
    return (
        "# Written by Tests/Browser/conftest.py for one test run.\n"
        "clients:\n"
        f"  - client_id: {CLIENT_ID}\n"
        "    name: Browser tests (playground)\n"
        "    public: true\n"
        f"    redirect_uris: [{base_url}/playground/callback]\n"
        f"    post_logout_redirect_uris: [{base_url}/playground]\n"
        "    grant_types: [implicit, authorization_code, refresh_token]\n"
        f"    scopes: [{scopes}]\n"
        "    dialect: generic\n"
    )


@pytest.fixture(scope="session")
def base_url():
    """Start understudy on a free port with a throw-away database; yield its URL (= issuer)."""
    if not BIN.is_file():
        pytest.exit(f"understudy binary not found at {BIN} (set UNDERSTUDY_BIN)", 2)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "browser-server.log"
    with tempfile.TemporaryDirectory(prefix="understudy-browser-") as tmp:
        seed_path = Path(tmp) / "browser-seed.yaml"
        seed_path.write_text(browser_seed(url))
        command = [
            str(BIN), "serve",
            "--host", "127.0.0.1", "--port", str(port), "--issuer", url,
            "--db", str(Path(tmp) / "understudy.sqlite"),
            "--seed", str(REPO / "seed" / "default.yaml"),
            "--seed", str(seed_path),
            "--keys", str(REPO / "keys"),
        ]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + STARTUP_TIMEOUT
                while not server_is_healthy(url):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        terminate(proc)
                        output = log_path.read_text(errors="replace")
                        pytest.exit(f"understudy did not become healthy "
                                    f"(exit code {proc.returncode}):\n{output}", 2)
                    time.sleep(0.2)
                yield url
            finally:
                terminate(proc)


@pytest.fixture(scope="session")
def discovery(base_url):
    """The server's OpenID Provider metadata."""
    r = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5)
    r.raise_for_status()
    return r.json()


@pytest.fixture(scope="session")
def jwks_client(discovery):
    """A PyJWT key fetcher for the server's JWKS (keys are cached between tests)."""
    return jwt.PyJWKClient(discovery["jwks_uri"])


# --- the authorizer: a stand-in resource server the playground calls from the browser ---


@dataclass
class Authorizer:
    """Where the authorizer listens, and the bearer tokens it has been shown."""

    url: str
    tokens: list = field(default_factory=list)


def authorizer_handler(issuer: str, keys: jwt.PyJWKClient, seen: list):
    """A request handler class that authorizes GET /orders for SPA-Manager members only."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
            pass

        def cors(self):
            self.send_header("Access-Control-Allow-Origin", "*")

        def reply(self, status, body, extra=None):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_OPTIONS(self):
            self.send_response(204)
            self.cors()
            self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
            self.send_header("Access-Control-Allow-Methods", "GET, POST")
            self.send_header("Access-Control-Max-Age", "600")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            if self.path.split("?", 1)[0] != "/orders":
                self.reply(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                self.reply(401, {"allowed": False, "error": "missing bearer token"},
                           {"WWW-Authenticate": "Bearer"})
                return
            token = token.strip()
            seen.append(token)
            try:
                header = jwt.get_unverified_header(token)
                if str(header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
                    raise jwt.InvalidTokenError(f"typ is {header.get('typ')!r}, not at+jwt")
                key = keys.get_signing_key_from_jwt(token)
                claims = jwt.decode(
                    token, key.key, algorithms=["RS256", "ES256"], issuer=issuer,
                    options={"verify_aud": False, "require": ["iss", "sub", "exp", "iat"]},
                )
            except (jwt.PyJWTError, ValueError) as error:
                self.reply(401, {"allowed": False, "error": str(error)},
                           {"WWW-Authenticate": 'Bearer error="invalid_token"'})
                return
            groups = claims.get("groups") or []
            body = {"allowed": MANAGER_GROUP in groups, "sub": claims.get("sub"), "groups": groups}
            self.reply(200 if body["allowed"] else 403, body)

        do_POST = do_GET

    return Handler


@pytest.fixture(scope="session")
def authorizer(base_url, jwks_client):
    """Run the authorizer API on a free port for the whole session."""
    tokens = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()),
                                 authorizer_handler(base_url, jwks_client, tokens))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="authorizer", daemon=True)
    thread.start()
    try:
        yield Authorizer(url=f"http://127.0.0.1:{server.server_address[1]}/orders", tokens=tokens)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- the browser ---

REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report so the browser fixture knows whether the test failed."""
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


def chrome_options() -> Options:
    """Headless Chromium from Debian, with password-manager prompts switched off."""
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1100"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {
        "credentials_enable_service": False,
        "profile.password_manager_enabled": False,
        "profile.password_manager_leak_detection": False,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


def save_failure_artifacts(driver, nodeid: str) -> None:
    """Screenshot, page source, URL and console log of a failed test into test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = str(ARTIFACTS / re.sub(r"[^A-Za-z0-9_-]+", "_", nodeid).strip("_"))
    try:
        driver.save_screenshot(stem + ".png")
        Path(stem + ".html").write_text(driver.page_source)
        lines = [f"url: {driver.current_url}", "", "console:"]
        try:
            lines += [f"{e.get('level')} {e.get('message')}" for e in driver.get_log("browser")]
        except Exception as error:  # the log endpoint is a Chrome extension to WebDriver
            lines.append(f"(unavailable: {error})")
        Path(stem + ".txt").write_text("\n".join(lines) + "\n")
    except Exception as error:
        print(f"could not save browser artifacts for {nodeid}: {error}")


@pytest.fixture
def browser(request, base_url):
    """A fresh headless Chromium (empty cookie jar) per test; artifacts saved on failure."""
    driver = webdriver.Chrome(options=chrome_options(), service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        reports = request.node.stash.get(REPORTS, {})
        if any(r.failed for r in reports.values()):
            save_failure_artifacts(driver, request.node.nodeid)
        driver.quit()
