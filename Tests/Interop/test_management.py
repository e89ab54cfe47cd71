"""Management interop: SCIM provisioning, admin key rotation, concurrency and crash durability.

Real client libraries drive the real binary: authlib signs users in (code + PKCE through the HTML login
page) and fetches client-credentials tokens, PyJWT's PyJWKClient verifies every token against the JWKS
named by discovery, and requests plays the SCIM / admin client. Every test starts a server of its own,
so tests never see each other's users, clients or keys.
"""

import os
import re
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from conftest import BIN, HERE, ORDERS, REPO, free_port, start_server, stop, wait_healthy
from test_browser_flows import assert_oauth_error, authorize, redirect_params, sign_in

TIMEOUT = 5
SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
COGNITO_POOL = "us-east-1_Understudy"  # seed/default.yaml: settings.cognito.user_pool_id

# Code + PKCE clients of the seeds, by token dialect: (client_id, redirect_uri, scope, groups claim).
DIALECTS = {
    "generic": ("interop-spa", "http://127.0.0.1:8765/cb", "openid profile email groups", "groups"),
    "cognito": ("spa-cognito", "http://127.0.0.1:9400/playground/callback", "openid profile email",
                "cognito:groups"),
}


# --- servers -----------------------------------------------------------------------------------

class Server:
    """A running server: its URL, admin token and OpenID metadata, plus admin / SCIM helpers."""

    def __init__(self, url, admin_token, db=None):
        self.url = url
        self.db = db
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.http = requests.Session()
        self.discovery = self.http.get(f"{url}/.well-known/openid-configuration", timeout=TIMEOUT).json()

    def call(self, method, path, body=None, content_type=SCIM_JSON, http=None, **kwargs):
        """An admin-token request; SCIM bodies go out as application/scim+json."""
        headers = dict(self.admin)
        if body is not None:
            headers["Content-Type"] = content_type
            kwargs["json"] = body
        return (http or self.http).request(method, f"{self.url}{path}", headers=headers,
                                           timeout=TIMEOUT, **kwargs)

    def create_user(self, username, password, http=None):
        """POST /scim/v2/Users; return the response."""
        return self.call("POST", "/scim/v2/Users", http=http, body={
            "schemas": [USER_SCHEMA], "userName": username, "password": password,
            "emails": [{"value": f"{username}@example.test", "primary": True}]})

    def find_user(self, username, http=None):
        """The SCIM resources whose userName equals `username` (a list: empty when absent)."""
        r = self.call("GET", "/scim/v2/Users", http=http,
                      params={"filter": f'userName eq "{username}"'})
        assert r.status_code == 200, r.text
        return r.json()["Resources"]

    def group_id(self, name):
        """The SCIM id of the group with this displayName."""
        r = self.call("GET", "/scim/v2/Groups", params={"filter": f'displayName eq "{name}"'})
        assert r.status_code == 200, r.text
        (group,) = r.json()["Resources"]
        return group["id"]

    def patch_group(self, group_id, op, user_id, http=None):
        """SCIM PATCH that adds a member to, or removes one from, a group."""
        if op == "add":
            operation = {"op": "add", "path": "members", "value": [{"value": user_id}]}
        else:
            operation = {"op": "remove", "path": f'members[value eq "{user_id}"]'}
        return self.call("PATCH", f"/scim/v2/Groups/{group_id}", http=http,
                         body={"schemas": [PATCH_OP], "Operations": [operation]})

    def create_client(self, client_id, http=None):
        """POST /admin/v1/clients for a client-credentials client with a generated secret."""
        return self.call("POST", "/admin/v1/clients", content_type="application/json", http=http,
                         body={"client_id": client_id, "grant_types": ["client_credentials"],
                               "scopes": ["orders/get.order"]})


