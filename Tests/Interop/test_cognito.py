"""Cognito fidelity: `dialect: cognito` tokens, the pool-id issuer with its JWKS and discovery,
the Pre Token Generation hook (the example trigger docker/hooks/permissions/app.py, unchanged,
behind lambda_rie.py's stand-in for the Lambda Runtime Interface Emulator), a Python port of an API
Gateway TOKEN authorizer for Cognito (cognito_authorizer.py), and Cognito's userInfo.

These tests start their own server (with settings.cognito and hooks, see COGNITO_SEED); the RIE
stand-in starts first, since its URL goes into the seed."""

import json
import re
import secrets
import time
import uuid

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

import cognito_authorizer
from conftest import REPO, start_server
from lambda_rie import start_rie
from test_browser_flows import sign_in

TIMEOUT = 10
POOL_ID = "us-east-1_Understudy"
SPA = "cognito-spa"                                   # public: code + PKCE, implicit, refresh
SPA_CB = "http://127.0.0.1:8765/cb"
SPA_SCOPES = {"openid", "email", "profile", "orders/get.order"}
M2M = ("cognito-m2m", "cognito-m2m-secret")           # client_credentials, own V3 hook
WEB = ("cognito-web", "cognito-web-secret")           # password grant, the server's V2 hook
V1 = ("cognito-v1", "cognito-v1-secret")              # password grant, own V1 hook
NOHOOK = ("cognito-nohook", "cognito-nohook-secret")  # password grant, pre_token_generation: false
FAILING = ("cognito-failing", "cognito-failing-secret")  # a V3 hook that raises
SLOW = ("cognito-slow", "cognito-slow-secret")        # a V3 hook slower than its timeout
MANAGER = ("manager", "manager-password")
EMPLOYEE = ("employee", "employee-password")
APP = REPO / "docker" / "hooks" / "permissions" / "app.py"
SLOW_SECONDS = 2.0

# `{hook}`, `{fail}` and `{slow}` are the RIE stand-in's invocation URLs.
COGNITO_SEED = """\
# Written by Tests/Interop/test_cognito.py for one test run.
settings:
  cognito:
    region: us-east-1
    user_pool_id: us-east-1_Understudy
    issuer: local
hooks:
  pre_token_generation:
    url: {hook}
    version: "2"
    timeout_ms: 5000
clients:
  - client_id: cognito-spa
    name: Cognito SPA (public, code + PKCE)
    public: true
    redirect_uris: [http://127.0.0.1:8765/cb]
    grant_types: [implicit, authorization_code, refresh_token]
    scopes: [openid, email, profile, orders/get.order]
    dialect: cognito
  - client_id: cognito-m2m
    name: Cognito machine to machine (V3 hook)
    client_secret: cognito-m2m-secret
    grant_types: [client_credentials]
    scopes: [orders/get.order]
    dialect: cognito
    pre_token_generation:
      url: {hook}
      version: "3"
  - client_id: cognito-web
    name: Cognito web app (password grant, the server's V2 hook)
    client_secret: cognito-web-secret
    grant_types: [password]
    scopes: [openid, email, profile, orders/get.order]
    dialect: cognito
  - client_id: cognito-v1
    name: Cognito web app (password grant, V1 hook)
    client_secret: cognito-v1-secret
    grant_types: [password]
    scopes: [openid, email, orders/get.order]
    dialect: cognito
    pre_token_generation:
      url: {hook}
      version: "1"
  - client_id: cognito-nohook
    name: Cognito web app without the hook
    client_secret: cognito-nohook-secret
    grant_types: [password]
    scopes: [openid, email, orders/get.order]
    dialect: cognito
    pre_token_generation: false
  - client_id: cognito-failing
    name: Cognito client whose hook raises
    client_secret: cognito-failing-secret
    grant_types: [client_credentials, password]
    scopes: [openid, email, orders/get.order]
    dialect: cognito
    pre_token_generation:
      url: {fail}
      version: "3"
  - client_id: cognito-slow
    name: Cognito client whose hook is too slow
    client_secret: cognito-slow-secret
    grant_types: [client_credentials]
    scopes: [orders/get.order]
    dialect: cognito
    pre_token_generation:
      url: {slow}
      version: "3"
      timeout_ms: 500
"""

