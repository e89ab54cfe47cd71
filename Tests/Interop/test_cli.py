"""Command-line interop: the `understudy` admin commands (users, clients, token, audit).

The commands work on the server's SQLite file directly, also while a server runs on it. These tests
run the real binary the way an operator or a CI script does (same --db / --seed / --keys / --issuer
as `serve`), and check the effect through the running server with real client libraries: authlib
signs users in (code + PKCE through the HTML login page) and fetches client-credentials tokens, and
PyJWT's PyJWKClient verifies tokens against the server's jwks_uri.
"""

import json
import os
import pty
import re
import secrets
import select
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from conftest import BIN, ES, HERE, ORDERS, REPO, start_server
from test_browser_flows import (EMPLOYEE, MANAGER, SPA, SPA_CB, WEB, LoginForm, assert_oauth_error,
                                authorize, sign_in, spa_session)
from test_management import client_credentials, verify

TIMEOUT = 5
CLI_TIMEOUT = 30          # one command of the debug binary, on a busy 2-core machine
AUDIT_WAIT = 5.0          # the server batches audit writes every 250 ms
FOLLOW_WAIT = 3.0         # `audit tail --follow` polls every 500 ms
SEEDS = (REPO / "seed" / "default.yaml", HERE / "seed-interop.yaml")
# What a crash or an uncaught error looks like, rather than a message meant for people.
NOISE = re.compile(r"Traceback|Fatal error|Stack dump|Backtrace|Segmentation fault|\.swift:\d+|"
                   r"0x[0-9a-fA-F]{8,}|Usage:")


# --- the command line --------------------------------------------------------------------------

class Cli:
    """The understudy binary, run with the flags `serve` gets: --db, --seed (each), --keys, --issuer."""

    def __init__(self, db, issuer):
        self.flags = ["--db", str(db), "--keys", str(REPO / "keys"), "--issuer", issuer]
        for seed in SEEDS:
            self.flags += ["--seed", str(seed)]
        # Flags only: an UNDERSTUDY_* variable of the caller's shell must not pick another database.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}

    def command(self, *args):
        return [str(BIN), *args, *self.flags]

    def run(self, *args):
        """Run one command to its end; return the CompletedProcess (text)."""
        return subprocess.run(self.command(*args), cwd=REPO, env=self.env, capture_output=True,
                              text=True, timeout=CLI_TIMEOUT)

    def ok(self, *args):
        """Run a command that must succeed; return its stdout."""
        done = self.run(*args)
        assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{done.stderr}"
        return done.stdout

    def json(self, *args):
        """Run a command that must succeed with --json; return the parsed output."""
        return json.loads(self.ok(*args, "--json"))

    def error(self, *args):
        """Run a command that must fail the way a person can read: a non-zero exit code, nothing on
        stdout, and exactly one `Error: …` line on stderr. Return that line."""
        done = self.run(*args)
        assert done.returncode != 0, f"{' '.join(args)} succeeded:\n{done.stdout}"
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), \
            f"{' '.join(args)}: not one Error: line on stderr:\n{done.stderr}"
        assert not NOISE.search(done.stderr), f"{' '.join(args)}: noise on stderr:\n{done.stderr}"
        assert done.stdout == "", f"{' '.join(args)}: output on stdout:\n{done.stdout}"
        return lines[0]

    def popen(self, *args, **kwargs):
        """Start a long-running command (audit tail --follow)."""
        return subprocess.Popen(self.command(*args), cwd=REPO, env=self.env,
                                stderr=subprocess.PIPE, **kwargs)