@pytest.fixture
def server():
    """A server of its own on a temporary SQLite file, with the admin token it logged at start."""
    url, stop_server = start_server()
    try:
        found = re.findall(r"admin_token=(\S+)", stop_server.log_path.read_text(errors="replace"))
        assert len(found) == 1, "the generated admin token is logged exactly once"
        # start_server puts the database next to the log, in its temporary folder.
        yield Server(url, found[0], db=stop_server.log_path.parent / "understudy.sqlite")
    finally:
        stop_server()


def launch(folder, port, admin_token):
    """Start the binary with conftest's flags on `folder`/understudy.sqlite; return the process.

    Used where a test must SIGKILL the server and restart it on the same database file."""
    url = f"http://127.0.0.1:{port}"
    log = open(Path(folder) / "server.log", "ab")
    proc = subprocess.Popen(
        [str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port), "--issuer", url,
         "--db", str(Path(folder) / "understudy.sqlite"), "--keys", str(REPO / "keys"),
         "--seed", str(REPO / "seed" / "default.yaml"), "--seed", str(HERE / "seed-interop.yaml"),
         "--admin-token", admin_token],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    if not wait_healthy(url, proc):
        stop(proc)
        pytest.fail(f"understudy did not become healthy:\n{(Path(folder) / 'server.log').read_text()}")
    return proc


# --- tokens ------------------------------------------------------------------------------------

def verify(jwks_uri, token, issuer, audience=None):
    """Verify a JWT with a fresh PyJWKClient (no cached keys) on jwks_uri; return its claims."""
    key = jwt.PyJWKClient(jwks_uri, cache_keys=False, cache_jwk_set=False).get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=[key.algorithm_name], issuer=issuer,
                      audience=audience, options={"verify_aud": audience is not None,
                                                  "require": ["iss", "sub", "exp", "iat"]})


def client_credentials(token_endpoint, client=ORDERS):
    """A client-credentials token fetched by authlib."""
    with OAuth2Session(*client, token_endpoint_auth_method="client_secret_basic") as s:
        return s.fetch_token(token_endpoint, grant_type="client_credentials")


def introspect(server, token, client=ORDERS):
    """RFC 7662 introspection by authlib; return the JSON answer."""
    with OAuth2Session(*client, token_endpoint_auth_method="client_secret_basic") as s:
        r = s.introspect_token(server.discovery["introspection_endpoint"], token=token)
    assert r.status_code == 200, r.text
    return r.json()


def pkce_session(dialect):
    """authlib session for the dialect's public code + PKCE client."""
    client_id, redirect_uri, scope, _ = DIALECTS[dialect]
    return OAuth2Session(client_id, redirect_uri=redirect_uri, scope=scope,
                         code_challenge_method="S256", token_endpoint_auth_method="none")


