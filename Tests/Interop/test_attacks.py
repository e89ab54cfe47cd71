"""Attacks on the running binary (issue "Hardening", item 2): what SECURITY.md says Understudy refuses.

Every test is one attack (parametrized tests: one variant each), run over HTTP against a server of this
module's own, with the client libraries a relying party would use: authlib for the OAuth flows, PyJWT and
`cryptography` to forge tokens, requests as the browser and as the admin / SCIM client. An attack counts as
refused only when the server refuses it the way SECURITY.md promises (an HTML 400 page and no redirect for
a bad redirect URI, `invalid_grant` for codes and refresh tokens, 401 `invalid_token` for bad tokens, ...).

Each attempt is tallied per category; the module prints the tally at its end (run pytest with `-s`).
An attack the server accepts fails its test with the exact request and response.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from conftest import ORDERS, ServerStartError, start_server
from test_browser_flows import LoginForm

TIMEOUT = 5
SPA = "interop-spa"                                   # public, PKCE required, no plain (seed-interop.yaml)
SPA_CB = "http://127.0.0.1:8765/cb"
SPA_BYE = "http://127.0.0.1:8765/bye"
WEB = ("interop-web", "interop-web-secret")           # confidential; one redirect URI; password grant
WEB_CB = "http://127.0.0.1:8765/web/cb"
DEFAULT_SPA = "spa"                                   # seed/default.yaml: localhost and 127.0.0.1 URIs
DEFAULT_SPA_CB = "http://localhost:9400/playground/callback"
DEFAULT_SPA_BYE = "http://localhost:9400/playground"
MANAGER = ("manager", "manager-password")
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"

# --- the tally -----------------------------------------------------------------------------------

CATEGORIES = {
    "redirect": "1 redirect_uri at authorize / login",
    "logout": "1 redirect after logout",
    "csrf": "2 login / logout CSRF",
    "code": "3 authorization code replay and binding",
    "pkce": "4 PKCE downgrade",
    "refresh": "5 refresh token reuse",
    "token": "6 token confusion and forgery",
    "admin": "7 admin API / SCIM authentication",
    "brute": "8 password brute force (lockout)",
}
TALLY = defaultdict(lambda: [0, 0])   # category -> [tried, refused]
ACCEPTED = []                          # (category, attack, evidence)


def tally(category, attack, refused, evidence=""):
    """Count one attempt; remember the evidence of an accepted one. Returns `refused`."""
    TALLY[category][0] += 1
    if refused:
        TALLY[category][1] += 1
    else:
        ACCEPTED.append((category, attack, evidence))
    return refused


@pytest.fixture(scope="module", autouse=True)
def attack_summary():
    """Print attacks tried and refused per category when the module ends."""
    yield
    lines = ["", "=== attack summary: tried / refused per category ==="]
    for key, name in CATEGORIES.items():
        tried, refused = TALLY.get(key, (0, 0))
        flag = "" if tried == refused else f"   <-- {tried - refused} ACCEPTED"
        lines.append(f"{name:<45} {tried:>5} {refused:>5}{flag}")
    total_tried = sum(t for t, _ in TALLY.values())
    total_refused = sum(r for _, r in TALLY.values())
    lines.append(f"{'total':<45} {total_tried:>5} {total_refused:>5}")
    for category, attack, evidence in ACCEPTED:
        first_line = evidence.splitlines()[0] if evidence else ""
        lines.append(f"ACCEPTED [{CATEGORIES[category]}] {attack}: {first_line[:300]}")
    print("\n".join(lines))


def show(r):
    """A request and its response, for a failure message."""
    req = r.request
    body = req.body.decode(errors="replace") if isinstance(req.body, bytes) else req.body
    headers = {k: v for k, v in req.headers.items() if k in ("Authorization", "Cookie", "Origin",
                                                             "Sec-Fetch-Site", "Content-Type")}
    return (f"{req.method} {req.url} headers={headers} body={body!r}\n"
            f"-> {r.status_code} {dict(r.headers)} {r.text[:400]!r}")


def check_all(problems):
    assert not problems, "\n\n".join(problems)


# --- the server, its tokens and a signed-in browser ------------------------------------------------

class Target:
    """The server under attack: URL, admin token, metadata and public keys."""

    def __init__(self, url, admin_token):
        self.url = url
        self.admin_token = admin_token
        self.admin_headers = {"Authorization": f"Bearer {admin_token}"}
        self.discovery = requests.get(f"{url}/.well-known/openid-configuration", timeout=TIMEOUT).json()
        self.jwks = requests.get(self.discovery["jwks_uri"], timeout=TIMEOUT).json()
        self.port = urlsplit(url).port

    def key(self, kty):
        (key,) = [k for k in self.jwks["keys"] if k["kty"] == kty]
        return key

    def mint(self, client_id, user="manager", scope="openid groups", **extra):
        """POST /admin/v1/tokens with the admin token."""
        body = {"client_id": client_id, "scope": scope, **extra}
        if user:
            body["user"] = user
        r = requests.post(f"{self.url}/admin/v1/tokens", headers=self.admin_headers, json=body,
                          timeout=TIMEOUT)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def create_user(self, username, password):
        r = requests.post(f"{self.url}/scim/v2/Users", headers=self.admin_headers, timeout=TIMEOUT,
                          json={"schemas": [USER_SCHEMA], "userName": username, "password": password})
        assert r.status_code == 201, r.text
        return r.json()

    def find_users(self, username):
        r = requests.get(f"{self.url}/scim/v2/Users", headers=self.admin_headers, timeout=TIMEOUT,
                         params={"filter": f'userName eq "{username}"'})
        assert r.status_code == 200, r.text
        return r.json()["Resources"]


@pytest.fixture(scope="module")
def target():
    """A server of this module's own, with the admin token it logged at start."""
    try:
        url, stop_server = start_server()
    except ServerStartError as error:
        pytest.exit(str(error), 2)
    try:
        found = re.findall(r"admin_token=(\S+)", stop_server.log_path.read_text(errors="replace"))
        assert len(found) == 1, "the generated admin token is logged exactly once"
        yield Target(url, found[0])
    finally:
        stop_server()


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def query(pairs):
    """Encode (name, value) pairs with %20 for spaces, so the server decodes exactly our values."""
    return urlencode(pairs, quote_via=quote, safe="")


def authorization_pairs(client_id, redirect_uri, response_type="code", challenge=None,
                        method="S256", scope="openid groups"):
    """The parameters of an authorization request; redirect_uri None = absent, a list = repeated."""
    pairs = [("response_type", response_type), ("client_id", client_id), ("scope", scope),
             ("state", "st-1"), ("nonce", "n-1")]
    if isinstance(redirect_uri, list):
        pairs += [("redirect_uri", uri) for uri in redirect_uri]
    elif redirect_uri is not None:
        pairs.append(("redirect_uri", redirect_uri))
    if response_type == "code":
        if challenge is None:
            challenge = pkce_pair()[1]
        if challenge:
            pairs.append(("code_challenge", challenge))
        if method:
            pairs.append(("code_challenge_method", method))
    return pairs


