"""The image's recipe and the compose scenario, proven without a Docker engine.

This module reads docker/Dockerfile and docker/compose.yaml and runs what they describe as local
processes:

- a temporary folder stands in for the image's WORKDIR (/app): the Dockerfile's COPYs from the build
  context (seed/, keys/) are copied there, its VOLUME folders are created, and the compose service's bind
  mounts (docker/compose-seed) are copied to their targets. Every `/app` path in an argv or environment
  value maps to that folder;
- Understudy runs as exactly the image's ENTRYPOINT argv, with the binary from UNDERSTUDY_RELEASE_BIN
  (default .build/release/understudy) in place of `understudy` (which the Dockerfile copies onto PATH),
  in that folder, with the compose service's environment; the HEALTHCHECK command runs the same way;
- the example hook (docker/hooks/permissions, the Lambda image's CMD `app.handler`) runs unchanged behind
  the RIE stand-in (Tests/Interop/lambda_rie.py), and the example API (docker/api, its Dockerfile's CMD)
  runs as a process with its compose environment;
- the compose network is played by ports: each service's container port is a free local port, so a URL
  `http://<service>:<port>` becomes `http://127.0.0.1:<local port>` (what compose's DNS does), and
  `localhost:<port>`, a service's own or a published one, keeps `localhost` with the local port. That
  rewriting is applied to the argv, the environment and the bind-mounted files, and nothing else.

The only addition is a test seed, appended to UNDERSTUDY_SEED, with copies of the playground clients
(spa, spa-cognito, spa-idcs) whose redirect URIs name the local port instead of 9400, because redirect
URIs are compared exactly. The scenario is then the seeds' own: manager and employee sign in through the
login page, the hook adds `role` and `companies`, and the API allows /manager/orders to SPA-Manager only.
"""

import base64
import copy
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
import yaml

import check_compose
import image_recipe as recipe

REPO = recipe.REPO
# A relative UNDERSTUDY_RELEASE_BIN is taken from the current folder (the processes run elsewhere).
BIN = Path(os.environ.get("UNDERSTUDY_RELEASE_BIN") or REPO / ".build" / "release" / "understudy").resolve()
if not BIN.is_file():
    reason = (f"no release binary at {BIN}: build it with `scripts/build-release.sh` "
              "or set UNDERSTUDY_RELEASE_BIN")
    if os.environ.get("UNDERSTUDY_REQUIRE_RELEASE_BIN"):   # the test command: a missing binary is a failure
        raise RuntimeError(reason)
    pytest.skip(reason, allow_module_level=True)

sys.path.insert(0, str(REPO / "Tests" / "Interop"))
from lambda_rie import start_rie  # noqa: E402 - after the path is known

TIMEOUT = 5
STARTUP_TIMEOUT = 20.0
SERVICE = "understudy"
MANAGER = ("manager", "manager-password")
EMPLOYEE = ("employee", "employee-password")


# ---- the compose network, played on this machine ---------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Network:
    """Local ports for the services' container ports, and the rewriting of URLs and ports that follows."""

    URL = re.compile(r"(https?://)([A-Za-z0-9.-]+):(\d+)")

    def __init__(self, compose):
        self.services = compose["services"]
        self.local = {}        # (service, container port) -> local port
        self.published = {}    # host port -> (service, container port)
        for name, service in self.services.items():
            for host, target in recipe.ports(service):
                self.published[host] = (name, target)

    def assign(self, service, container_port):
        self.local[(service, container_port)] = free_port()
        return self.local[(service, container_port)]

    def rewrite(self, text, inside):
        """`text` with its URLs as seen from the service `inside` (None: the host, a browser)."""
        def replace(match):
            scheme, host, port = match.group(1), match.group(2), int(match.group(3))
            if host in self.services:
                key, host = (host, port), "127.0.0.1"
            elif host in ("localhost", "127.0.0.1"):
                key = (inside, port) if (inside, port) in self.local else self.published.get(port)
            else:
                return match.group(0)
            if key not in self.local:
                raise AssertionError(f"{match.group(0)}: no local stand-in for {key}")
            return f"{scheme}{host}:{self.local[key]}"
        return self.URL.sub(replace, text)

    def rewrite_value(self, value, inside):
        """An argv item or environment value: URLs rewritten; the service's own container port, alone,
        becomes its local port (`--port 9400`, `PORT=8080`)."""
        own = {str(port): local for (service, port), local in self.local.items() if service == inside}
        return str(own[value]) if value in own else self.rewrite(value, inside)