def code_flow_sign_in(server, dialect, user, browser=None):
    """A browser (a fresh one unless given) signs `user` in through the login page, with authlib
    driving code + PKCE (S256). Returns (tokens, nonce)."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    with pkce_session(dialect) as session, requests.Session() as fresh:
        url, state = session.create_authorization_url(
            server.discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        location = sign_in(browser or fresh, url, user, DIALECTS[dialect][1])
        tokens = session.fetch_token(server.discovery["token_endpoint"], authorization_response=location,
                                     code_verifier=verifier, state=state)
    return tokens, nonce


def dialect_metadata(server, dialect):
    """The metadata a relying party of this dialect configures: the pool's own for Cognito."""
    if dialect == "cognito":
        r = server.http.get(f"{server.url}/{COGNITO_POOL}/.well-known/openid-configuration", timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()
    return server.discovery


def verified_groups(server, dialect, tokens, nonce):
    """Verify the ID and access tokens of a sign-in; return (id token groups, access token groups)."""
    client_id, _, _, claim = DIALECTS[dialect]
    meta = dialect_metadata(server, dialect)
    id_claims = verify(meta["jwks_uri"], tokens["id_token"], meta["issuer"], audience=client_id)
    assert id_claims["nonce"] == nonce
    # Cognito access tokens carry client_id and no aud; the generic ones have aud = client_id.
    access = verify(meta["jwks_uri"], tokens["access_token"], meta["issuer"],
                    audience=None if dialect == "cognito" else client_id)
    assert access["client_id"] == client_id
    assert id_claims["sub"] == access["sub"]
    return id_claims.get(claim, []), access.get(claim, [])


# --- 1. SCIM provisioning reaches the tokens ---------------------------------------------------

@pytest.mark.parametrize("dialect", DIALECTS)
def test_scim_user_in_group_signs_in_with_group_claim(server, dialect):
    """A user provisioned by SCIM (as Okta/Entra would push it) signs in through the login page with
    the password SCIM set, and the group SCIM PATCH gave it is in the ID and access tokens, under the
    claim the client's dialect uses; after SCIM removes the membership, the next sign-in has no group."""
    username, password = f"scim-{dialect}-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    created = server.create_user(username, password)
    assert created.status_code == 201, created.text
    assert created.headers["Content-Type"].startswith(SCIM_JSON)
    user_id = created.json()["id"]
    manager = server.group_id("SPA-Manager")

    r = server.patch_group(manager, "add", user_id)
    assert r.status_code == 200, r.text
    assert user_id in {m["value"] for m in r.json()["members"]}
    (user,) = server.find_user(username)
    assert "SPA-Manager" in {g["display"] for g in user["groups"]}

    tokens, nonce = code_flow_sign_in(server, dialect, (username, password))
    id_groups, access_groups = verified_groups(server, dialect, tokens, nonce)
    assert id_groups == ["SPA-Manager"]
    assert access_groups == ["SPA-Manager"]
    # The user's own access token reads its SCIM resource, groups included.
    me = server.http.get(f"{server.url}/scim/v2/Me", timeout=TIMEOUT,
                         headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user_id
    assert "SPA-Manager" in {g["display"] for g in me.json()["groups"]}

    r = server.patch_group(manager, "remove", user_id)
    assert r.status_code in (200, 204), r.text
    assert server.find_user(username)[0].get("groups", []) == []
    tokens, nonce = code_flow_sign_in(server, dialect, (username, password))
    assert verified_groups(server, dialect, tokens, nonce) == ([], [])


def test_scim_deactivated_user_gets_no_new_tokens(server):
    """Deprovisioning (SCIM `active: false`, what Okta/Entra send when someone leaves) cuts the user off:
    no password sign-in, no refresh, and no silent (prompt=none) sign-in on the session they had."""
    username, password = f"leaver-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    created = server.create_user(username, password)
    assert created.status_code == 201, created.text
    with requests.Session() as browser:
        tokens, _ = code_flow_sign_in(server, "generic", (username, password), browser=browser)
        r = server.call("PATCH", f"/scim/v2/Users/{created.json()['id']}", body={
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]})
        assert r.status_code == 200 and r.json()["active"] is False, r.text

        with OAuth2Session("interop-web", "interop-web-secret", scope="openid") as web:
            assert_oauth_error("invalid_grant", web.fetch_token, server.discovery["token_endpoint"],
                               username=username, password=password)
        with pkce_session("generic") as session:
            assert_oauth_error("invalid_grant", session.refresh_token, server.discovery["token_endpoint"],
                               refresh_token=tokens["refresh_token"])
            url, state = session.create_authorization_url(
                server.discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48),
                nonce=secrets.token_urlsafe(16), prompt="none")
            params = redirect_params(authorize(browser, url), "query")
    assert params.get("error") == "login_required" and "code" not in params, params


# --- 2. key rotation ---------------------------------------------------------------------------