def login_page(browser, url, pairs):
    """GET /login for an authorization request; return the form's hidden fields (csrf included)."""
    page = browser.get(f"{url}/login?{query(pairs)}", allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    form = LoginForm()
    form.feed(page.text)
    assert form.hidden.get("csrf"), "login form without csrf"
    return form.hidden


def redirect_params(location):
    return {k: v for k, (v,) in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


@pytest.fixture(scope="module")
def signed_in(target):
    """A browser with a live SSO session for `manager` (signed in through the login page), plus the
    CSRF token that its CSRF cookie makes valid."""
    browser = requests.Session()
    pairs = authorization_pairs(SPA, SPA_CB)
    hidden = login_page(browser, target.url, pairs)
    r = browser.post(f"{target.url}/login", allow_redirects=False, timeout=TIMEOUT,
                     data={**hidden, "username": MANAGER[0], "password": MANAGER[1], "action": "login"})
    assert r.status_code in (302, 303) and r.headers["Location"].startswith(SPA_CB), show(r)
    assert "understudy_session" in browser.cookies
    browser.csrf = hidden["csrf"]
    yield browser
    browser.close()


def sso_code(target, browser, client_id, redirect_uri, challenge=None, method="S256"):
    """An authorization code from the signed-in browser's session (no form: single sign-on)."""
    pairs = authorization_pairs(client_id, redirect_uri, challenge=challenge, method=method)
    r = browser.get(f"{target.url}/oauth2/authorize?{query(pairs)}", allow_redirects=False,
                    timeout=TIMEOUT)
    assert r.status_code in (302, 303), show(r)
    location = r.headers["Location"]
    assert location.startswith(redirect_uri + "?"), location
    params = redirect_params(location)
    assert "code" in params, location
    return params["code"]


def spa_tokens(target, browser):
    """interop-spa tokens (code + PKCE S256), redeemed by authlib."""
    verifier, challenge = pkce_pair()
    code = sso_code(target, browser, SPA, SPA_CB, challenge=challenge)
    with OAuth2Session(SPA, redirect_uri=SPA_CB, token_endpoint_auth_method="none") as s:
        return s.fetch_token(target.discovery["token_endpoint"], grant_type="authorization_code",
                             code=code, code_verifier=verifier)


def oauth_error(call, *args, **kwargs):
    """The OAuthError of call(...), or the token it returned (an accepted attack)."""
    try:
        return call(*args, **kwargs)
    except OAuthError as error:
        return error


def token_request(target, data, auth=None):
    return requests.post(target.discovery["token_endpoint"], data=data, auth=auth, timeout=TIMEOUT)


def userinfo(target, token):
    return requests.get(target.discovery["userinfo_endpoint"], timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {token}"})


def introspect(target, token, client=ORDERS):
    """RFC 7662 by authlib, as a confidential client."""
    with OAuth2Session(*client, token_endpoint_auth_method="client_secret_basic") as s:
        return s.introspect_token(target.discovery["introspection_endpoint"], token=token)


def scim_me(target, token):
    return requests.get(f"{target.url}/scim/v2/Me", timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {token}"})


def refused_token_problems(target, category, attack, token, surfaces=("userinfo", "introspect", "me")):
    """Present `token` at userinfo (GET bearer and POST form), introspection and SCIM /Me; tally each.
    Returns the failures."""
    problems = []

    def record(surface, ok, r):
        if not tally(category, f"{attack} @ {surface}", ok, show(r)):
            problems.append(f"{attack} accepted at {surface}:\n{show(r)}")

    if "userinfo" in surfaces:
        r = userinfo(target, token)
        record("userinfo", r.status_code == 401
               and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""), r)
        r = requests.post(f"{target.url}/oauth2/userInfo", data={"access_token": token}, timeout=TIMEOUT)
        record("userInfo (form)", r.status_code == 401
               and 'error="invalid_token"' in r.headers.get("WWW-Authenticate", ""), r)
    if "introspect" in surfaces:
        r = introspect(target, token)
        record("introspect", r.status_code == 200 and r.json() == {"active": False}, r)
    if "me" in surfaces:
        r = scim_me(target, token)
        record("/scim/v2/Me", r.status_code == 401, r)
    return problems


# --- 1. redirect_uri variations -------------------------------------------------------------------

# Bases: the client and its registered sign-in and sign-out URIs.
BASES = {
    "spa127": (SPA, SPA_CB, SPA_BYE),
    "spaLocal": (DEFAULT_SPA, DEFAULT_SPA_CB, DEFAULT_SPA_BYE),
    "web": (WEB[0], WEB_CB, None),
}
REGISTERED = {SPA: {SPA_CB}, WEB[0]: {WEB_CB},
              DEFAULT_SPA: {DEFAULT_SPA_CB, "http://127.0.0.1:9400/playground/callback"}}
# Templates over the registered URI's parts: {s}cheme, {h}ost, {port}, {p}ath; {u} the whole URI.
REDIRECT_VARIANTS = [
    ("trailing-slash", "spa127", "{u}/"),
    ("other-port", "spa127", "{s}://{h}:8766{p}"),
    ("port-dropped", "spa127", "{s}://{h}{p}"),
    ("https-instead-of-http", "spa127", "https://{h}:{port}{p}"),
    ("scheme-upper-case", "spa127", "HTTP://{h}:{port}{p}"),
    ("localhost-for-127.0.0.1", "spa127", "{s}://localhost:{port}{p}"),
    ("host-upper-case", "spaLocal", "{s}://LOCALHOST:{port}{p}"),
    ("host-mixed-case", "spaLocal", "{s}://LocalHost:{port}{p}"),
    ("host-trailing-dot", "spaLocal", "{s}://{h}.:{port}{p}"),
    ("path-upper-case", "spa127", "{s}://{h}:{port}{P}"),
    ("userinfo-attacker-host", "spa127", "{s}://{h}:{port}@evil.example{p}"),
    ("userinfo-on-registered-host", "spa127", "{s}://evil.example@{h}:{port}{p}"),
    ("extra-path-segment", "spa127", "{u}/evil"),
    ("dot-segment-out", "spa127", "{u}/../../evil"),
    ("dot-segment-back-to-registered", "spa127", "{s}://{h}:{port}/evil/..{p}"),
    ("extra-query", "spa127", "{u}?next=https://evil.example/"),
    ("empty-query", "spa127", "{u}?"),
    ("fragment", "spa127", "{u}#@evil.example"),
    ("empty-fragment", "spa127", "{u}#"),
    ("pct-encoded-letter", "spa127", "{s}://{h}:{port}/%63{p2}"),
    ("pct-2F-traversal", "spa127", "{u}%2F..%2F..%2Fevil"),
    ("pct-2e2e-traversal", "spa127", "{u}/%2e%2e/%2e%2e/evil"),
    ("pct-2e2e-back-to-registered", "spa127", "{s}://{h}:{port}/evil/%2e%2e{p}"),
    ("pct-encoded-colon", "spa127", "{s}://{h}%3A{port}{p}"),
    ("double-encoded-2F", "spa127", "{u}%252F..%252Fevil"),
    ("double-encoded-letter", "spa127", "{s}://{h}:{port}/%2563{p2}"),
    ("backslash-before-at", "spa127", "{s}://{h}:{port}\\@evil.example{p}"),
    ("backslash-userinfo", "spa127", "{s}://evil.example\\@{h}:{port}{p}"),
    ("backslash-path", "spa127", "{s}://{h}:{port}\\{p1}"),
    ("backslash-host", "spa127", "{s}:\\\\evil.example\\{p1}"),
    ("trailing-space", "spa127", "{u} "),
    ("leading-space", "spa127", " {u}"),
    ("trailing-tab", "spa127", "{u}\t"),
    ("trailing-newline", "spa127", "{u}\n"),
    ("crlf-header-injection", "spa127", "{u}\r\nLocation: https://evil.example/"),
    ("pct-20-literal", "spa127", "{u}%20"),
    ("nul-byte", "spa127", "{u}\x00"),
    ("pct-00-literal", "spa127", "{u}%00"),
    ("registered-as-prefix-dot", "spa127", "{u}.evil.example"),
    ("registered-as-prefix-path", "spa127", "{u}evil"),
    ("registered-host-as-prefix", "spa127", "{s}://{h}:{port}.evil.example{p}"),
    ("registered-inside-attacker-path", "spa127", "https://evil.example/{u}"),
    ("fullwidth-letter", "spa127", "{s}://{h}:{port}/\uff43{p2}"),
    ("protocol-relative", "spa127", "//evil.example{p}"),
    ("javascript-scheme", "spa127", "javascript:alert(document.domain)//{h}:{port}{p}"),
    ("unregistered-single-uri-client", "web", "https://evil.example{p}"),
    ("other-clients-uri-single-uri-client", "web", SPA_CB),
    ("redirect-uri-absent-single-uri-client", "web", None),
    ("repeated-parameter-registered-first", "spa127", ["{u}", "https://evil.example{p}"]),
    ("repeated-parameter-attacker-first", "spa127", ["https://evil.example{p}", "{u}"]),
]


def variant_uri(template, registered):
    """Fill a template from the parts of `registered`."""
    if template is None:
        return None
    if isinstance(template, list):
        return [variant_uri(t, registered) for t in template]
    parts = urlsplit(registered)
    return template.format(s=parts.scheme, h=parts.hostname, port=parts.port, p=parts.path,
                           P=parts.path.upper(), p1=parts.path[1:], p2=parts.path[2:], u=registered)


def html_refusal(r):
    """An HTML error page with status 400 and no redirect."""
    return (r.status_code == 400 and "Location" not in r.headers
            and r.headers.get("Content-Type", "").startswith("text/html"))


@pytest.mark.parametrize("name,base,template", REDIRECT_VARIANTS, ids=[v[0] for v in REDIRECT_VARIANTS])
def test_redirect_uri_variant_is_never_redirected_to(target, signed_in, name, base, template):
    """A redirect_uri that is not character for character a registered one gets an HTML 400 page and
    never a redirect: at GET and POST /oauth2/authorize, IDCS's /oauth2/v1/authorize, for code and
    implicit, at the login page, and in a login form post with a valid CSRF token and the right
    password (the hidden fields are not trusted). The browser has a live session, so an accepted URI
    would get a code or tokens at once."""
    client_id, registered, _ = BASES[base]
    uri = variant_uri(template, registered)
    if not isinstance(uri, list):
        assert uri not in REGISTERED[client_id], "the variant must differ from the client's URIs"
    code_pairs = authorization_pairs(client_id, uri)
    implicit_pairs = authorization_pairs(client_id, uri, response_type="id_token token")
    url = target.url
    attempts = [
        ("GET /oauth2/authorize code", lambda: signed_in.get(
            f"{url}/oauth2/authorize?{query(code_pairs)}", allow_redirects=False, timeout=TIMEOUT)),
        ("GET /oauth2/v1/authorize code", lambda: signed_in.get(
            f"{url}/oauth2/v1/authorize?{query(code_pairs)}", allow_redirects=False, timeout=TIMEOUT)),
        ("POST /oauth2/authorize code", lambda: signed_in.post(
            f"{url}/oauth2/authorize", data=query(code_pairs), allow_redirects=False, timeout=TIMEOUT,
            headers={"Content-Type": "application/x-www-form-urlencoded"})),
        ("GET /oauth2/authorize id_token token", lambda: signed_in.get(
            f"{url}/oauth2/authorize?{query(implicit_pairs)}", allow_redirects=False, timeout=TIMEOUT)),
        ("GET /login", lambda: signed_in.get(
            f"{url}/login?{query(code_pairs)}", allow_redirects=False, timeout=TIMEOUT)),
        ("POST /login (valid CSRF, right password)", lambda: signed_in.post(
            f"{url}/login", allow_redirects=False, timeout=TIMEOUT,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            data=query(code_pairs + [("csrf", signed_in.csrf), ("username", MANAGER[0]),
                                     ("password", MANAGER[1]), ("action", "login")]))),
    ]
    problems = []
    for surface, send in attempts:
        r = send()
        if not tally("redirect", f"{name} @ {surface}", html_refusal(r), show(r)):
            problems.append(f"{surface} did not refuse redirect_uri {uri!r}:\n{show(r)}")
        assert r.status_code < 500, show(r)
    check_all(problems)


LOGOUT_VARIANTS = [v for v in REDIRECT_VARIANTS if v[1] != "web"] + [
    ("unregistered-client-without-logout-uris", "web", "https://evil.example/bye"),
    ("sign-in-uri-as-logout-uri", "spa127", SPA_CB),
]


@pytest.fixture(scope="module")
def id_token_hints(target):
    """A valid ID token of manager per client, for id_token_hint."""
    return {client: target.mint(client, scope="openid")["id_token"]
            for client in (SPA, DEFAULT_SPA, WEB[0])}


@pytest.mark.parametrize("name,base,template", LOGOUT_VARIANTS, ids=[v[0] for v in LOGOUT_VARIANTS])
def test_logout_redirect_variant_is_never_redirected_to(target, id_token_hints, name, base, template):
    """After logout, only a registered post_logout_redirect_uri / logout_uri (and, for Cognito's
    sign-in-again form, a registered redirect_uri) is redirected to; a variant gets an HTML 400 page.
    RP-initiated (with id_token_hint or client_id), IDCS's /oauth2/v1/userlogout and Cognito's forms."""
    client_id, registered_cb, registered_bye = BASES[base]
    bye = variant_uri(template, registered_bye or "http://127.0.0.1:8765/bye")
    cb = variant_uri(template, registered_cb)
    hint = id_token_hints[client_id]
    url = target.url

    def get(path, pairs):
        return requests.get(f"{url}{path}?{query(pairs)}", allow_redirects=False, timeout=TIMEOUT)

    def many(param, value):
        return [(param, v) for v in value] if isinstance(value, list) else [(param, value)]

    attempts = [
        ("GET /logout id_token_hint + post_logout_redirect_uri", lambda: get(
            "/logout", [("id_token_hint", hint), ("state", "s")] + many("post_logout_redirect_uri", bye))),
        ("GET /logout client_id + post_logout_redirect_uri", lambda: get(
            "/logout", [("client_id", client_id)] + many("post_logout_redirect_uri", bye))),
        ("GET /oauth2/v1/userlogout id_token_hint", lambda: get(
            "/oauth2/v1/userlogout", [("id_token_hint", hint)] + many("post_logout_redirect_uri", bye))),
        ("GET /logout Cognito logout_uri", lambda: get(
            "/logout", [("client_id", client_id)] + many("logout_uri", bye))),
        ("POST /logout Cognito logout_uri", lambda: requests.post(
            f"{url}/logout", data=query([("client_id", client_id)] + many("logout_uri", bye)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False, timeout=TIMEOUT)),
    ]
    if isinstance(cb, list) or cb not in REGISTERED[client_id]:   # a registered one may sign in again
        attempts.append(("GET /logout Cognito redirect_uri + response_type", lambda: get(
            "/logout", [("client_id", client_id), ("response_type", "code")] + many("redirect_uri", cb))))
    problems = []
    for surface, send in attempts:
        r = send()
        if not tally("logout", f"{name} @ {surface}", html_refusal(r), show(r)):
            problems.append(f"{surface} did not refuse {bye!r} / {cb!r}:\n{show(r)}")
        assert r.status_code < 500, show(r)
    check_all(problems)


def test_control_registered_uris_are_redirected_to(target, signed_in, id_token_hints):
    """Not an attack: the registered URIs work on every surface the variants above are tried on, so
    their refusals come from the redirect URI check and nothing else."""
    url = target.url
    code_pairs = authorization_pairs(SPA, SPA_CB)
    for path in ("/oauth2/authorize", "/oauth2/v1/authorize"):
        r = signed_in.get(f"{url}{path}?{query(code_pairs)}", allow_redirects=False, timeout=TIMEOUT)
        assert r.status_code in (302, 303) and "code" in redirect_params(r.headers["Location"]), show(r)
    r = signed_in.post(f"{url}/oauth2/authorize", data=query(code_pairs), allow_redirects=False,
                       timeout=TIMEOUT, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code in (302, 303) and r.headers["Location"].startswith(SPA_CB + "?code="), show(r)
    implicit = authorization_pairs(SPA, SPA_CB, response_type="id_token token")
    r = signed_in.get(f"{url}/oauth2/authorize?{query(implicit)}", allow_redirects=False, timeout=TIMEOUT)
    assert r.headers["Location"].startswith(SPA_CB + "#"), show(r)
    assert signed_in.get(f"{url}/login?{query(code_pairs)}", timeout=TIMEOUT).status_code == 200
    r = signed_in.post(f"{url}/login", allow_redirects=False, timeout=TIMEOUT,
                       data={**dict(code_pairs), "csrf": signed_in.csrf, "username": MANAGER[0],
                             "password": MANAGER[1], "action": "login"})
    assert r.status_code in (302, 303) and r.headers["Location"].startswith(SPA_CB + "?code="), show(r)
    for path, pairs, expected in [
        ("/logout", [("id_token_hint", id_token_hints[SPA]), ("post_logout_redirect_uri", SPA_BYE),
                     ("state", "s")], f"{SPA_BYE}?state=s"),
        ("/logout", [("client_id", SPA), ("post_logout_redirect_uri", SPA_BYE)], SPA_BYE),
        ("/oauth2/v1/userlogout", [("id_token_hint", id_token_hints[SPA]),
                                   ("post_logout_redirect_uri", SPA_BYE)], SPA_BYE),
        ("/logout", [("client_id", SPA), ("logout_uri", SPA_BYE)], SPA_BYE),
        ("/logout", [("client_id", SPA), ("response_type", "code"), ("redirect_uri", SPA_CB)],
         f"{url}/oauth2/authorize?"),
    ]:
        r = requests.get(f"{url}{path}?{query(pairs)}", allow_redirects=False, timeout=TIMEOUT)
        location = urljoin(r.url, r.headers.get("Location", ""))
        assert r.status_code == 303 and location.startswith(expected), show(r)


# --- 2. login CSRF ----------------------------------------------------------------------------------

def fresh_login_form(target):
    """A new browser on the login page of an interop-spa code request: (browser, hidden fields)."""
    browser = requests.Session()
    pairs = authorization_pairs(SPA, SPA_CB)
    r = browser.get(f"{target.url}/oauth2/authorize?{query(pairs)}", allow_redirects=False,
                    timeout=TIMEOUT)
    assert r.status_code in (302, 303), show(r)
    page = browser.get(urljoin(r.url, r.headers["Location"]), allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200 and "understudy_csrf" in browser.cookies, page.text[:300]
    form = LoginForm()
    form.feed(page.text)
    return browser, {**form.hidden, "username": MANAGER[0], "password": MANAGER[1], "action": "login"}


def login_post(target, data, cookies, headers=None):
    """POST /login with exactly these cookies and headers (no session jar)."""
    return requests.post(f"{target.url}/login", data=data, cookies=cookies, headers=headers or {},
                         allow_redirects=False, timeout=TIMEOUT)


def sets_session(r):
    """Whether a response sets a (non-empty) session cookie."""
    return any(re.match(r"\s*understudy_session=[^;\s]", c)
               for c in r.raw.headers.getlist("Set-Cookie"))


CSRF_ATTACKS = {
    "no-csrf-field": lambda data, cookies, other: ({k: v for k, v in data.items() if k != "csrf"},
                                                    cookies, {}),
    "empty-csrf-field": lambda data, cookies, other: ({**data, "csrf": ""}, cookies, {}),
    "another-browsers-token": lambda data, cookies, other: ({**data, "csrf": other["csrf"]}, cookies, {}),
    "another-browsers-cookie": lambda data, cookies, other: (data, other["cookies"], {}),
    "tampered-token": lambda data, cookies, other: (
        {**data, "csrf": ("A" if data["csrf"][0] != "A" else "B") + data["csrf"][1:]}, cookies, {}),
    "no-csrf-cookie": lambda data, cookies, other: (data, {}, {}),
    "sec-fetch-site-cross-site": lambda data, cookies, other: (data, cookies,
                                                               {"Sec-Fetch-Site": "cross-site"}),
    "sec-fetch-site-same-site": lambda data, cookies, other: (data, cookies,
                                                              {"Sec-Fetch-Site": "same-site"}),
    "origin-attacker": lambda data, cookies, other: (data, cookies, {"Origin": "https://evil.example"}),
    "origin-null": lambda data, cookies, other: (data, cookies, {"Origin": "null"}),
    "origin-other-port": lambda data, cookies, other: (data, cookies,
                                                       {"Origin": f"http://127.0.0.1:{other['port'] + 1}"}),
}


@pytest.mark.parametrize("attack", CSRF_ATTACKS)
def test_login_csrf_is_refused(target, attack):
    """A login post without this browser's CSRF pair, or marked cross-site, is refused: no session
    cookie, no code. The same form sent properly afterwards signs in (so the refusal was the CSRF check)."""
    browser, data = fresh_login_form(target)
    other_browser, other_data = fresh_login_form(target)
    other = {"csrf": other_data["csrf"], "cookies": dict(other_browser.cookies), "port": target.port}
    attack_data, cookies, headers = CSRF_ATTACKS[attack](data, dict(browser.cookies), other)
    r = login_post(target, attack_data, cookies, headers)
    refused = (r.status_code == 403 and "Location" not in r.headers and not sets_session(r)
               and "code=" not in r.text)
    tally("csrf", attack, refused, show(r))
    assert refused, f"login CSRF {attack} accepted:\n{show(r)}"
    # The browser has no session: prompt=none says login_required.
    pairs = authorization_pairs(SPA, SPA_CB) + [("prompt", "none")]
    silent = browser.get(f"{target.url}/oauth2/authorize?{query(pairs)}", allow_redirects=False,
                         timeout=TIMEOUT)
    assert redirect_params(silent.headers["Location"]).get("error") == "login_required", show(silent)
    # Control: the untouched form from the right browser signs in.
    ok = browser.post(f"{target.url}/login", data=data, allow_redirects=False, timeout=TIMEOUT)
    assert ok.status_code in (302, 303) and "code" in redirect_params(ok.headers["Location"]), show(ok)
    browser.close()
    other_browser.close()


def test_login_get_with_credentials_does_not_sign_in(target):
    """GET /login with the form's fields in the query (a link or an <img> on another site) shows the
    page and signs nobody in."""
    browser, data = fresh_login_form(target)
    r = browser.get(f"{target.url}/login?{query(list(data.items()))}", allow_redirects=False,
                    timeout=TIMEOUT)
    refused = "Location" not in r.headers and not sets_session(r)
    tally("csrf", "GET /login with credentials", refused, show(r))
    assert refused, show(r)


@pytest.mark.parametrize("attack", ["no-csrf-field", "sec-fetch-site-cross-site", "get-confirm"])
def test_logout_confirmation_csrf_is_refused(target, attack):
    """The "Sign out?" confirmation needs its CSRF token and a same-origin post: a forged sign-out
    leaves the session alive."""
    browser, data = fresh_login_form(target)
    assert browser.post(f"{target.url}/login", data=data, allow_redirects=False,
                        timeout=TIMEOUT).status_code in (302, 303)
    page = browser.get(f"{target.url}/logout", allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200 and "csrf" in page.text, show(page)
    form = LoginForm()
    form.feed(page.text)
    csrf = form.hidden.get("csrf")
    assert csrf, page.text[:500]
    if attack == "no-csrf-field":
        r = browser.post(f"{target.url}/logout", data={"confirm": "yes"}, allow_redirects=False,
                         timeout=TIMEOUT)
    elif attack == "sec-fetch-site-cross-site":
        r = browser.post(f"{target.url}/logout", data={"confirm": "yes", "csrf": csrf},
                         headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False, timeout=TIMEOUT)
    else:
        r = browser.get(f"{target.url}/logout?confirm=yes&csrf={quote(csrf)}",
                        allow_redirects=False, timeout=TIMEOUT)
    pairs = authorization_pairs(SPA, SPA_CB) + [("prompt", "none")]
    silent = browser.get(f"{target.url}/oauth2/authorize?{query(pairs)}", allow_redirects=False,
                         timeout=TIMEOUT)
    alive = "code" in redirect_params(silent.headers.get("Location", ""))
    refused = alive and r.status_code in (200, 403) and "Location" not in r.headers
    tally("csrf", f"logout {attack}", refused, show(r))
    assert refused, f"forged sign-out ({attack}) ended the session:\n{show(r)}\n{show(silent)}"
    browser.close()


# --- 3. authorization codes -----------------------------------------------------------------------

def test_code_replay_is_refused_and_revokes_the_first_tokens(target, signed_in):
    """A code redeemed twice: the second redemption gets invalid_grant, and the access and refresh
    tokens of the first are revoked (userinfo, introspection, refresh, SCIM /Me)."""
    verifier, challenge = pkce_pair()
    code = sso_code(target, signed_in, SPA, SPA_CB, challenge=challenge)
    session = OAuth2Session(SPA, redirect_uri=SPA_CB, token_endpoint_auth_method="none")
    first = session.fetch_token(target.discovery["token_endpoint"], grant_type="authorization_code",
                                code=code, code_verifier=verifier)
    assert userinfo(target, first["access_token"]).status_code == 200
    again = oauth_error(session.fetch_token, target.discovery["token_endpoint"],
                        grant_type="authorization_code", code=code, code_verifier=verifier)
    problems = []
    if not tally("code", "second redemption", isinstance(again, OAuthError) and again.error == "invalid_grant",
                 repr(again)):
        problems.append(f"replayed code redeemed: {again!r}")
    problems += refused_token_problems(target, "code", "first redemption's access token after replay",
                                       first["access_token"])
    refreshed = oauth_error(session.refresh_token, target.discovery["token_endpoint"],
                            refresh_token=first["refresh_token"])
    if not tally("code", "first redemption's refresh token after replay",
                 isinstance(refreshed, OAuthError) and refreshed.error == "invalid_grant", repr(refreshed)):
        problems.append(f"refresh token of a replayed code still works: {refreshed!r}")
    check_all(problems)


@pytest.mark.parametrize("thief", ["public spa (same redirect_uri, right verifier)",
                                   "confidential interop-web", "confidential orders-service"])
def test_code_of_another_client_is_refused(target, signed_in, thief):
    """interop-spa's code, redeemed by another client with everything else right, gets invalid_grant."""
    verifier, challenge = pkce_pair()
    code = sso_code(target, signed_in, SPA, SPA_CB, challenge=challenge)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CB,
            "code_verifier": verifier}
    if thief.startswith("public"):
        r = token_request(target, {**data, "client_id": DEFAULT_SPA})
    elif "interop-web" in thief:
        r = token_request(target, data, auth=WEB)
    else:
        r = token_request(target, data, auth=ORDERS)
    refused = r.status_code == 400 and r.json().get("error") in ("invalid_grant", "unauthorized_client") \
        and "access_token" not in r.text
    tally("code", f"code redeemed by {thief}", refused, show(r))
    assert refused, show(r)


@pytest.mark.parametrize("redirect_uri", [WEB_CB + "/", SPA_CB, "https://evil.example/web/cb", None],
                         ids=["trailing-slash", "other-registered-uri", "attacker-uri", "absent"])
def test_code_with_another_redirect_uri_is_refused(target, signed_in, redirect_uri):
    """A code is bound to the redirect_uri of its authorization request (RFC 6749 §4.1.3)."""
    code = sso_code(target, signed_in, WEB[0], WEB_CB, challenge="", method=None)
    data = {"grant_type": "authorization_code", "code": code}
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri
    r = token_request(target, data, auth=WEB)
    refused = r.status_code == 400 and r.json().get("error") in ("invalid_grant", "invalid_request")
    tally("code", f"redirect_uri {redirect_uri!r} at redemption", refused, show(r))
    assert refused, show(r)


@pytest.mark.parametrize("code", ["", "x" * 43, "A" * 2048, "' OR '1'='1"],
                         ids=["empty", "made-up", "huge", "sql"])
def test_made_up_code_is_refused(target, code):
    r = token_request(target, {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_CB},
                      auth=WEB)
    refused = r.status_code == 400 and r.json().get("error") in ("invalid_grant", "invalid_request")
    tally("code", f"made-up code {code[:12]!r}", refused, show(r))
    assert refused, show(r)


def test_code_after_expiry():
    pytest.skip("codes live 60 s: an expired-code test would not fit this file's < 60 s budget")


# --- 4. PKCE downgrade ------------------------------------------------------------------------------

def redeem_spa(target, code, verifier):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA_CB, "client_id": SPA}
    if verifier is not None:
        data["code_verifier"] = verifier
    return token_request(target, data)


@pytest.mark.parametrize("presented", ["absent", "another verifier", "the challenge itself (plain)",
                                       "verifier with a changed last char"])
def test_pkce_redemption_without_the_verifier_is_refused(target, signed_in, presented):
    """interop-spa's S256 code is redeemed only with its verifier."""
    verifier, challenge = pkce_pair()
    code = sso_code(target, signed_in, SPA, SPA_CB, challenge=challenge)
    sent = {"absent": None, "another verifier": secrets.token_urlsafe(48),
            "the challenge itself (plain)": challenge,
            "verifier with a changed last char": verifier[:-1] + ("A" if verifier[-1] != "A" else "B")}
    r = redeem_spa(target, code, sent[presented])
    refused = r.status_code == 400 and r.json().get("error") == "invalid_grant"
    tally("pkce", f"verifier {presented}", refused, show(r))
    assert refused, show(r)
    # The code was not spent by the failed attempt's tokens: nothing was issued.
    assert "access_token" not in r.text


BAD_VERIFIERS = {
    "42 chars": secrets.token_urlsafe(48)[:42],
    "129 chars": (secrets.token_urlsafe(100) * 2)[:129],
    "plus and slash (base64)": base64.b64encode(b"\xfb\xff" * 30).decode()[:60],
    "padding '='": secrets.token_urlsafe(45)[:44] + "=",
    "space": secrets.token_urlsafe(30)[:21] + " " + secrets.token_urlsafe(30)[:21],
    "non-ASCII": secrets.token_urlsafe(45)[:43] + "\u00e9",
    "empty": "",
}


@pytest.mark.parametrize("kind", BAD_VERIFIERS)
def test_pkce_verifier_of_wrong_length_or_charset_is_refused(target, signed_in, kind):
    """A verifier outside RFC 7636 §4.1 (43-128 unreserved characters) is refused even when its S256
    hash is the challenge."""
    verifier = BAD_VERIFIERS[kind]
    code = sso_code(target, signed_in, SPA, SPA_CB, challenge=s256(verifier))
    r = redeem_spa(target, code, verifier)
    refused = r.status_code == 400 and r.json().get("error") in ("invalid_grant", "invalid_request")
    tally("pkce", f"verifier {kind}", refused, show(r))
    assert refused, show(r)


@pytest.mark.parametrize("method", ["plain", "absent (defaults to plain)", "none", "S512"])
def test_pkce_plain_is_refused_for_a_client_without_allow_plain(target, signed_in, method):
    """interop-spa does not allow plain: the request goes back with invalid_request and no code."""
    verifier = secrets.token_urlsafe(48)
    sent = {"plain": "plain", "absent (defaults to plain)": None, "none": "none", "S512": "S512"}[method]
    pairs = authorization_pairs(SPA, SPA_CB, challenge=verifier, method=sent)
    r = signed_in.get(f"{target.url}/oauth2/authorize?{query(pairs)}", allow_redirects=False,
                      timeout=TIMEOUT)
    params = redirect_params(r.headers.get("Location", ""))
    refused = (r.status_code in (302, 303) and r.headers["Location"].startswith(SPA_CB + "?")
               and params.get("error") == "invalid_request" and "code" not in params)
    tally("pkce", f"code_challenge_method {method}", refused, show(r))
    assert refused, show(r)


def test_pkce_required_for_a_public_client(target, signed_in):
    pairs = authorization_pairs(SPA, SPA_CB, challenge="", method=None)
    r = signed_in.get(f"{target.url}/oauth2/authorize?{query(pairs)}", allow_redirects=False,
                      timeout=TIMEOUT)
    params = redirect_params(r.headers.get("Location", ""))
    refused = params.get("error") == "invalid_request" and "code" not in params
    tally("pkce", "public client without code_challenge", refused, show(r))
    assert refused, show(r)


def test_pkce_confidential_client_with_challenge_needs_the_verifier(target, signed_in):
    """A challenge binds the code even for a confidential client: its secret alone does not redeem it."""
    _, challenge = pkce_pair()
    code = sso_code(target, signed_in, WEB[0], WEB_CB, challenge=challenge)
    r = token_request(target, {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_CB},
                      auth=WEB)
    refused = r.status_code == 400 and r.json().get("error") == "invalid_grant"
    tally("pkce", "confidential client, challenge sent, no verifier", refused, show(r))
    assert refused, show(r)


def test_pkce_verifier_for_a_code_without_challenge_is_refused(target, signed_in):
    """RFC 9700 §4.8.2: a code_verifier for a code issued without a challenge is a downgrade attempt."""
    code = sso_code(target, signed_in, WEB[0], WEB_CB, challenge="", method=None)
    r = token_request(target, {"grant_type": "authorization_code", "code": code, "redirect_uri": WEB_CB,
                               "code_verifier": secrets.token_urlsafe(48)}, auth=WEB)
    refused = r.status_code == 400 and r.json().get("error") == "invalid_grant"
    tally("pkce", "verifier for a code issued without challenge", refused, show(r))
    assert refused, show(r)


# --- 5. refresh token reuse ---------------------------------------------------------------------------

@pytest.mark.parametrize("client", ["public interop-spa", "confidential interop-web"])
def test_refresh_token_reuse_revokes_the_family(target, signed_in, client):
    """Rotate once, then present the spent refresh token: invalid_grant, and the family (the new
    refresh token, and the access tokens the family issued) is revoked."""
    if client.startswith("public"):
        token = spa_tokens(target, signed_in)
        session = OAuth2Session(SPA, token_endpoint_auth_method="none")
        introspector = ORDERS
    else:
        session = OAuth2Session(*WEB, scope="openid email groups")
        token = session.fetch_token(target.discovery["token_endpoint"], username=MANAGER[0],
                                    password=MANAGER[1])
        introspector = WEB            # a refresh token is introspectable by its own client only
    endpoint = target.discovery["token_endpoint"]
    rotated = session.refresh_token(endpoint, refresh_token=token["refresh_token"])
    assert rotated["refresh_token"] != token["refresh_token"]
    assert userinfo(target, rotated["access_token"]).status_code == 200
    if introspector == WEB:
        assert introspect(target, rotated["refresh_token"], WEB).json()["active"] is True

    problems = []
    reused = oauth_error(session.refresh_token, endpoint, refresh_token=token["refresh_token"])
    if not tally("refresh", f"{client}: spent refresh token reused",
                 isinstance(reused, OAuthError) and reused.error == "invalid_grant", repr(reused)):
        problems.append(f"spent refresh token accepted: {reused!r}")
    successor = oauth_error(session.refresh_token, endpoint, refresh_token=rotated["refresh_token"])
    if not tally("refresh", f"{client}: successor refresh token after reuse",
                 isinstance(successor, OAuthError) and successor.error == "invalid_grant", repr(successor)):
        problems.append(f"successor refresh token still works after reuse: {successor!r}")
    if introspector == WEB:
        r = introspect(target, rotated["refresh_token"], WEB)
        if not tally("refresh", f"{client}: successor refresh token at introspection",
                     r.json() == {"active": False}, show(r)):
            problems.append(f"successor refresh token active at introspection:\n{show(r)}")
    problems += refused_token_problems(target, "refresh", f"{client}: successor's access token",
                                       rotated["access_token"])
    problems += refused_token_problems(target, "refresh", f"{client}: first access token of the family",
                                       token["access_token"])
    check_all(problems)


def test_refresh_token_of_another_client_is_refused(target, signed_in):
    token = spa_tokens(target, signed_in)
    r = token_request(target, {"grant_type": "refresh_token", "refresh_token": token["refresh_token"],
                               "client_id": DEFAULT_SPA})
    refused = r.status_code == 400 and r.json().get("error") == "invalid_grant"
    tally("refresh", "interop-spa's refresh token used by spa", refused, show(r))
    assert refused, show(r)


# --- 6. token confusion and forgery -----------------------------------------------------------------

def b64url(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token):
    h, p, s = token.split(".")
    return json.loads(unb64url(h)), json.loads(unb64url(p)), s


def hmac_token(header, payload, secret, alg="HS256"):
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    signing_input = f"{b64url({**header, 'alg': alg})}.{b64url(payload)}"
    return f"{signing_input}.{b64url(hmac.new(secret, signing_input.encode(), digest).digest())}"


class JWKSHost:
    """A local JWKS with the attacker's keys, for `jku` headers (the server must never fetch it)."""

    def __init__(self, jwks):
        body = json.dumps(jwks).encode()
        self.hits = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                host.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def forge(target):
    """What a forger has: a valid access and ID token of manager, the server's public keys, and keys
    of their own (RSA and EC), published on a JWKS of their own."""
    minted = target.mint(SPA, scope="openid groups")
    access, id_token = minted["access_token"], minted["id_token"]
    # The controls: the genuine tokens work at every surface the forgeries are tried on.
    assert userinfo(target, access).status_code == 200
    assert introspect(target, access).json()["active"] is True
    assert scim_me(target, access).status_code == 200
    rsa_jwk, ec_jwk = target.key("RSA"), target.key("EC")
    server_rsa = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(rsa_jwk))
    server_ec = jwt.algorithms.ECAlgorithm.from_jwk(json.dumps(ec_jwk))
    attacker_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attacker_ec = ec.generate_private_key(ec.SECP256R1())
    attacker_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(attacker_rsa.public_key()))
    attacker_jwk.update(kid="attacker", alg="RS256", use="sig")
    host = JWKSHost({"keys": [attacker_jwk, {**attacker_jwk, "kid": rsa_jwk["kid"]}]})
    yield {
        "access": access, "id_token": id_token, "rsa_kid": rsa_jwk["kid"], "ec_kid": ec_jwk["kid"],
        "rsa_jwk": rsa_jwk, "server_rsa": server_rsa, "server_ec": server_ec,
        "attacker_rsa": attacker_rsa, "attacker_ec": attacker_ec, "attacker_jwk": attacker_jwk,
        "jku": host.url, "jku_host": host,
    }
    host.close()


def signed_by_attacker(f, header_changes=None, claim_changes=None, key="attacker_rsa", alg="RS256"):
    header, payload, _ = parts(f["access"])
    header = {k: v for k, v in {**header, **(header_changes or {})}.items() if v is not None}
    header.pop("alg", None)
    payload = {**payload, **(claim_changes or {})}
    return jwt.encode(payload, f[key], algorithm=alg, headers=header)


def with_original_signature(f, header_changes=None, claim_changes=None):
    header, payload, signature = parts(f["access"])
    return f"{b64url({**header, **(header_changes or {})})}.{b64url({**payload, **(claim_changes or {})})}.{signature}"


def alg_none(f, alg="none", signature=""):
    header, payload, original = parts(f["access"])
    token = f"{b64url({**header, 'alg': alg})}.{b64url(payload)}"
    if signature is None:
        return token
    return f"{token}.{original if signature == 'original' else signature}"


def hmac_with_server_key(f, form, alg="HS256"):
    header, payload, _ = parts(f["access"])
    key = f["server_rsa"]
    secrets_by_form = {
        "PEM SubjectPublicKeyInfo": key.public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo),
        "PEM PKCS#1": key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1),
        "PEM without final newline": key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).rstrip(b"\n"),
        "DER SubjectPublicKeyInfo": key.public_bytes(serialization.Encoding.DER,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo),
        "DER PKCS#1": key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1),
        "JWK as published": json.dumps(f["rsa_jwk"]).encode(),
        "JWK compact": json.dumps(f["rsa_jwk"], separators=(",", ":"), sort_keys=True).encode(),
        "modulus n (base64url)": f["rsa_jwk"]["n"].encode(),
        "modulus n (bytes)": unb64url(f["rsa_jwk"]["n"]),
        "EC key PEM (ES256 kid)": f["server_ec"].public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    if form.startswith("EC"):
        header = {**header, "kid": f["ec_kid"]}
    return hmac_token(header, payload, secrets_by_form[form], alg)