# Cognito access token of a user (specs.md §1.4), with each claim's JSON type.
ACCESS_CLAIMS = {
    "sub": str, "cognito:groups": list, "iss": str, "version": int, "client_id": str,
    "origin_jti": str, "event_id": str, "token_use": str, "scope": str, "auth_time": int,
    "exp": int, "iat": int, "jti": str, "username": str,
}
# Cognito access token of a client (client_credentials, specs.md §1.5).
M2M_CLAIMS = {
    "sub": str, "client_id": str, "token_use": str, "scope": str, "auth_time": int, "iss": str,
    "exp": int, "iat": int, "version": int, "jti": str,
}
# What the permissions trigger adds for the manager (seed attributes role and companies).
MANAGER_HOOK_CLAIMS = {"role": "Manager", "companies": ["1111"]}
HOOK_ERROR = re.compile(r"pre[\s_-]*token[\s_-]*generation", re.IGNORECASE)
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod"


def failing_trigger(event, context):
    raise RuntimeError("permissions service unavailable")


def slow_trigger(event, context):
    time.sleep(SLOW_SECONDS)
    return event


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def hook_rie():
    """The RIE stand-in: the permissions trigger at the RIE's path, and /fail/..., /slow/..."""
    with start_rie({"": (APP, "handler"), "fail": failing_trigger, "slow": slow_trigger}) as rie:
        yield rie


@pytest.fixture(scope="session")
def cognito_url(hook_rie):
    """A server with COGNITO_SEED on top of the default seed; yields its URL (its issuer)."""
    seed = COGNITO_SEED.format(hook=hook_rie.invoke_url(), fail=hook_rie.invoke_url("fail"),
                               slow=hook_rie.invoke_url("slow"))
    url, stop_server = start_server(seed, seeds=[REPO / "seed" / "default.yaml"])
    try:
        yield url
    finally:
        stop_server()


@pytest.fixture(scope="session")
def pool_issuer(cognito_url):
    """The `iss` of Cognito-dialect tokens with `issuer: local`."""
    return f"{cognito_url}/{POOL_ID}"


@pytest.fixture(scope="session")
def pool_discovery(pool_issuer):
    """The pool's metadata at <iss>/.well-known/openid-configuration, where Cognito has it."""
    r = requests.get(f"{pool_issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="session")
def pool_keys(pool_issuer):
    """Keys from <iss>/.well-known/jwks.json, the URL Cognito-style authorizers derive from iss."""
    return jwt.PyJWKClient(f"{pool_issuer}/.well-known/jwks.json")


class Recorder:
    """Collects the hook invocations made while a block runs."""

    def __init__(self, rie):
        self.rie = rie

    def __enter__(self):
        self.start = len(self.rie.invocations)
        self.calls = []
        return self

    def __exit__(self, *exc):
        self.calls[:] = self.rie.invocations[self.start:]

    def events(self, function=""):
        return [call.event for call in self.calls if call.function == function]


@pytest.fixture(scope="module")
def manager_login(pool_discovery, hook_rie):
    """The manager signs in to cognito-spa (code + PKCE): (session, token, nonce, hook events)."""
    with Recorder(hook_rie) as recorder:
        session, token, nonce = code_flow(pool_discovery, MANAGER)
    return session, token, nonce, recorder.events()


@pytest.fixture(scope="module")
def employee_token(pool_discovery):
    _, token, _ = code_flow(pool_discovery, EMPLOYEE)
    return token


# --- helpers ----------------------------------------------------------------------------------

def code_flow(discovery, user):
    """Sign in to cognito-spa (code + PKCE) through the login page: (session, token, nonce)."""
    session = OAuth2Session(SPA, redirect_uri=SPA_CB, scope=" ".join(sorted(SPA_SCOPES)),
                            code_challenge_method="S256", token_endpoint_auth_method="none")
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(discovery["authorization_endpoint"],
                                                  code_verifier=verifier, nonce=nonce)
    with requests.Session() as browser:
        location = sign_in(browser, url, user, SPA_CB)
    token = session.fetch_token(discovery["token_endpoint"], authorization_response=location,
                                code_verifier=verifier, state=state)
    return session, token, nonce


def token_request(discovery, client, **data):
    """POST the token endpoint with client_secret_basic; return the response."""
    return requests.post(discovery["token_endpoint"], auth=client, data=data, timeout=TIMEOUT)


def password_grant(discovery, client, user=MANAGER):
    r = token_request(discovery, client, grant_type="password", username=user[0],
                      password=user[1])
    assert r.status_code == 200, r.text
    return r.json()


def client_credentials(discovery, client):
    r = token_request(discovery, client, grant_type="client_credentials")
    assert r.status_code == 200, r.text
    return r.json()


def verify(keys, token, issuer, audience=None):
    """Verify an RS256 token against the pool's keys and check iss and exp (and aud if given)."""
    key = keys.get_signing_key_from_jwt(token)
    options = {"require": ["iss", "exp", "iat"]}
    if audience is None:
        options["verify_aud"] = False
    return jwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer, audience=audience,
                      options=options)