def test_rotation_keeps_old_tokens_verifying_until_the_key_is_deleted(server):
    """Rotating the signing key does not break tokens already handed out: resource servers that
    refetch the JWKS verify old and new tokens alike. Deleting the retired key revokes its tokens:
    the JWKS no longer has it, and introspection says inactive."""
    token_endpoint, jwks_uri = server.discovery["token_endpoint"], server.discovery["jwks_uri"]
    issuer = server.discovery["issuer"]
    old = client_credentials(token_endpoint)["access_token"]
    old_kid = jwt.get_unverified_header(old)["kid"]

    r = server.call("POST", "/admin/v1/keys/rotate", content_type="application/json",
                    body={"algorithm": "RS256"})
    assert r.status_code == 201, r.text
    (rotated,) = r.json()["rotated"]
    assert rotated["alg"] == "RS256" and rotated["replaced"] == old_kid
    assert rotated["grace_seconds"] >= 3600  # at least the longest token lifetime

    new = client_credentials(token_endpoint)["access_token"]
    new_kid = jwt.get_unverified_header(new)["kid"]
    assert new_kid == rotated["kid"] != old_kid
    for token in (old, new):
        assert verify(jwks_uri, token, issuer, audience=ORDERS[0])["client_id"] == ORDERS[0]
    statuses = {k["kid"]: k["status"] for k in server.call("GET", "/admin/v1/keys").json()["keys"]}
    assert statuses[old_kid] == "retired" and statuses[new_kid] == "active"

    r = server.call("DELETE", f"/admin/v1/keys/{new_kid}")
    assert r.status_code == 409, "the active key cannot be deleted"
    r = server.call("DELETE", f"/admin/v1/keys/{old_kid}")
    assert r.status_code == 204, r.text

    with pytest.raises(jwt.PyJWKClientError):
        verify(jwks_uri, old, issuer, audience=ORDERS[0])
    assert introspect(server, old)["active"] is False
    assert verify(jwks_uri, new, issuer, audience=ORDERS[0])["client_id"] == ORDERS[0]
    assert introspect(server, new)["active"] is True


# --- 3. concurrency ----------------------------------------------------------------------------

class Tally:
    """Thread-safe counts of operations and of failed responses."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = Counter()
        self.failures = []

    def check(self, kind, response, expected):
        """Count a response; remember it when its status is unexpected or it mentions a lock."""
        with self.lock:
            self.ops[kind] += 1
            if response.status_code not in expected or "locked" in response.text.lower():
                self.failures.append((kind, response.status_code, response.text[:300]))


class Workers:
    """Runs each worker(stop_event) on a thread of its own; collects the exceptions they raise."""

    def __init__(self, workers):
        self.stop_event, self.errors = threading.Event(), []
        self.threads = [threading.Thread(target=self._guarded, args=(w,), daemon=True) for w in workers]
        for t in self.threads:
            t.start()

    def _guarded(self, worker):
        try:
            worker(self.stop_event)
        except Exception as error:  # noqa: BLE001 - re-raised by stop()
            self.errors.append(error)
            self.stop_event.set()

    def stop(self):
        """Tell the workers to stop, wait for them, and re-raise the first exception one raised."""
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=TIMEOUT * 3)
            assert not t.is_alive(), "a worker thread hung"
        if self.errors:
            raise self.errors[0]


def test_concurrent_writes_never_hit_database_is_locked(server):
    """Token issuance, SCIM provisioning (users and group membership) and admin client changes at the
    same time, on a real SQLite file: SQLite's single writer must never surface as a 5xx or as
    'database is locked' to a client."""
    assert server.db.is_file(), "the fixture runs on a real SQLite file, not :memory:"
    tally = Tally()
    employee = server.group_id("SPA-Employee")
    token_endpoint = server.discovery["token_endpoint"]
    created_users = []

    def tokens(stop_event):
        with requests.Session() as http:
            while not stop_event.is_set():
                r = http.post(token_endpoint, auth=ORDERS, data={"grant_type": "client_credentials"},
                              timeout=TIMEOUT)
                tally.check("token", r, {200})

    def provisioning(stop_event):
        with requests.Session() as http:
            while not stop_event.is_set():
                r = server.create_user(f"conc-{secrets.token_hex(6)}", "pw-" + secrets.token_hex(8), http=http)
                tally.check("scim_create_user", r, {201})
                if r.status_code == 201:
                    created_users.append(r.json()["id"])
                    tally.check("scim_patch_group", server.patch_group(employee, "add", r.json()["id"], http=http),
                                {200, 204})

    def clients(stop_event):
        with requests.Session() as http:
            while not stop_event.is_set():
                client_id = f"conc-client-{secrets.token_hex(6)}"
                tally.check("admin_create_client", server.create_client(client_id, http=http), {201})
                tally.check("admin_delete_client", server.call("DELETE", f"/admin/v1/clients/{client_id}",
                                                               http=http), {204})

    workers = Workers([tokens] * 4 + [provisioning] * 2 + [clients])
    workers.stop_event.wait(5)  # returns early when a worker fails
    workers.stop()
    print(f"\nconcurrency: {dict(tally.ops)}, failures: {len(tally.failures)}")
    assert not tally.failures, f"{dict(tally.ops)}: {tally.failures[:5]}"
    assert all(tally.ops[k] > 0 for k in ("token", "scim_create_user", "scim_patch_group",
                                          "admin_create_client")), dict(tally.ops)

    # Every acknowledged write is there: each user, and each user in SPA-Employee.
    members = {m["value"] for m in server.call("GET", f"/scim/v2/Groups/{employee}").json()["members"]}
    assert set(created_users) <= members


# --- 4. kill -9 durability ---------------------------------------------------------------------

class Acknowledged:
    """Writes the server answered 2xx to, and unexpected answers, recorded by the load threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.users, self.clients, self.tokens = {}, {}, []  # name -> (id, password); id -> secret
        self.token_times = []  # (monotonic time acknowledged, jti)
        self.failures = []
        self.in_flight = 0
        self.killed = threading.Event()

    def send(self, request):
        """Run request(); None when the server was killed under it (connection reset or refused)."""
        with self.lock:
            self.in_flight += 1
        try:
            return request()
        except requests.RequestException:
            if self.killed.is_set():
                return None
            raise
        finally:
            with self.lock:
                self.in_flight -= 1

    def expect(self, kind, response, status):
        """True when the answer has the status; otherwise remember it as a failure."""
        if response is None:
            return False
        if response.status_code != status:
            with self.lock:
                self.failures.append((kind, response.status_code, response.text[:300]))
            return False
        return True