def json_values(text):
    """The JSON values of a stream of them, one after another (what `audit tail --json` prints)."""
    decoder, values, index = json.JSONDecoder(), [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return values
        value, index = decoder.raw_decode(text, index)
        values.append(value)


def table(text):
    """A table the CLI printed: (header cells, rows of cells), split on runs of 2+ spaces."""
    header, *rows = [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]
    return header, rows


def jti(token):
    """The jti of a JWT (not verified: only to find its audit event)."""
    return jwt.decode(token, options={"verify_signature": False})["jti"]


# --- servers -----------------------------------------------------------------------------------

class Served:
    """A running server and a Cli on the same database file, seeds, keys and issuer."""

    def __init__(self, url, db):
        self.url = url
        self.cli = Cli(db, url)
        self.http = requests.Session()
        self.discovery = self.http.get(f"{url}/.well-known/openid-configuration", timeout=TIMEOUT).json()

    def verify(self, token, audience):
        """Verify a token with PyJWKClient on the server's jwks_uri; return its claims."""
        return verify(self.discovery["jwks_uri"], token, self.discovery["issuer"], audience=audience)


@pytest.fixture
def offline():
    """A Cli on a fresh database in a temporary folder, with no server."""
    with tempfile.TemporaryDirectory(prefix="understudy-cli-") as folder:
        yield Cli(Path(folder) / "understudy.sqlite", "http://127.0.0.1:9")


@pytest.fixture
def served():
    """A server of its own (conftest's start_server) and a Cli on its database."""
    url, stop_server = start_server(seeds=SEEDS)
    try:
        # start_server puts the database next to the log, in its temporary folder.
        yield Served(url, stop_server.log_path.parent / "understudy.sqlite")
    finally:
        stop_server()


# --- signing in through the running server -----------------------------------------------------

def code_flow_groups(served, user):
    """Sign `user` in to interop-spa through the login page (code + PKCE by authlib, fresh browser);
    verify both tokens against the JWKS and return the access token's groups (checked equal to the
    ID token's)."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    with spa_session() as session, requests.Session() as browser:
        url, state = session.create_authorization_url(
            served.discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        location = sign_in(browser, url, user, SPA_CB)
        tokens = session.fetch_token(served.discovery["token_endpoint"], authorization_response=location,
                                     code_verifier=verifier, state=state)
    id_claims = served.verify(tokens["id_token"], SPA)
    access = served.verify(tokens["access_token"], SPA)
    assert id_claims["nonce"] == nonce and id_claims["preferred_username"] == user[0]
    assert id_claims.get("groups", []) == access.get("groups", [])
    return access.get("groups", [])


def login_page_accepts(served, user):
    """Submit the login page as `user`: True when the server redirects back to the app, False when
    it shows the page again with 'Incorrect username or password.'"""
    with spa_session() as session, requests.Session() as browser:
        url, _ = session.create_authorization_url(served.discovery["authorization_endpoint"],
                                                  code_verifier=secrets.token_urlsafe(48), nonce="n")
        page = browser.get(authorize(browser, url), allow_redirects=False, timeout=TIMEOUT)
        form = LoginForm()
        form.feed(page.text)
        r = browser.post(urljoin(page.url, form.action), allow_redirects=False,
                         timeout=TIMEOUT,
                         data={**form.hidden, "username": user[0], "password": user[1], "action": "login"})
    if r.status_code in (302, 303) and r.headers["Location"].startswith(SPA_CB):
        return True
    assert r.status_code == 200 and "Incorrect username or password." in r.text, (r.status_code, r.text[:300])
    return False


def password_grant(served, user):
    """Resource-owner password grant by authlib with interop-web; return the token response."""
    with OAuth2Session(*WEB, scope="openid") as web:
        return web.fetch_token(served.discovery["token_endpoint"], username=user[0], password=user[1])


# --- 1. users, offline ---------------------------------------------------------------------------

def test_users_list_and_add_on_a_fresh_database(offline):
    """On a new database, `users list` shows the seeded users (JSON and table), and a user added with
    `users add` is listed afterwards with its group, as one more table line under the header."""
    seeded = {u["username"]: u for u in offline.json("users", "list")}
    assert set(seeded) == {"manager", "employee"}
    assert seeded["manager"]["groups"] == ["SPA-Manager"]
    assert seeded["employee"]["email"] == "employee@example.com"
    assert all(u["active"] and u["password"] for u in seeded.values())

    added = offline.json("users", "add", "alice", "--password", "alice-pw", "--email", "alice@example.test",
                         "--given-name", "Alice", "--family-name", "Liddell", "--group", "SPA-Employee")
    assert added["username"] == "alice" and added["groups"] == ["SPA-Employee"]

    users = {u["username"]: u for u in offline.json("users", "list")}
    assert set(users) == {"manager", "employee", "alice"}
    assert users["alice"]["groups"] == ["SPA-Employee"] and users["alice"]["email"] == "alice@example.test"
    assert users["alice"]["sub"] == added["sub"] and users["alice"]["password"] is True

    header, rows = table(offline.ok("users", "list"))
    assert header[:4] == ["USERNAME", "SUB", "EMAIL", "GROUPS"]
    assert len(rows) == 3, rows
    by_name = {row[0]: row for row in rows}
    assert set(by_name) == {"manager", "employee", "alice"}
    assert by_name["alice"][1:4] == [added["sub"], "alice@example.test", "SPA-Employee"]


# --- 2. users, while the server runs -------------------------------------------------------------

def test_users_add_and_groups_reach_the_running_servers_tokens(served):
    """A user added by the CLI next to a running server signs in at once through its login page,
    with the CLI-given group in the ID and access tokens; after `users groups --remove/--add`, the
    next sign-in carries the new group only."""
    alice = ("alice", secrets.token_urlsafe(12))
    # `--password=…`: a random password may start with "-", which would read as an option.
    served.cli.ok("users", "add", alice[0], f"--password={alice[1]}", "--group", "SPA-Manager")
    assert code_flow_groups(served, alice) == ["SPA-Manager"]

    out = served.cli.ok("users", "groups", alice[0], "--remove", "SPA-Manager", "--add", "SPA-Employee")
    assert out.split() == ["SPA-Employee"]
    assert served.cli.json("users", "groups", alice[0]) == ["SPA-Employee"]
    assert code_flow_groups(served, alice) == ["SPA-Employee"]
    # The seeded users are untouched.
    assert code_flow_groups(served, MANAGER) == ["SPA-Manager"]


def test_users_passwd_changes_the_password_the_running_server_accepts(served):
    """`users passwd` on a running server's database: the old password is refused at once (login
    page and password grant), the new one signs in."""
    old, new = EMPLOYEE, (EMPLOYEE[0], secrets.token_urlsafe(12))
    assert login_page_accepts(served, old)

    served.cli.ok("users", "passwd", old[0], f"--password={new[1]}")
    assert not login_page_accepts(served, old)
    assert_oauth_error("invalid_grant", password_grant, served, old)
    assert login_page_accepts(served, new)
    tokens = password_grant(served, new)
    sub = {u["username"]: u["sub"] for u in served.cli.json("users", "list")}[new[0]]
    assert served.verify(tokens["id_token"], WEB[0])["sub"] == sub


# --- 3. clients ---------------------------------------------------------------------------------

def test_clients_add_with_generated_secret_gets_client_credentials_tokens(served):
    """A confidential client added by the CLI next to a running server gets a client-credentials
    token from it with the generated secret printed (once) by `clients add --json`; `clients list`
    shows the client without its secret; adding the same client_id again fails and leaves the
    existing client's secret working."""
    client_id = f"cli-service-{secrets.token_hex(4)}"
    added = served.cli.json("clients", "add", client_id, "--name", "CLI service",
                            "--grant-type", "client_credentials", "--scope", "orders/get.order")
    secret = added["client_secret"]
    assert added["client_id"] == client_id and added["public"] is False and len(secret) >= 32

    token = client_credentials(served.discovery["token_endpoint"], (client_id, secret))
    assert token["token_type"].lower() == "bearer" and token["scope"] == "orders/get.order"
    claims = served.verify(token["access_token"], client_id)
    assert claims["client_id"] == client_id and claims["sub"] == client_id
    with OAuth2Session(client_id, "not-the-secret") as wrong:
        assert_oauth_error("invalid_client", wrong.fetch_token, served.discovery["token_endpoint"],
                           grant_type="client_credentials")

    listed = {c["client_id"]: c for c in served.cli.json("clients", "list")}
    assert listed[client_id]["grant_types"] == ["client_credentials"]
    assert listed[client_id]["scopes"] == ["orders/get.order"]
    assert secret not in json.dumps(listed) and "client_secret" not in listed[client_id]
    header, rows = table(served.cli.ok("clients", "list"))
    assert header[0] == "CLIENT ID" and client_id in {row[0] for row in rows}

    assert client_id in served.cli.error("clients", "add", client_id, "--secret", "taken-over",
                                         "--grant-type", "client_credentials")
    assert client_credentials(served.discovery["token_endpoint"], (client_id, secret))["access_token"]