def now():
    return int(time.time())


FORGERIES = {
    # another issuer's key, presented under this server's kid
    "attacker key, server's RSA kid": lambda f: signed_by_attacker(f),
    "attacker key, server's kid, other iss": lambda f: signed_by_attacker(
        f, claim_changes={"iss": "https://evil.example"}),
    "attacker key, unknown kid": lambda f: signed_by_attacker(f, {"kid": "attacker"}),
    "attacker key, no kid": lambda f: signed_by_attacker(f, {"kid": None}),
    "attacker key, kid path traversal": lambda f: signed_by_attacker(f, {"kid": "../../keys/dev-rsa-2048"}),
    "attacker key, kid SQL injection": lambda f: signed_by_attacker(f, {"kid": "' OR '1'='1"}),
    "attacker key, embedded jwk header": lambda f: signed_by_attacker(
        f, {"kid": "attacker", "jwk": f["attacker_jwk"]}),
    "attacker key, server's kid + embedded jwk": lambda f: signed_by_attacker(
        f, {"jwk": {**f["attacker_jwk"], "kid": f["rsa_kid"]}}),
    "attacker key, jku to attacker JWKS": lambda f: signed_by_attacker(f, {"kid": "attacker", "jku": f["jku"]}),
    "attacker key, server's kid + jku": lambda f: signed_by_attacker(f, {"jku": f["jku"]}),
    "attacker EC key, ES256 under the RSA kid": lambda f: signed_by_attacker(
        f, key="attacker_ec", alg="ES256"),
    "attacker EC key, server's EC kid": lambda f: signed_by_attacker(
        f, {"kid": f["ec_kid"]}, key="attacker_ec", alg="ES256"),
    "attacker RSA key, RS256 under the EC kid": lambda f: signed_by_attacker(f, {"kid": f["ec_kid"]}),
    "attacker key, PS256 under the RSA kid": lambda f: signed_by_attacker(f, alg="PS256"),
    # not-yet-valid: the server cannot mint it, so it is forged, and it fails on the key first
    "not yet valid (nbf, iat +1 h; attacker key)": lambda f: signed_by_attacker(
        f, claim_changes={"nbf": now() + 3600, "iat": now() + 3600, "exp": now() + 7200}),
    # alg none
    "alg none, empty signature": lambda f: alg_none(f),
    "alg none, no signature part": lambda f: alg_none(f, signature=None),
    "alg none, original signature": lambda f: alg_none(f, signature="original"),
    "alg None": lambda f: alg_none(f, alg="None"),
    "alg NONE": lambda f: alg_none(f, alg="NONE"),
    "alg nOnE": lambda f: alg_none(f, alg="nOnE"),
    "alg empty string": lambda f: alg_none(f, alg=""),
    # HMAC with the public key as the secret
    **{f"HS256 with server public key, {form}": (lambda form: lambda f: hmac_with_server_key(f, form))(form)
       for form in ("PEM SubjectPublicKeyInfo", "PEM PKCS#1", "PEM without final newline",
                    "DER SubjectPublicKeyInfo", "DER PKCS#1", "JWK as published", "JWK compact",
                    "modulus n (base64url)", "modulus n (bytes)", "EC key PEM (ES256 kid)")},
    "HS384 with server public key PEM": lambda f: hmac_with_server_key(f, "PEM SubjectPublicKeyInfo", "HS384"),
    "HS512 with server public key PEM": lambda f: hmac_with_server_key(f, "PEM SubjectPublicKeyInfo", "HS512"),
    # modified tokens, signature kept
    "payload: sub changed": lambda f: with_original_signature(f, claim_changes={"sub": "someone-else"}),
    "payload: exp extended": lambda f: with_original_signature(f, claim_changes={"exp": now() + 10 ** 6}),
    "payload: groups added": lambda f: with_original_signature(f, claim_changes={"groups": ["Admins"]}),
    "payload: scope widened": lambda f: with_original_signature(
        f, claim_changes={"scope": "openid groups orders/get.order"}),
    "header: typ changed": lambda f: with_original_signature(f, header_changes={"typ": "JWT"}),
    "header: alg RS512": lambda f: with_original_signature(f, header_changes={"alg": "RS512"}),
    "signature stripped (alg RS256)": lambda f: f["access"].rsplit(".", 1)[0] + ".",
    "signature of another token": lambda f: ".".join(f["access"].split(".")[:2]
                                                     + [f["id_token"].split(".")[2]]),
    "signature truncated": lambda f: f["access"][:-4],
    "four parts": lambda f: f["access"] + ".e30",
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_forged_token_is_refused(target, forge, forgery):
    """A forged or tampered access token fails at userinfo (401 invalid_token, Bearer header or form
    field), at introspection (active: false) and at SCIM /Me (401)."""
    token = FORGERIES[forgery](forge)
    problems = refused_token_problems(target, "token", forgery, token)
    assert forge["jku_host"].hits == 0, "the server fetched the attacker's jku"
    check_all(problems)


def test_id_token_is_not_an_access_token(target, forge):
    """OIDC: an ID token at userinfo or SCIM /Me is refused (introspection may describe it)."""
    check_all(refused_token_problems(target, "token", "ID token as access token", forge["id_token"],
                                     surfaces=("userinfo", "me")))


def test_client_credentials_and_refresh_tokens_are_not_user_access_tokens(target, signed_in):
    """A client-credentials token (no user) and an opaque refresh token are refused at userinfo and /Me."""
    with OAuth2Session(*ORDERS, token_endpoint_auth_method="client_secret_basic") as s:
        machine = s.fetch_token(target.discovery["token_endpoint"], grant_type="client_credentials")
    refresh = spa_tokens(target, signed_in)["refresh_token"]
    problems = refused_token_problems(target, "token", "client-credentials token as user token",
                                      machine["access_token"], surfaces=("userinfo", "me"))
    problems += refused_token_problems(target, "token", "refresh token as access token", refresh)
    check_all(problems)


def test_expired_token_is_refused(target):
    """A token minted with expires_in 1, presented 2 s later."""
    minted = target.mint(SPA, scope="openid groups", expires_in=1)
    _, payload, _ = parts(minted["access_token"])
    assert payload["exp"] - payload["iat"] == 1
    time.sleep(max(0.0, payload["exp"] + 1.05 - time.time()))
    problems = refused_token_problems(target, "token", "expired access token", minted["access_token"])
    check_all(problems)


def test_revoked_token_is_refused(target, signed_in):
    """An access token revoked by its client (RFC 7009, authlib) fails everywhere."""
    token = spa_tokens(target, signed_in)
    assert userinfo(target, token["access_token"]).status_code == 200
    with OAuth2Session(SPA, token_endpoint_auth_method="none",
                       revocation_endpoint_auth_method="none") as s:
        r = s.revoke_token(target.discovery["revocation_endpoint"], token=token["access_token"],
                           token_type_hint="access_token")
    assert r.status_code == 200, r.text
    check_all(refused_token_problems(target, "token", "revoked access token", token["access_token"]))


@pytest.mark.parametrize("forgery", ["alg none", "attacker key, server's kid", "HS256 with public key PEM"])
def test_forged_id_token_hint_is_refused_at_logout(target, forge, forgery):
    """A forged id_token_hint does not name a client whose sign-out URL is then redirected to."""
    header, payload, _ = parts(forge["id_token"])
    if forgery == "alg none":
        hint = f"{b64url({**header, 'alg': 'none'})}.{b64url(payload)}."
    elif forgery.startswith("attacker"):
        hint = jwt.encode(payload, forge["attacker_rsa"], algorithm="RS256",
                          headers={k: v for k, v in header.items() if k != "alg"})
    else:
        hint = hmac_token(header, payload, forge["server_rsa"].public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    r = requests.get(f"{target.url}/logout", allow_redirects=False, timeout=TIMEOUT,
                     params={"id_token_hint": hint, "post_logout_redirect_uri": SPA_BYE})
    refused = html_refusal(r)
    tally("token", f"forged id_token_hint ({forgery}) at logout", refused, show(r))
    assert refused, show(r)


# --- 7. admin API and SCIM authentication ---------------------------------------------------------

def admin_variants(token):
    """(name, headers, query params, form body) that must all be refused."""
    def changed(i):
        c = token[i]
        return token[:i] + ("A" if c != "A" else "B") + token[i + 1:]

    basic = lambda s: "Basic " + base64.b64encode(s.encode()).decode()
    yield "no token", {}, {}, None
    yield "wrong token", {"Authorization": "Bearer wrong-token"}, {}, None
    yield "empty bearer", {"Authorization": "Bearer "}, {}, None
    yield "token upper-cased", {"Authorization": f"Bearer {token.upper()}"}, {}, None
    yield "token lower-cased", {"Authorization": f"Bearer {token.lower()}"}, {}, None
    yield "token case-swapped", {"Authorization": f"Bearer {token.swapcase()}"}, {}, None
    i = max([i for i, c in enumerate(token) if c.isalpha()] or [0])
    yield "one letter's case changed", {
        "Authorization": f"Bearer {token[:i] + token[i].swapcase() + token[i + 1:]}"}, {}, None
    yield "first char changed", {"Authorization": f"Bearer {changed(0)}"}, {}, None
    yield "last char changed", {"Authorization": f"Bearer {changed(len(token) - 1)}"}, {}, None
    yield "one char appended", {"Authorization": f"Bearer {token}x"}, {}, None
    yield "last char removed", {"Authorization": f"Bearer {token[:-1]}"}, {}, None
    yield "Basic token", {"Authorization": basic(token)}, {}, None
    yield "Basic admin:token", {"Authorization": basic(f"admin:{token}")}, {}, None
    yield "Basic token:", {"Authorization": basic(f"{token}:")}, {}, None
    yield "Basic with raw token", {"Authorization": f"Basic {token}"}, {}, None
    yield "Token scheme", {"Authorization": f"Token {token}"}, {}, None
    yield "no scheme", {"Authorization": token}, {}, None
    yield "query access_token", {}, {"access_token": token}, None
    yield "query admin_token", {}, {"admin_token": token}, None
    yield "query token", {}, {"token": token}, None
    yield "form access_token", {}, {}, {"access_token": token}


def admin_routes(target):
    mint = {"client_id": SPA, "user": "manager", "scope": "openid groups"}
    user = {"schemas": [USER_SCHEMA], "userName": "intruder", "password": "intruder-password"}
    return [
        ("admin", "GET", "/admin/v1/clients", None),
        ("admin", "GET", "/admin/v1/keys", None),
        ("admin", "GET", "/admin/v1/audit", None),
        ("admin", "POST", "/admin/v1/tokens", mint),
        ("admin", "POST", "/admin/v1/clients", {"client_id": "intruder", "grant_types": ["client_credentials"],
                                                "scopes": ["orders/get.order"]}),
        ("scim", "GET", "/scim/v2/Users", None),
        ("scim", "POST", "/scim/v2/Users", user),
        ("scim", "GET", "/admin/v1/Users", None),
        ("scim", "GET", "/scim/v2/Groups", None),
    ]


@pytest.fixture(scope="module")
def admin_variant_list(target):
    return list(admin_variants(target.admin_token))


ADMIN_VARIANT_NAMES = [v[0] for v in admin_variants("Tok3n-Sample_value")]


@pytest.mark.parametrize("variant", ADMIN_VARIANT_NAMES)
def test_admin_and_scim_refuse_anything_but_the_admin_token(target, admin_variant_list, variant):
    """Without the exact admin token in `Authorization: Bearer`, the admin API and SCIM answer 401 with
    a Bearer challenge, and nothing happens (no token minted, no user or client created)."""
    (_, headers, params, form), = [v for v in admin_variant_list if v[0] == variant]
    if headers.get("Authorization") == f"Bearer {target.admin_token}":
        pytest.skip("this run's admin token has no letter of the case this variant changes")
    problems = []
    for kind, method, path, body in admin_routes(target):
        kwargs = {"headers": headers, "params": params, "timeout": TIMEOUT}
        if form is not None:
            kwargs["data"] = {**form, **({k: json.dumps(v) if isinstance(v, list) else v
                                          for k, v in (body or {}).items()})}
        elif body is not None:
            kwargs["json"] = body
        r = requests.request(method, f"{target.url}{path}", **kwargs)
        # 401, or 400 invalid_request for malformed credentials (RFC 6750 §3.1), with a Bearer challenge
        refused = (r.status_code in (400, 401) and r.headers.get("WWW-Authenticate", "").startswith("Bearer")
                   and "access_token" not in r.text and "intruder" not in r.text)
        if not tally("admin", f"{variant} @ {method} {path}", refused, show(r)):
            problems.append(f"{variant} @ {method} {path} not refused:\n{show(r)}")
    assert target.find_users("intruder") == []
    r = requests.get(f"{target.url}/admin/v1/clients/intruder", headers=target.admin_headers,
                     timeout=TIMEOUT)
    assert r.status_code == 404, r.text
    check_all(problems)


def test_user_access_token_is_not_an_admin_token(target, forge):
    """A valid user access token opens neither the admin API nor SCIM user management."""
    problems = []
    for kind, method, path, body in admin_routes(target):
        r = requests.request(method, f"{target.url}{path}", json=body, timeout=TIMEOUT,
                             headers={"Authorization": f"Bearer {forge['access']}"})
        refused = r.status_code == 401 and "access_token" not in r.text
        if not tally("admin", f"user access token @ {method} {path}", refused, show(r)):
            problems.append(show(r))
    check_all(problems)


def test_admin_token_is_not_a_scim_me_token(target):
    """SCIM /Me takes only a user's own access token: the admin token names no user."""
    r = scim_me(target, target.admin_token)
    refused = r.status_code == 401
    tally("admin", "admin token at /scim/v2/Me", refused, show(r))
    assert refused, show(r)


# --- 8. password brute force: Cognito's lockout ---------------------------------------------------

LOCKED = "Password attempts exceeded"


def password_grant(username, password, target):
    """The password grant for interop-web by authlib: the token, or the OAuthError."""
    with OAuth2Session(*WEB, scope="openid") as web:
        return oauth_error(web.fetch_token, target.discovery["token_endpoint"],
                           username=username, password=password)


def locked_grant(result):
    return isinstance(result, OAuthError) and result.error == "invalid_grant" \
        and LOCKED in (result.description or "")


def failed_grant(result):
    return isinstance(result, OAuthError) and result.error == "invalid_grant" \
        and LOCKED not in (result.description or "")


def login_attempt(target, browser, data, username, password):
    return browser.post(f"{target.url}/login", allow_redirects=False, timeout=TIMEOUT,
                        data={**data, "username": username, "password": password})


def locked_page(r):
    return (r.status_code in (200, 400, 403, 429) and LOCKED in r.text and "Location" not in r.headers
            and not sets_session(r))


def test_password_brute_force_locks_the_username(target):
    """Cognito's lockout: after 5 failed attempts in a row for a username, further attempts, even with
    the right password, are refused with "Password attempts exceeded" for about 1 s; the next failure
    doubles the lock (2 s). Failures count across the password grant and the login page alike."""
    run = secrets.token_hex(4)
    grant_user, page_user = (f"brute-grant-{run}", secrets.token_urlsafe(12)), \
        (f"brute-page-{run}", secrets.token_urlsafe(12))
    for username, password in (grant_user, page_user):
        target.create_user(username, password)
    browser, form = fresh_login_form(target)
    problems = []

    def expect(attack, ok, evidence):
        if not tally("brute", attack, ok, evidence):
            problems.append(f"{attack}: {evidence}")

    # Five wrong passwords by the password grant: plain failures.
    username, password = grant_user
    for attempt in range(5):
        result = password_grant(username, f"guess-{attempt}", target)
        assert failed_grant(result), f"guess {attempt + 1}: {result!r}"
    locked_at = time.monotonic()
    # Locked now: the right password is refused, by the grant and by the login page.
    result = password_grant(username, password, target)
    expect("right password by the grant during the 1 s lock", locked_grant(result), repr(result))
    r = login_attempt(target, browser, form, username, password)
    expect("right password on the login page during the 1 s lock", locked_page(r), show(r))
    check_all(problems)                    # the rest assumes the lock exists

    # After about 1 s the lock ends; one more failure locks for about 2 s.
    time.sleep(max(0.0, locked_at + 1.5 - time.monotonic()))
    sent = time.monotonic()
    assert failed_grant(password_grant(username, "guess-6", target))
    received = time.monotonic()
    result = password_grant(username, password, target)
    expect("right password right after the 6th failure", locked_grant(result), repr(result))
    time.sleep(max(0.0, sent + 1.3 - time.monotonic()))
    result = password_grant(username, password, target)
    if time.monotonic() < sent + 1.95:     # certainly inside the 2 s lock
        expect("right password 1.3 s after the 6th failure (lock doubled)", locked_grant(result), repr(result))
    time.sleep(max(0.0, received + 2.4 - time.monotonic()))
    result = password_grant(username, password, target)
    assert not isinstance(result, OAuthError), f"the lock should have ended: {result!r}"
    assert failed_grant(password_grant(username, "guess-after-success", target)), \
        "a success clears the record"

    # Five wrong passwords on the login page lock the username for the grant and the page.
    username, password = page_user
    for attempt in range(5):
        r = login_attempt(target, browser, form, username, f"guess-{attempt}")
        assert r.status_code == 200 and "Incorrect username or password" in r.text, show(r)
    result = password_grant(username, password, target)
    expect("right password by the grant after 5 login-page failures", locked_grant(result), repr(result))
    r = login_attempt(target, browser, form, username, password)
    expect("right password on the login page after 5 login-page failures", locked_page(r), show(r))
    browser.close()
    check_all(problems)