def map_paths(text, workdir, root):
    """`text` with every absolute path under the image's WORKDIR moved under `root`."""
    return re.sub(rf"(?<![\w.:/]){re.escape(workdir)}(?=/|,|$)", str(root), text)


# ---- processes ---------------------------------------------------------------------------------------------

def base_environment(root):
    """A clean environment, as a container's: none of this machine's UNDERSTUDY_* variables."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(root), "LANG": "C.UTF-8"}


def wait_until(check, proc, what, log=None):
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if check():
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    output = Path(log).read_text(errors="replace") if log else ""
    raise AssertionError(f"{what} did not become ready (exit code {proc.poll()}):\n{output}")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Understudy:
    """The image's container, as a process: its /app folder, argv, environment and URLs."""

    image: recipe.Image
    network: Network
    root: Path
    argv: list
    env: dict
    port: int
    issuer: str
    internal: str
    log: Path
    clients: dict = field(default_factory=dict)     # the test-only playground clients, by client_id
    proc: subprocess.Popen | None = None

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=self.root, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)
        wait_until(lambda: requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).ok,
                   self.proc, "understudy", self.log)
        return self

    def stop(self):
        if self.proc:
            stop(self.proc)

    def healthcheck(self):
        """The image's HEALTHCHECK command, run as the container would run it."""
        return run_command(self.image.healthcheck.command, self.network, SERVICE, self.image.workdir, self.root,
                           self.env)


def executable(argv0):
    """The local stand-in for a command the image runs: its own binary for `understudy`."""
    if argv0 == "understudy":
        return str(BIN)
    if argv0 == "python":
        return sys.executable
    raise AssertionError(f"no local stand-in for {argv0!r}")


def run_command(command, network, inside, workdir, root, env):
    argv = [executable(command[0])] + [network.rewrite_value(map_paths(a, workdir, root), inside)
                                       for a in command[1:]]
    return subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, timeout=30)


def lay_out_image(image, service, compose_dir, root, network):
    """The image's /app under `root`: its COPYs from the context, its VOLUMEs, the service's mounts."""
    excluded = recipe.dockerignore_excludes()
    for item in image.context_copies():
        for source in item.sources:
            assert not excluded(source), f"{source} is COPYed but .dockerignore leaves it out of the context"
            origin = REPO / source
            target = Path(map_paths(item.destination, image.workdir, root))
            if item.destination.endswith("/"):
                target = target / origin.name
            if origin.is_dir():
                shutil.copytree(origin, target, dirs_exist_ok=True,
                                ignore=lambda folder, names: [
                                    n for n in names
                                    if excluded(str((Path(folder) / n).relative_to(REPO)))])
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)
    for volume in image.volumes:
        Path(map_paths(volume, image.workdir, root)).mkdir(parents=True, exist_ok=True)
    for mount in recipe.mounts(service):
        target = Path(map_paths(mount.target, image.workdir, root))
        if mount.kind == "volume":
            target.mkdir(parents=True, exist_ok=True)
            continue
        origin = (Path(compose_dir) / mount.source).resolve()
        files = [origin] if origin.is_file() else [p for p in origin.rglob("*") if p.is_file()]
        for file in files:
            destination = target if origin.is_file() else target / file.relative_to(origin)
            destination.parent.mkdir(parents=True, exist_ok=True)
            # Service names resolve through compose's DNS in the container; here, to local ports.
            destination.write_text(network.rewrite(file.read_text(), SERVICE))


def playground_client_copies(seed_files, public_issuer, local_issuer):
    """Test-only copies of the clients that redirect to the public playground, redirecting to the local one."""
    clients = []
    for path in seed_files:
        clients += (yaml.safe_load(Path(path).read_text()) or {}).get("clients") or []
    callback = f"{public_issuer}/playground/callback"
    copies = []
    for client in clients:
        if callback not in (client.get("redirect_uris") or []):
            continue
        clone = copy.deepcopy(client)
        clone["client_id"] = f"recipe-{client['client_id']}"
        clone["name"] = f"{client.get('name', client['client_id'])} (recipe test, local port)"
        clone["redirect_uris"] = [f"{local_issuer}/playground/callback"]
        clone["post_logout_redirect_uris"] = [f"{local_issuer}/playground"]
        copies.append(clone)
    return copies