def assert_cognito_header(token):
    """Cognito's JWT header: exactly kid and alg RS256, no typ."""
    header = jwt.get_unverified_header(token)
    assert set(header) == {"kid", "alg"}, header
    assert header["alg"] == "RS256"
    assert header["kid"]


def assert_types(claims, types):
    for name, kind in types.items():
        assert type(claims[name]) is kind, f"{name}: {claims[name]!r} is not {kind.__name__}"


def authorize(handler, token, route):
    """Run the TOKEN authorizer; return the policy's effect."""
    answer = handler({"type": "TOKEN", "authorizationToken": f"Bearer {token}",
                      "methodArn": f"{METHOD_ARN}/{route}"}, None)
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement["Resource"] == f"{METHOD_ARN}/{route}"
    assert statement["Action"] == "execute-api:Invoke"
    return statement["Effect"], answer


def assert_unauthorized(handler, token, route="GET/manager/orders"):
    with pytest.raises(Exception, match="^Unauthorized$"):
        authorize(handler, token, route)


def assert_hook_failed(r):
    """A token request refused for a failed hook: OAuth error JSON naming the hook, no token."""
    assert 400 <= r.status_code < 600, (r.status_code, r.text)
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert HOOK_ERROR.search(body.get("error_description") or ""), body
    assert "access_token" not in body and "id_token" not in body, body
    return body


# --- issuer, discovery, keys ------------------------------------------------------------------

def test_pool_discovery(pool_discovery, pool_issuer, manager_login):
    """The pool's discovery names the pool issuer, and its jwks_uri holds the token keys."""
    assert pool_discovery["issuer"] == pool_issuer
    _, token, _, _ = manager_login
    keys = jwt.PyJWKClient(pool_discovery["jwks_uri"])
    verify(keys, token["access_token"], pool_issuer)
    verify(keys, token["id_token"], pool_issuer, audience=SPA)


# --- code + PKCE: the tokens ------------------------------------------------------------------

def test_code_pkce_access_token(manager_login, pool_keys, pool_issuer):
    """The manager's access token has exactly Cognito's claims, plus the hook's."""
    _, token, _, _ = manager_login
    assert token["token_type"].lower() == "bearer"
    assert token.get("refresh_token")
    assert set(token["scope"].split()) == SPA_SCOPES
    access = token["access_token"]
    assert_cognito_header(access)
    claims = verify(pool_keys, access, pool_issuer)
    assert set(claims) == set(ACCESS_CLAIMS) | set(MANAGER_HOOK_CLAIMS), sorted(claims)
    assert "aud" not in claims
    assert_types(claims, ACCESS_CLAIMS)
    uuid.UUID(claims["sub"])
    assert claims["iss"] == pool_issuer
    assert claims["client_id"] == SPA
    assert claims["token_use"] == "access"
    assert claims["version"] == 2
    assert claims["username"] == "manager"
    assert claims["cognito:groups"] == ["SPA-Manager"]
    assert set(claims["scope"].split()) == SPA_SCOPES
    assert claims["auth_time"] <= claims["iat"] < claims["exp"]
    for name, value in MANAGER_HOOK_CLAIMS.items():
        assert claims[name] == value, name