def durability_load(server, acks):
    """Workers for the kill -9 test: SCIM user creation, admin client creation, token requests."""
    token_endpoint = server.discovery["token_endpoint"]

    def users(stop_event):
        with requests.Session() as http:
            while not stop_event.is_set():
                name, password = f"dur-{secrets.token_hex(6)}", secrets.token_urlsafe(12)
                r = acks.send(lambda: server.create_user(name, password, http=http))
                if acks.expect("scim_create_user", r, 201):
                    with acks.lock:
                        acks.users[name] = (r.json()["id"], password)

    def clients(stop_event):
        with requests.Session() as http:
            while not stop_event.is_set():
                client_id = f"dur-client-{secrets.token_hex(6)}"
                r = acks.send(lambda: server.create_client(client_id, http=http))
                if acks.expect("admin_create_client", r, 201):
                    with acks.lock:
                        acks.clients[client_id] = r.json()["client_secret"]

    def tokens(stop_event):
        with requests.Session() as http:
            while not stop_event.is_set():
                r = acks.send(lambda: http.post(token_endpoint, auth=ORDERS, timeout=TIMEOUT,
                                                data={"grant_type": "client_credentials"}))
                if acks.expect("token", r, 200):
                    token = r.json()["access_token"]
                    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
                    with acks.lock:
                        acks.tokens.append(token)
                        acks.token_times.append((time.monotonic(), jti))

    return [users, users, clients, tokens, tokens]