# --- 4. token mint -------------------------------------------------------------------------------

def test_token_mint_is_accepted_by_the_running_server(served):
    """`token mint` signs with the keys the running server publishes: the token verifies with
    PyJWKClient on the server's jwks_uri, carries the user's groups and the --claim values (JSON
    values parsed: tier is the number 3), and the server's userinfo accepts it. Without --json only
    the access token is printed."""
    response = served.cli.json("token", "mint", "--client", SPA, "--user", MANAGER[0],
                               "--claim", "tenant=acme", "--claim", "tier=3")
    assert response["token_type"] == "Bearer" and response["expires_in"] > 0
    claims = served.verify(response["access_token"], SPA)
    assert claims["tenant"] == "acme"
    assert claims["tier"] == 3 and isinstance(claims["tier"], int)
    assert claims["groups"] == ["SPA-Manager"] and claims["client_id"] == SPA
    manager_sub = {u["username"]: u["sub"] for u in served.cli.json("users", "list")}[MANAGER[0]]
    assert claims["sub"] == manager_sub
    id_claims = served.verify(response["id_token"], SPA)
    assert id_claims["sub"] == manager_sub and id_claims["preferred_username"] == MANAGER[0]

    r = served.http.get(served.discovery["userinfo_endpoint"], timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {response['access_token']}"})
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == manager_sub and r.json()["email"] == "manager@example.com"

    out = served.cli.ok("token", "mint", "--client", ORDERS[0], "--expires-in", "120")
    (token,) = out.split()
    claims = served.verify(token, ORDERS[0])
    assert claims["sub"] == ORDERS[0] and claims["exp"] - claims["iat"] == 120


def test_token_mint_refuses_claims_the_server_sets(offline):
    """A --claim that would override a registered claim (iss, sub) is refused with a clear error,
    not silently signed."""
    for name in ("iss", "sub"):
        message = offline.error("token", "mint", "--client", ORDERS[0], "--claim", f"{name}=x")
        assert f"'{name}'" in message and "cannot be given" in message, message


# --- 5. audit tail -------------------------------------------------------------------------------

def audit_events(cli, *args):
    """`audit tail --json …`: the events, oldest first."""
    return json_values(cli.ok("audit", "tail", "--json", *args))


def wait_for_audit(cli, jtis, *args):
    """Poll `audit tail --json …` until events with all these jtis are there; return the events."""
    deadline = time.monotonic() + AUDIT_WAIT
    while True:
        events = audit_events(cli, *args)
        if set(jtis) <= {e.get("jti") for e in events} or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def test_audit_tail_shows_the_running_servers_token_requests(served):
    """`audit tail --lines 5` shows the last token requests the running server answered, oldest
    first: issued tokens by jti, and a refused one as denied."""
    token_endpoint = served.discovery["token_endpoint"]
    issued = [client_credentials(token_endpoint, client)["access_token"] for client in (ORDERS, ES, ORDERS)]
    with OAuth2Session(ORDERS[0], "wrong-secret") as wrong:
        assert_oauth_error("invalid_client", wrong.fetch_token, token_endpoint, grant_type="client_credentials")
    last = client_credentials(token_endpoint, ES)["access_token"]
    jtis = [jti(t) for t in [*issued, last]]

    events = wait_for_audit(served.cli, jtis, "--lines", "5")
    assert len(events) == 5, events
    assert [e["id"] for e in events] == sorted(e["id"] for e in events), "oldest first"
    assert [e.get("jti") for e in events if e["outcome"] == "issued"] == jtis
    assert {e["action"] for e in events} == {"token"}
    assert [(e.get("client_id"), e["outcome"]) for e in events] == [
        (ORDERS[0], "issued"), (ES[0], "issued"), (ORDERS[0], "issued"),
        (None, "denied"),  # the client did not authenticate: the event names no client
        (ES[0], "issued")]
    assert events[3]["reason"].startswith("invalid_client"), events[3]

    denied = audit_events(served.cli, "--lines", "5", "--outcome", "denied")
    assert [(e["id"], e["reason"]) for e in denied] == [(events[3]["id"], events[3]["reason"])]
    header, rows = table(served.cli.ok("audit", "tail", "--lines", "2", "--client-id", ES[0]))
    assert header[:4] == ["ID", "TIME", "ACTION", "OUTCOME"] and len(rows) == 2


def follow(cli, served, use_pty):
    """Run `audit tail --follow --json` for es-service on a terminal (pty) or a pipe. Wait for the
    event of a token issued before it started (so it is following), then issue another token;
    return the seconds until that new event was printed, or None when it was not within FOLLOW_WAIT."""
    token_endpoint = served.discovery["token_endpoint"]
    before = jti(client_credentials(token_endpoint, ES)["access_token"])
    wait_for_audit(cli, [before], "--client-id", ES[0])
    if use_pty:
        reader, writer = pty.openpty()
    else:
        reader, writer = os.pipe()
    proc = cli.popen("audit", "tail", "--follow", "--json", "--client-id", ES[0], stdout=writer)
    os.close(writer)
    output = b""

    def printed_within(wanted, seconds):
        nonlocal output
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([reader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(reader, 65536)
                except OSError:  # EIO: the pty's other end closed
                    chunk = b""
                if not chunk:
                    return False
                output += chunk
                try:
                    if wanted in {e.get("jti") for e in json_values(output.decode())}:
                        return True
                except json.JSONDecodeError:
                    pass  # an event cut in two: read on
        return False

    try:
        assert printed_within(before, AUDIT_WAIT), \
            f"--follow printed no earlier event (exit {proc.poll()}): {output[-500:]!r}"
        started = time.monotonic()
        after = jti(client_credentials(token_endpoint, ES)["access_token"])
        return time.monotonic() - started if printed_within(after, FOLLOW_WAIT) else None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        os.close(reader)


def test_audit_tail_follow_prints_new_events_on_a_terminal(served):
    """`audit tail --follow` in a terminal prints a token request the running server answers while
    it follows, within a few seconds, and stops on SIGTERM."""
    elapsed = follow(served.cli, served, use_pty=True)
    assert elapsed is not None, f"no new event within {FOLLOW_WAIT} s"


def test_audit_tail_follow_prints_new_events_to_a_pipe(served):
    """`audit tail --follow | …` (a script reading its output) gets each new event as it happens."""
    assert follow(served.cli, served, use_pty=False) is not None


def test_audit_tail_takes_dash_n(offline):
    """`audit tail -n 5`, as with tail(1), is the short form of --lines."""
    done = offline.run("audit", "tail", "-n", "5", "--json")
    assert done.returncode == 0, done.stderr


# --- 6. errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, mentions", [
    pytest.param(("users", "passwd", "nobody", "--password", "x"), "nobody", id="passwd-unknown-user"),
    pytest.param(("users", "groups", "manager", "--add", "SPA-Employee", "--add", "No-Such-Group"),
                 "No-Such-Group", id="groups-unknown-group"),
    pytest.param(("clients", "add", "orders-service", "--grant-type", "client_credentials"),
                 "orders-service", id="duplicate-client"),
    pytest.param(("token", "mint", "--client", "orders-service", "--claim", "tenant"), "tenant",
                 id="claim-without-equals"),
])
def test_errors_are_one_readable_line(offline, args, mentions):
    """A mistake on the command line ends with a non-zero exit code and one `Error: …` line naming
    what was wrong, without usage dumps or crash output, and changes nothing."""
    before = offline.json("users", "list"), offline.json("clients", "list")
    message = offline.error(*args)
    assert mentions in message, message
    assert (offline.json("users", "list"), offline.json("clients", "list")) == before