def test_code_pkce_id_token(manager_login, pool_keys, pool_issuer):
    """The manager's ID token: Cognito's claims, custom attributes as strings, the hook's claims."""
    _, token, nonce, _ = manager_login
    id_token = token["id_token"]
    assert_cognito_header(id_token)
    claims = verify(pool_keys, id_token, pool_issuer, audience=SPA)
    access = verify(pool_keys, token["access_token"], pool_issuer)
    assert claims["aud"] == SPA                       # a string, not a list
    assert claims["token_use"] == "id"
    assert claims["sub"] == access["sub"]
    assert claims["cognito:username"] == "manager"
    assert claims["cognito:groups"] == ["SPA-Manager"]
    assert claims["email"] == "manager@example.com"
    assert claims["email_verified"] is True
    assert claims["given_name"] == "Mia"
    assert claims["family_name"] == "Manager"
    assert claims["custom:role"] == "Manager"
    assert isinstance(claims["custom:companies"], str)
    assert json.loads(claims["custom:companies"]) == ["1111"]
    assert claims["nonce"] == nonce
    for name in ("jti", "origin_jti", "event_id"):
        assert isinstance(claims[name], str) and claims[name], name
    for name in ("auth_time", "iat", "exp"):
        assert type(claims[name]) is int, name
    for name, value in MANAGER_HOOK_CLAIMS.items():
        assert claims[name] == value, name
    for name in ("client_id", "scope", "groups"):         # access-token and generic claims
        assert name not in claims, name


def test_hook_event_for_hosted_sign_in(manager_login, pool_keys, pool_issuer):
    """The V2 trigger got one Cognito event for the manager's sign-in."""
    _, token, _, events = manager_login
    assert len(events) == 1, events
    (event,) = events
    assert event["version"] == "2"
    assert event["triggerSource"] == "TokenGeneration_HostedAuth"
    assert event["region"] == "us-east-1"
    assert event["userPoolId"] == POOL_ID
    assert event["userName"] == "manager"
    assert event["callerContext"]["clientId"] == SPA
    assert isinstance(event["callerContext"]["awsSdkVersion"], str)
    request = event["request"]
    attributes = request["userAttributes"]
    assert all(isinstance(value, str) for value in attributes.values()), attributes
    assert attributes["sub"] == verify(pool_keys, token["access_token"], pool_issuer)["sub"]
    assert attributes["email"] == "manager@example.com"
    assert attributes["email_verified"] == "true"
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert attributes["custom:role"] == "Manager"
    assert json.loads(attributes["custom:companies"]) == ["1111"]
    assert request["groupConfiguration"]["groupsToOverride"] == ["SPA-Manager"]
    assert "orders/get.order" in request["scopes"]
    assert isinstance(request.get("clientMetadata", {}), dict)
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}