def test_acknowledged_writes_survive_kill_9():
    """A crash (SIGKILL, no shutdown hook) under load loses nothing the server acknowledged: after a
    restart on the same database file, every user SCIM answered 201 to and every client the admin
    API answered 201 to is there, with working credentials, and tokens issued before the crash,
    signed by a rotated-in key that exists only in the database, still verify."""
    admin_token = secrets.token_urlsafe(24)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="understudy-kill9-") as folder:
        proc = launch(folder, port, admin_token)
        try:
            server = Server(f"http://127.0.0.1:{port}", admin_token)
            # From here on, tokens are signed by a generated key that only the database holds.
            r = server.call("POST", "/admin/v1/keys/rotate", content_type="application/json",
                            body={"algorithm": "RS256"})
            assert r.status_code == 201, r.text
            rotated_kid = r.json()["rotated"][0]["kid"]
            before = client_credentials(server.discovery["token_endpoint"])["access_token"]
            assert jwt.get_unverified_header(before)["kid"] == rotated_kid

            acks = Acknowledged()
            workers = Workers(durability_load(server, acks))
            workers.stop_event.wait(2)
            # Kill while requests are in flight (it nearly always is: five threads keep it busy).
            deadline = time.monotonic() + 1
            while acks.in_flight == 0 and time.monotonic() < deadline:
                time.sleep(0.001)
            acks.killed.set()
            in_flight = acks.in_flight
            killed_at = time.monotonic()
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=TIMEOUT)
            workers.stop()
        finally:
            stop(proc)
        assert proc.returncode == -signal.SIGKILL
        assert not acks.failures, acks.failures[:5]
        assert acks.users and acks.clients and acks.tokens, "no write was acknowledged before the kill"

        proc = launch(folder, port, admin_token)
        try:
            server = Server(f"http://127.0.0.1:{port}", admin_token)
            found_users = sum(
                [u["id"] for u in server.find_user(name)] == [user_id]
                for name, (user_id, _) in acks.users.items())
            found_clients = sum(
                server.call("GET", f"/admin/v1/clients/{client_id}").status_code == 200
                for client_id in acks.clients)
            print(f"\nkill -9 with {in_flight} requests in flight: acknowledged {len(acks.users)} users, "
                  f"{len(acks.clients)} clients, {len(acks.tokens)} tokens; found {found_users} users, "
                  f"{found_clients} clients")
            assert found_users == len(acks.users), "an acknowledged SCIM user is lost"
            assert found_clients == len(acks.clients), "an acknowledged admin client is lost"

            # Credentials written before the crash still work: the last user's password, the last
            # client's generated secret.
            name, (_, password) = list(acks.users.items())[-1]
            with OAuth2Session("interop-web", "interop-web-secret", scope="openid") as web:
                assert web.fetch_token(server.discovery["token_endpoint"], username=name,
                                       password=password)["access_token"]
            client_id, secret = list(acks.clients.items())[-1]
            assert client_credentials(server.discovery["token_endpoint"], (client_id, secret))["access_token"]

            # Tokens issued before the crash verify against the restarted server's JWKS.
            jwks_uri, issuer = server.discovery["jwks_uri"], server.discovery["issuer"]
            for token in [before, *acks.tokens]:
                assert verify(jwks_uri, token, issuer, audience=ORDERS[0])["client_id"] == ORDERS[0]
            assert introspect(server, before)["active"] is True

            # The audit log is whole: rows complete and numbered without gaps, no event for a token that
            # was never answered, and every token answered more than a second before the crash recorded
            # (the log is written in batches every 250 ms, so only the last batch may be lost).
            r = server.call("GET", "/admin/v1/audit", params={"limit": 1000})
            assert r.status_code == 200, r.text
            everything = r.json()["events"]
            ids = [event["id"] for event in everything]
            events = [e for e in everything if e["action"] == "token" and e["outcome"] == "issued"]
            assert len(set(ids)) == len(ids) and all(e["time"] and e["client_id"] and e["jti"] for e in events)
            audited = {event["jti"] for event in events}
            acknowledged = {jti for _, jti in acks.token_times}
            acknowledged.add(jwt.decode(before, options={"verify_signature": False})["jti"])
            phantoms = audited - acknowledged
            settled = {jti for at, jti in acks.token_times if at < killed_at - 1.0}
            print(f"audit after kill -9: {len(audited)} token events, {len(settled)} tokens settled before the "
                  f"last second, {len(settled - audited)} of them missing, {len(phantoms)} events not acknowledged")
            if len(everything) < 1000:
                assert max(ids) - min(ids) + 1 == len(ids), "the audit log has a gap"
                assert settled <= audited, "a token answered over a second before the crash is not audited"
            assert len(phantoms) <= in_flight + 1, "the audit log records tokens nobody received"
        finally:
            stop(proc)