def prepare_understudy(tmp, network, compose, image):
    """Lays out /app and builds the argv and environment of the understudy service; does not start it."""
    service = compose["services"][SERVICE]
    root = tmp / "app"
    root.mkdir(parents=True)
    lay_out_image(image, service, recipe.COMPOSE_FILE.parent, root, network)
    assert image.argv[0] == "understudy"
    argv = [executable(image.argv[0])] + [network.rewrite_value(map_paths(a, image.workdir, root), SERVICE)
                                          for a in image.argv[1:]]
    compose_env = recipe.environment(service)
    env = base_environment(root)
    env.update({k: network.rewrite_value(map_paths(v, image.workdir, root), SERVICE) for k, v in compose_env.items()})
    container_port = int(recipe.option(image.argv, "--port"))
    port = network.local[(SERVICE, container_port)]

    # The test-only seed: the playground clients, redirecting to the local port.
    seeds = [p for p in env["UNDERSTUDY_SEED"].split(",") if p]
    extra = tmp / "test-only" / "playground-clients.yaml"
    extra.parent.mkdir()
    clients = playground_client_copies(seeds, compose_env["UNDERSTUDY_ISSUER"], env["UNDERSTUDY_ISSUER"])
    extra.write_text(yaml.safe_dump({"clients": clients}, sort_keys=False))
    env["UNDERSTUDY_SEED"] = ",".join(seeds + [str(extra)])
    return Understudy(image=image, network=network, root=root, argv=argv, env=env, port=port,
                      issuer=env["UNDERSTUDY_ISSUER"], internal=env["UNDERSTUDY_INTERNAL_URL"],
                      log=tmp / "understudy.log", clients={c["client_id"]: c for c in clients})


# ---- fixtures: the compose services, in depends_on order ---------------------------------------------------

@pytest.fixture(scope="module")
def compose():
    return recipe.load_compose(recipe.COMPOSE_FILE)


@pytest.fixture(scope="module")
def image():
    return recipe.read_image(recipe.DOCKERFILE)


def hook_handler(compose):
    """The hook service's function: its Lambda image's CMD (`module.function`) in its build context."""
    context, dockerfile = recipe.build_of(compose["services"]["hook"], recipe.COMPOSE_FILE.parent)
    hook_image = recipe.read_image(dockerfile)
    module, _, function = hook_image.cmd[0].rpartition(".")
    return context / (module.replace(".", "/") + ".py"), function


@pytest.fixture(scope="module")
def network(compose, image, hook):
    net = Network(compose)
    rie, url = hook
    port = urlsplit(rie.base_url).port
    hook_target = urlsplit(url)
    net.local[(hook_target.hostname, hook_target.port)] = port
    net.assign(SERVICE, int(recipe.option(image.argv, "--port")))
    return net


@pytest.fixture(scope="module")
def hook(compose, image):
    """The example trigger, unchanged, behind the RIE stand-in; and the hook URL the seeds give."""
    service = compose["services"][SERVICE]
    seeds = [check_compose.image_path_to_host(str(PurePosixPath(image.workdir) / p.strip()), image,
                                              recipe.COMPOSE_FILE.parent, service)
             for p in recipe.environment(service)["UNDERSTUDY_SEED"].split(",") if p.strip()]
    url = check_compose.merged_seed(seeds)["hook"]["url"]
    path, function = hook_handler(compose)
    rie = start_rie({"": (path, function)})
    yield rie, url
    rie.stop()


@pytest.fixture(scope="module")
def understudy(tmp_path_factory, network, compose, image):
    server = prepare_understudy(tmp_path_factory.mktemp("recipe"), network, compose, image)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(tmp_path_factory, network, compose, understudy):
    """The example API, as its image runs it (WORKDIR, COPYs, CMD), with its compose environment."""
    service = compose["services"]["api"]
    context, dockerfile = recipe.build_of(service, recipe.COMPOSE_FILE.parent)
    api_image = recipe.read_image(dockerfile)
    root = tmp_path_factory.mktemp("api") / "app"
    root.mkdir()
    for item in api_image.context_copies():
        for source in item.sources:
            target = Path(map_paths(item.destination, api_image.workdir, root))
            target = target / Path(source).name if item.destination.endswith("/") else target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(context / source, target)
    env = base_environment(root)
    compose_env = recipe.environment(service)
    api_port = int(compose_env.get("PORT", "8080"))
    local = network.assign("api", api_port)
    env.update({k: network.rewrite_value(v, "api") for k, v in compose_env.items()})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    log = root.parent / "api.log"
    argv = [executable(api_image.cmd[0])] + api_image.cmd[1:]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_until(lambda: requests.get(f"http://127.0.0.1:{local}/healthz", timeout=1).ok, proc, "api", log)
    yield {"url": network.rewrite("http://localhost:8080", None), "image": api_image, "root": root, "env": env,
           "log": log}
    stop(proc)


# ---- the browser: sign in through the login page -----------------------------------------------------------