def test_refresh_invokes_hook(pool_discovery, pool_keys, pool_issuer, hook_rie):
    """A refresh calls the trigger (TokenGeneration_RefreshTokens); new tokens keep its claims."""
    session, token, _ = code_flow(pool_discovery, MANAGER)
    first = verify(pool_keys, token["access_token"], pool_issuer)
    with Recorder(hook_rie) as recorder:
        refreshed = session.refresh_token(pool_discovery["token_endpoint"],
                                          refresh_token=token["refresh_token"])
    (event,) = recorder.events()
    assert event["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert event["version"] == "2"
    assert event["userName"] == "manager"
    assert event["callerContext"]["clientId"] == SPA
    assert event["request"]["groupConfiguration"]["groupsToOverride"] == ["SPA-Manager"]
    claims = verify(pool_keys, refreshed["access_token"], pool_issuer)
    assert claims["token_use"] == "access"
    assert claims["cognito:groups"] == ["SPA-Manager"]
    assert claims["auth_time"] == first["auth_time"]    # the original sign-in's time
    for name, value in MANAGER_HOOK_CLAIMS.items():
        assert claims[name] == value, name


# --- the authorizer port ---------------------------------------------------------------------

def test_authorizer(manager_login, employee_token, pool_issuer, pool_discovery, cognito_url):
    """The TOKEN authorizer decides by cognito:groups and refuses tokens it must not accept."""
    handler = cognito_authorizer.make_handler(pool_issuer, SPA)
    manager_token = manager_login[1]
    manager = manager_token["access_token"]
    employee = employee_token["access_token"]

    effect, answer = authorize(handler, manager, "GET/manager/orders")
    assert effect == "Allow"
    assert answer["principalId"] == jwt.decode(manager, options={"verify_signature": False})["sub"]
    assert answer["context"] == {"username": "manager", "groups": "SPA-Manager"}
    assert authorize(handler, manager, "GET/employee/orders")[0] == "Allow"

    assert authorize(handler, employee, "GET/manager/orders")[0] == "Deny"
    effect, answer = authorize(handler, employee, "GET/employee/orders/42")
    assert effect == "Allow"
    assert answer["context"] == {"username": "employee", "groups": "SPA-Employee"}

    head, payload, signature = manager.split(".")
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert_unauthorized(handler, f"{head}.{payload}.{flipped}")
    assert_unauthorized(handler, manager_token["id_token"])
    # A manager's token, valid in every other way, issued to another client of the pool.
    assert_unauthorized(handler, password_grant(pool_discovery, WEB)["access_token"])
    assert_unauthorized(handler, client_credentials(pool_discovery, M2M)["access_token"])
    # A generic-dialect token of the same server: another issuer.
    generic = requests.post(f"{cognito_url}/oauth2/token", auth=("orders-service", "orders-secret"),
                            data={"grant_type": "client_credentials"}, timeout=TIMEOUT)
    assert generic.status_code == 200, generic.text
    assert_unauthorized(handler, generic.json()["access_token"])


# --- machine to machine ----------------------------------------------------------------------

def test_m2m_token_and_v3_hook(pool_discovery, pool_keys, pool_issuer, hook_rie):
    """client_credentials: Cognito's M2M claims; the V3 trigger saw TokenGeneration_ClientCredentials."""
    with Recorder(hook_rie) as recorder:
        token = client_credentials(pool_discovery, M2M)
    assert token["token_type"].lower() == "bearer"
    assert "id_token" not in token and "refresh_token" not in token
    access = token["access_token"]
    assert_cognito_header(access)
    claims = verify(pool_keys, access, pool_issuer)
    assert set(claims) == set(M2M_CLAIMS), sorted(claims)
    assert_types(claims, M2M_CLAIMS)
    assert claims["sub"] == claims["client_id"] == M2M[0]
    assert claims["token_use"] == "access"
    assert claims["version"] == 2
    assert claims["scope"] == "orders/get.order"
    assert claims["iss"] == pool_issuer
    for name in ("username", "cognito:groups", "aud"):
        assert name not in claims

    (event,) = recorder.events()
    assert event["version"] == "3"
    assert event["triggerSource"] == "TokenGeneration_ClientCredentials"
    assert event["callerContext"]["clientId"] == M2M[0]
    assert event["userPoolId"] == POOL_ID
    assert "orders/get.order" in event["request"]["scopes"]
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}


# --- other grants and hook settings -----------------------------------------------------------

def test_password_grant_invokes_server_hook(pool_discovery, pool_keys, pool_issuer, hook_rie):
    """A client without its own setting uses the server's V2 hook; the password grant is
    TokenGeneration_Authentication."""
    with Recorder(hook_rie) as recorder:
        token = password_grant(pool_discovery, WEB, EMPLOYEE)
    (event,) = recorder.events()
    assert event["version"] == "2"
    assert event["triggerSource"] == "TokenGeneration_Authentication"
    assert event["userName"] == "employee"
    assert event["callerContext"]["clientId"] == WEB[0]
    access = verify(pool_keys, token["access_token"], pool_issuer)
    assert access["client_id"] == WEB[0]
    assert access["cognito:groups"] == ["SPA-Employee"]
    assert access["role"] == "Employee"
    assert access["companies"] == ["1111"]
    assert verify(pool_keys, token["id_token"], pool_issuer, audience=WEB[0])["role"] == "Employee"