# --- 5. no token, no access --------------------------------------------------------------------

ADMIN_ROUTES = [
    ("GET", "/admin/v1/keys"), ("POST", "/admin/v1/keys/rotate"), ("DELETE", "/admin/v1/keys/some-kid"),
    ("GET", "/admin/v1/clients"), ("POST", "/admin/v1/clients"), ("GET", "/admin/v1/clients/orders-service"),
    ("PUT", "/admin/v1/clients/orders-service"), ("DELETE", "/admin/v1/clients/orders-service"),
    ("POST", "/admin/v1/scopes"), ("POST", "/admin/v1/tokens"), ("GET", "/admin/v1/faults"),
    ("GET", "/admin/v1/audit"),
]
SCIM_ROUTES = [
    ("GET", "/scim/v2/Users"), ("POST", "/scim/v2/Users"), ("GET", "/scim/v2/Groups"),
    ("PATCH", "/scim/v2/Groups/some-id"), ("DELETE", "/scim/v2/Users/some-id"), ("GET", "/scim/v2/Me"),
    ("GET", "/admin/v1/Users"), ("POST", "/admin/v1/Users"), ("GET", "/admin/v1/Groups"),
]
INTRUDER = {"schemas": [USER_SCHEMA], "userName": "intruder", "password": "intruder-pw",
            "client_id": "intruder", "grant_types": ["client_credentials"], "scopes": [],
            "name": "intruder/scope", "user": "manager", "scope": "openid"}


def test_admin_and_scim_refuse_requests_without_the_admin_token(server):
    """The management APIs are closed to anyone without the admin token: no token or a wrong one
    gets 401 with a Bearer challenge, as RFC 9457 problem details on the admin API and as a SCIM
    error on SCIM, and nothing the refused requests asked for happens."""
    keys_before = server.call("GET", "/admin/v1/keys").json()
    problems = []
    for authorization in (None, "Bearer wrong-token", "Basic YWRtaW46YWRtaW4="):
        headers = {"Authorization": authorization} if authorization else {}
        for kind, routes in (("admin", ADMIN_ROUTES), ("scim", SCIM_ROUTES)):
            for method, path in routes:
                body = INTRUDER if method in ("POST", "PUT", "PATCH") else None
                r = server.http.request(method, f"{server.url}{path}", headers=headers, json=body,
                                        timeout=TIMEOUT)
                where = f"{method} {path} ({authorization or 'no token'})"
                if r.status_code != 401:
                    problems.append(f"{where}: {r.status_code} {r.text[:200]}")
                    continue
                if not r.headers.get("WWW-Authenticate", "").startswith("Bearer"):
                    problems.append(f"{where}: no Bearer challenge: {r.headers}")
                content_type = r.headers.get("Content-Type", "")
                if kind == "admin":
                    if content_type != "application/problem+json" or r.json().get("status") != 401:
                        problems.append(f"{where}: not problem+json: {content_type} {r.text[:200]}")
                elif (not content_type.startswith(SCIM_JSON) or SCIM_ERROR not in r.json().get("schemas", [])
                      or r.json().get("status") != "401"):
                    problems.append(f"{where}: not a SCIM error: {content_type} {r.text[:200]}")
    assert not problems, "\n".join(problems)

    # Nothing changed: no user, no client, no scope, no key rotation, orders-service intact.
    assert server.find_user("intruder") == []
    assert server.call("GET", "/admin/v1/clients/intruder").status_code == 404
    assert server.call("GET", "/admin/v1/clients/orders-service").status_code == 200
    assert server.call("GET", "/admin/v1/keys").json() == keys_before
    assert client_credentials(server.discovery["token_endpoint"])["access_token"]