class LoginForm(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action = None
        self.hidden = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "login-form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value") or ""


def sign_in(discovery, client, user):
    """Code + PKCE for a public client, through the login page; the token response."""
    browser = requests.Session()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    redirect_uri = client["redirect_uris"][0]
    query = urlencode({
        "response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
        "scope": " ".join(client["scopes"]), "state": state, "nonce": secrets.token_urlsafe(12),
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    r = browser.get(f"{discovery['authorization_endpoint']}?{query}", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code in (302, 303), (r.status_code, r.text[:300])
    page = browser.get(urljoin(r.url, r.headers["Location"]), timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:300]
    form = LoginForm()
    form.feed(page.text)
    assert form.action and form.hidden.get("csrf"), "no login form"
    username, password = user
    r = browser.post(urljoin(page.url, form.action), allow_redirects=False, timeout=TIMEOUT,
                     data={**form.hidden, "username": username, "password": password, "action": "login"})
    assert r.status_code in (302, 303), (r.status_code, r.text[:300])
    location = r.headers["Location"]
    assert location.startswith(redirect_uri), location
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params.get("state") == state and "code" in params, params
    r = requests.post(discovery["token_endpoint"], timeout=TIMEOUT, data={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": redirect_uri,
        "client_id": client["client_id"], "code_verifier": verifier,
    })
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def discovery(understudy):
    r = requests.get(f"{understudy.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    r.raise_for_status()
    return r.json()


def playground_client(understudy, dialect):
    clients = [c for c in understudy.clients.values() if c.get("dialect", "generic") == dialect]
    assert clients, f"no playground client of dialect {dialect}"
    return clients[0]


def call(api, path, token=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{api['url']}{path}", headers=headers, timeout=TIMEOUT)


# ---- the recipe --------------------------------------------------------------------------------------------

def test_dockerfile_shape(image):
    binary = [c for c in image.copies if "from" in c.flags and c.destination.endswith("/understudy")]
    assert binary and str(PurePosixPath(binary[0].destination).parent) in ("/usr/local/bin", "/usr/bin"), \
        "the release binary is copied onto PATH as `understudy`"
    assert image.argv[:2] == ["understudy", "serve"]
    assert recipe.option(image.argv, "--host") == "0.0.0.0"
    assert recipe.option(image.argv, "--port") in image.exposed
    assert str(PurePosixPath(recipe.option(image.argv, "--db")).parent) in image.volumes
    assert image.healthcheck and image.healthcheck.command[:2] == ["understudy", "health"]
    assert image.user and image.user.split(":")[0] not in ("0", "root"), "runs as a non-root user"
    assert image.workdir == "/app"
    assert {PurePosixPath(c.destination).name for c in image.context_copies()} >= {"seed", "keys"}
    build = image.stages[0]
    assert build.base.startswith("swift:6"), build.base
    # The image's binary is built by the same script as the one these tests run (scripts/test.sh).
    assert any("scripts/build-release.sh" in i.arguments for i in build.all("RUN"))
    assert "scripts/build-release.sh" in (REPO / "scripts" / "test.sh").read_text()


def test_server_runs_the_entrypoint(understudy, image):
    """The process is the ENTRYPOINT, item for item, but for the binary, the port and the /app folder."""
    assert understudy.argv[1:] == [
        a if a != recipe.option(image.argv, "--port") else str(understudy.port)
        for a in [map_paths(a, image.workdir, understudy.root) for a in image.argv[1:]]
    ]
    assert Path(recipe.option(understudy.argv, "--db")).parent == understudy.root / "data"
    assert (understudy.root / "data" / "understudy.sqlite").is_file(), "the database lives in the volume"


def test_healthcheck_passes(understudy):
    result = understudy.healthcheck()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "healthy" in result.stdout


def test_one_issuer_for_browser_and_containers(understudy, discovery):
    """Tokens' iss is the public URL; the back channel (token, JWKS) is the internal URL."""
    assert understudy.issuer.startswith("http://localhost:")
    assert discovery["issuer"] == understudy.issuer
    assert discovery["authorization_endpoint"] == f"{understudy.issuer}/oauth2/authorize"
    assert discovery["token_endpoint"] == f"{understudy.internal}/oauth2/token"
    assert discovery["jwks_uri"] == f"{understudy.internal}/.well-known/jwks.json"
    pool = requests.get(f"{understudy.issuer}/us-east-1_Understudy/.well-known/openid-configuration",
                        timeout=TIMEOUT).json()
    assert pool["issuer"] == f"{understudy.issuer}/us-east-1_Understudy"
    assert pool["jwks_uri"] == f"{understudy.internal}/us-east-1_Understudy/.well-known/jwks.json"


def test_playground_is_served(understudy):
    page = requests.get(f"{understudy.issuer}/playground", timeout=TIMEOUT)
    assert page.status_code == 200 and 'id="api-url"' in page.text


DIALECT_ISSUERS = {
    "generic": lambda issuer: issuer,
    "cognito": lambda issuer: f"{issuer}/us-east-1_Understudy",
    "idcs": lambda issuer: "https://identity.oraclecloud.com/",
}


@pytest.mark.parametrize("dialect", ["cognito", "generic", "idcs"])
def test_scenario(dialect, understudy, discovery, hook, api):
    rie, _ = hook
    client = playground_client(understudy, dialect)
    manager = sign_in(discovery, client, MANAGER)
    employee = sign_in(discovery, client, EMPLOYEE)

    # The hook ran: the access token carries its claims, and the trigger saw the sign-in.
    jwks = jwt.PyJWKClient(discovery["jwks_uri"])
    access = manager["access_token"]
    claims = jwt.decode(access, jwks.get_signing_key_from_jwt(access).key, algorithms=["RS256", "ES256"],
                        issuer=DIALECT_ISSUERS[dialect](understudy.issuer), options={"verify_aud": False})
    assert claims["role"] == "Manager"
    assert claims["companies"] == ["1111"]
    events = [e for e in rie.events if e["callerContext"]["clientId"] == client["client_id"]]
    assert {e["userName"] for e in events} == {"manager", "employee"}
    assert {e["version"] for e in events} == {"2"}

    # The API: SPA-Manager only on the manager route, both groups on the employee route.
    r = call(api, "/manager/orders", manager["access_token"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert "SPA-Manager" in body["groups"]
    assert body["role"] == "Manager" and body["companies"] == ["1111"]
    assert body["orders"] and {o["company"] for o in body["orders"]} == {"1111"}
    assert r.headers["Access-Control-Allow-Origin"] == "*"

    r = call(api, "/manager/orders", employee["access_token"])
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden"
    r = call(api, "/employee/orders", employee["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "Employee"
    assert call(api, "/employee/orders", manager["access_token"]).status_code == 200

    # An ID token is not an access token.
    r = call(api, "/employee/orders", manager["id_token"])
    assert r.status_code == 401, r.text


def test_api_without_a_valid_token(api):
    r = call(api, "/manager/orders")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json()["error"] == "invalid_token"
    assert call(api, "/manager/orders", "not-a-jwt").status_code == 401
    forged = jwt.encode({"iss": "http://localhost:9400", "sub": "x", "cognito:groups": ["SPA-Manager"],
                         "token_use": "access", "exp": int(time.time()) + 60, "iat": int(time.time())},
                        "a shared secret that no verifier should accept", algorithm="HS256")
    assert call(api, "/manager/orders", forged).status_code == 401
    assert call(api, "/healthz").json() == {"status": "ok"}
    assert call(api, "/nothing-here").status_code == 404


def test_api_answers_the_playground_preflight(api, understudy):
    r = requests.options(f"{api['url']}/manager/orders", timeout=TIMEOUT, headers={
        "Origin": understudy.issuer, "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    })
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "authorization" in r.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in r.headers["Access-Control-Allow-Methods"]


def test_api_healthcheck(api, network):
    command = api["image"].healthcheck.command
    result = run_command(command, network, "api", api["image"].workdir, api["root"], api["env"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_healthcheck_fails_when_stopped_and_the_volume_survives_a_restart(tmp_path, compose, image, hook):
    """A second container: healthy, then stopped (the HEALTHCHECK fails), then started again on the
    same /app/data (the seeds are unchanged, so start-up skips them) and healthy again."""
    rie, url = hook
    net = Network(compose)
    target = urlsplit(url)
    net.local[(target.hostname, target.port)] = urlsplit(rie.base_url).port
    net.assign(SERVICE, int(recipe.option(image.argv, "--port")))
    server = prepare_understudy(tmp_path, net, compose, image)
    try:
        server.start()
        assert server.healthcheck().returncode == 0
        server.stop()
        stopped = server.healthcheck()
        assert stopped.returncode != 0, stopped.stdout
        assert "unhealthy" in stopped.stdout
        server.start()
        assert server.healthcheck().returncode == 0
        r = requests.post(f"{server.internal}/oauth2/token", auth=("orders-service", "orders-secret"),
                          data={"grant_type": "client_credentials"}, timeout=TIMEOUT)
        assert r.status_code == 200, r.text
    finally:
        server.stop()