def test_v1_hook_changes_the_id_token_only(pool_discovery, pool_keys, pool_issuer, hook_rie):
    """A V1 trigger gets claimsOverrideDetails; its string claims land in the ID token only."""
    with Recorder(hook_rie) as recorder:
        token = password_grant(pool_discovery, V1)
    (event,) = recorder.events()
    assert event["version"] == "1"
    assert event["callerContext"]["clientId"] == V1[0]
    assert event["response"] == {"claimsOverrideDetails": None}
    assert event["request"]["groupConfiguration"]["groupsToOverride"] == ["SPA-Manager"]
    id_claims = verify(pool_keys, token["id_token"], pool_issuer, audience=V1[0])
    assert id_claims["role"] == "Manager"
    assert isinstance(id_claims["companies"], str)        # V1 claims are strings
    assert json.loads(id_claims["companies"]) == ["1111"]
    assert id_claims["cognito:groups"] == ["SPA-Manager"]
    access = verify(pool_keys, token["access_token"], pool_issuer)
    assert "role" not in access and "companies" not in access
    assert access["cognito:groups"] == ["SPA-Manager"]


def test_hook_turned_off_for_a_client(pool_discovery, pool_keys, pool_issuer, hook_rie):
    """pre_token_generation: false: no call, and no hook claims; the dialect's own claims stay."""
    with Recorder(hook_rie) as recorder:
        token = password_grant(pool_discovery, NOHOOK)
    assert recorder.calls == []
    access = verify(pool_keys, token["access_token"], pool_issuer)
    id_claims = verify(pool_keys, token["id_token"], pool_issuer, audience=NOHOOK[0])
    for claims in (access, id_claims):
        assert "role" not in claims and "companies" not in claims
        assert claims["cognito:groups"] == ["SPA-Manager"]
    # No scope requested: every client scope (openid email …). With email, Cognito releases only the email
    # claims, not custom attributes; those come with openid alone or profile.
    assert id_claims["email"] == "manager@example.com"
    assert "custom:role" not in id_claims


@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_failing_hook_refuses_the_token(pool_discovery, hook_rie, grant):
    """A trigger that raises (RIE: 200 with errorMessage/errorType) fails the token request."""
    data = {"grant_type": grant}
    if grant == "password":
        data.update(username=MANAGER[0], password=MANAGER[1])
    with Recorder(hook_rie) as recorder:
        r = token_request(pool_discovery, FAILING, **data)
    assert recorder.events("fail"), "the failing trigger was not called"
    assert r.status_code == 400, (r.status_code, r.text)
    assert_hook_failed(r)


def test_slow_hook_refuses_the_token(pool_discovery, hook_rie):
    """A trigger that answers after timeout_ms fails the token request."""
    with Recorder(hook_rie) as recorder:
        r = token_request(pool_discovery, SLOW, grant_type="client_credentials")
    assert recorder.events("slow"), "the slow trigger was not called"
    assert_hook_failed(r)


# --- userInfo --------------------------------------------------------------------------------

def test_userinfo_cognito_alias(manager_login, cognito_url, pool_keys, pool_issuer):
    """GET /oauth2/userInfo answers Cognito's shape: string booleans and username."""
    _, token, _, _ = manager_login
    r = requests.get(f"{cognito_url}/oauth2/userInfo", timeout=TIMEOUT,
                     headers={"Authorization": f"Bearer {token['access_token']}"})
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["sub"] == verify(pool_keys, token["access_token"], pool_issuer)["sub"]
    assert info["username"] == "manager"
    assert info["email"] == "manager@example.com"
    assert info["email_verified"] == "true"
