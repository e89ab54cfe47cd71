"""Browser-flow interop: authlib drives code + PKCE, implicit, password, refresh,
revocation and logout; requests plays the browser on the HTML login page.

ID tokens are checked the way authlib 1.9's own OpenID client does it
(authlib/integrations/base_client/sync_openid.py): joserfc verifies the
signature against the JWKS, then authlib.oidc.core's CodeIDToken or
ImplicitIDToken validates iss, aud, exp, nonce and at_hash.
"""

import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken, ImplicitIDToken
from joserfc import jwt
from joserfc.errors import InvalidClaimError
from joserfc.jwk import KeySet

SPA = "interop-spa"                      # public client (seed-interop.yaml)
SPA_CB = "http://127.0.0.1:8765/cb"
SPA_BYE = "http://127.0.0.1:8765/bye"
WEB = ("interop-web", "interop-web-secret")  # confidential client
WEB_CB = "http://127.0.0.1:8765/web/cb"
MANAGER = ("manager", "manager-password")
EMPLOYEE = ("employee", "employee-password")
TIMEOUT = 5
# A state with characters that must survive HTML escaping in the login form's
# hidden inputs and URL encoding in the redirect.
TRICKY_STATE = "s&t<a>t\"e'=1 +%/?#"


# --- the "browser": requests on the HTML login page -------------------------

class LoginForm(HTMLParser):
    """Collects the login form's action and hidden inputs.

    HTMLParser already unescapes attribute values (&amp; -> &, &quot; -> ")."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.hidden = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == "login-form":
            self.action = a.get("action")
        elif tag == "input" and a.get("type") == "hidden":
            assert a["name"] not in self.hidden, f"hidden input {a['name']} repeated"
            self.hidden[a["name"]] = a.get("value") or ""


def authorize(browser, url):
    """GET an authorization URL without following redirects; return the absolute Location."""
    r = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    return urljoin(r.url, r.headers["Location"])


def sign_in(browser, url, user, redirect_uri):
    """Follow an authorization URL to the login page, submit the form as user,
    and return the Location the server sends the browser to (at redirect_uri)."""
    login_url = authorize(browser, url)
    assert not login_url.startswith(redirect_uri), f"no login page: {login_url}"
    page = browser.get(login_url, allow_redirects=False, timeout=TIMEOUT)
    assert page.status_code == 200, page.text[:500]
    assert "understudy_csrf" in browser.cookies
    form = LoginForm()
    form.feed(page.text)
    assert form.action and form.hidden.get("csrf"), "login form without action or csrf"
    username, password = user
    data = {**form.hidden, "username": username, "password": password, "action": "login"}
    r = browser.post(urljoin(page.url, form.action), data=data, allow_redirects=False,
                     timeout=TIMEOUT)
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    location = r.headers["Location"]
    assert location.startswith(redirect_uri), location
    return location


def redirect_params(location, part):
    """The single-valued parameters of a redirect's query or fragment."""
    component = urlsplit(location).query if part == "query" else urlsplit(location).fragment
    return {k: v for k, (v,) in parse_qs(component, keep_blank_values=True).items()}


# --- clients and tokens ---------------------------------------------------------

def spa_session(scope="openid profile email groups"):
    """authlib session for the public client: client_id in the body, no secret."""
    return OAuth2Session(SPA, redirect_uri=SPA_CB, scope=scope, code_challenge_method="S256",
                         token_endpoint_auth_method="none")


def web_session(method="client_secret_basic", scope="openid email groups"):
    """authlib session for the confidential client with the given auth method."""
    client_id, secret = WEB
    return OAuth2Session(client_id, secret, redirect_uri=WEB_CB, scope=scope,
                         token_endpoint_auth_method=method,
                         revocation_endpoint_auth_method=method)


def new_nonce():
    return secrets.token_urlsafe(16)


def id_token_claims(discovery, id_token, claims_cls, client_id, **params):
    """Verify the ID token's signature (JWKS) and claims (iss, aud, exp, nonce, at_hash)."""
    jwks = requests.get(discovery["jwks_uri"], timeout=TIMEOUT).json()
    token = jwt.decode(id_token, KeySet.import_key_set(jwks),
                       algorithms=discovery["id_token_signing_alg_values_supported"])
    options = {"iss": {"essential": True, "value": discovery["issuer"]},
               "aud": {"essential": True, "value": client_id}}
    claims = claims_cls(token.claims, token.header, options, {"client_id": client_id, **params})
    claims.validate()
    return claims


def spa_code_flow(discovery, browser, user=MANAGER, **session_args):
    """Sign in to interop-spa with code + PKCE; return (authlib session, token, nonce)."""
    session = spa_session(**session_args)
    verifier, nonce = secrets.token_urlsafe(48), new_nonce()
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce,
        state=TRICKY_STATE)
    location = sign_in(browser, url, user, SPA_CB)
    # authlib checks `state` against the redirect before it redeems the code.
    token = session.fetch_token(discovery["token_endpoint"], authorization_response=location,
                                code_verifier=verifier, state=state)
    return session, token, nonce


def assert_oauth_error(error, call, *args, **kwargs):
    """call(...) must fail with the given OAuth error code."""
    with pytest.raises(OAuthError) as info:
        call(*args, **kwargs)
    assert info.value.error == error, info.value


def userinfo_status(discovery, access_token):
    """HTTP status of a userinfo call with this bearer token."""
    return requests.get(discovery["userinfo_endpoint"], timeout=TIMEOUT,
                        headers={"Authorization": f"Bearer {access_token}"}).status_code


# --- tests ------------------------------------------------------------------------------

def test_discovery_browser_endpoints(discovery, base_url):
    """Discovery advertises every endpoint and mode the browser tests use."""
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                 "end_session_endpoint", "revocation_endpoint", "jwks_uri"):
        assert discovery[name].startswith(base_url), name
    assert {"code", "id_token token"} <= set(discovery["response_types_supported"])
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert "none" in discovery["token_endpoint_auth_methods_supported"]


def test_code_pkce_userinfo_refresh_rotation(discovery):
    """Public client: code + PKCE, ID token, userinfo, rotation, and reuse detection."""
    with requests.Session() as browser:
        session, token, nonce = spa_code_flow(discovery, browser)
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"].split()) == {"openid", "profile", "email", "groups"}
    claims = id_token_claims(discovery, token["id_token"], CodeIDToken, SPA,
                             nonce=nonce, access_token=token["access_token"])
    assert "SPA-Manager" in claims["groups"]
    assert claims["auth_time"] <= claims["iat"]

    # The session carries the access token as a bearer token.
    r = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["sub"] == claims["sub"]
    assert "SPA-Manager" in info["groups"]
    assert info["email"] == "manager@example.com"
    assert info["given_name"] == "Mia"

    # Rotation: a new access token and a new refresh token.
    first_refresh = token["refresh_token"]
    rotated = session.refresh_token(discovery["token_endpoint"], refresh_token=first_refresh)
    assert rotated["access_token"] != token["access_token"]
    assert rotated["refresh_token"] != first_refresh
    assert session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).json()["sub"] == claims["sub"]

    # Replaying the spent token is theft: it fails, and so does the family's newest token,
    # and the access token that the rotation issued is revoked too.
    assert_oauth_error("invalid_grant", session.refresh_token, discovery["token_endpoint"],
                       refresh_token=first_refresh)
    assert_oauth_error("invalid_grant", session.refresh_token, discovery["token_endpoint"],
                       refresh_token=rotated["refresh_token"])
    assert userinfo_status(discovery, rotated["access_token"]) == 401


def test_refresh_narrows_never_widens(discovery):
    """A refresh may narrow the granted scopes but not add one; a refused refresh spends nothing."""
    with requests.Session() as browser:
        session, token, _ = spa_code_flow(discovery, browser)
    # orders/get.order is allowed for the client but was not granted in this sign-in.
    assert_oauth_error("invalid_scope", session.refresh_token, discovery["token_endpoint"],
                       refresh_token=token["refresh_token"], scope="openid orders/get.order")
    narrowed = session.refresh_token(discovery["token_endpoint"],
                                     refresh_token=token["refresh_token"], scope="openid")
    assert narrowed["scope"] == "openid"
    info = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).json()
    assert set(info) == {"sub"}


def test_code_cannot_be_redeemed_twice(discovery):
    """A replayed code fails, and the tokens of its first redemption are revoked."""
    session = spa_session()
    verifier = secrets.token_urlsafe(48)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=new_nonce())
    with requests.Session() as browser:
        location = sign_in(browser, url, MANAGER, SPA_CB)
    token = session.fetch_token(discovery["token_endpoint"], authorization_response=location,
                                code_verifier=verifier, state=state)
    assert_oauth_error("invalid_grant", session.fetch_token, discovery["token_endpoint"],
                       authorization_response=location, code_verifier=verifier, state=state)
    assert userinfo_status(discovery, token["access_token"]) == 401


def test_code_wrong_verifier(discovery):
    """A code redeemed with another PKCE verifier fails with invalid_grant."""
    session = spa_session()
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48),
        nonce=new_nonce())
    with requests.Session() as browser:
        location = sign_in(browser, url, MANAGER, SPA_CB)
    assert_oauth_error("invalid_grant", session.fetch_token, discovery["token_endpoint"],
                       authorization_response=location, state=state,
                       code_verifier=secrets.token_urlsafe(48))


def test_implicit_id_token_token(discovery):
    """Implicit `id_token token`: tokens in the fragment, nonce and at_hash validated."""
    session = spa_session(scope="openid groups")
    nonce = new_nonce()
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], response_type="id_token token", nonce=nonce,
        state=TRICKY_STATE)
    with requests.Session() as browser:
        location = sign_in(browser, url, EMPLOYEE, SPA_CB)
    assert not urlsplit(location).query, f"tokens must not travel in the query: {location}"
    # authlib parses the fragment (and checks `state`) when the response has one.
    token = session.fetch_token(authorization_response=location, state=state)
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" not in token
    claims = id_token_claims(discovery, token["id_token"], ImplicitIDToken, SPA,
                             nonce=nonce, access_token=token["access_token"])
    assert claims["at_hash"]
    assert claims["groups"] == ["SPA-Employee"]

    # at_hash binds the ID token to this access token and no other.
    with pytest.raises(InvalidClaimError, match="at_hash"):
        id_token_claims(discovery, token["id_token"], ImplicitIDToken, SPA,
                        nonce=nonce, access_token=token["access_token"] + "x")
    # and a different nonce is rejected.
    with pytest.raises(InvalidClaimError, match="nonce"):
        id_token_claims(discovery, token["id_token"], ImplicitIDToken, SPA,
                        nonce=new_nonce(), access_token=token["access_token"])


def test_implicit_without_nonce_is_refused(discovery):
    """An implicit request for an ID token without nonce gets invalid_request at the redirect URI."""
    session = spa_session(scope="openid")
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], response_type="id_token token")
    with requests.Session() as browser:
        location = authorize(browser, url)
    assert location.startswith(SPA_CB), location
    params = redirect_params(location, "fragment")
    assert params["error"] == "invalid_request"
    assert params["state"] == state


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_confidential_code_flow(discovery, method):
    """Confidential client: code flow (no PKCE) redeemed with either secret method."""
    session = web_session(method)
    nonce = new_nonce()
    url, state = session.create_authorization_url(discovery["authorization_endpoint"],
                                                  nonce=nonce)
    with requests.Session() as browser:
        location = sign_in(browser, url, EMPLOYEE, WEB_CB)
    token = session.fetch_token(discovery["token_endpoint"], authorization_response=location,
                                state=state)
    assert token["refresh_token"]
    claims = id_token_claims(discovery, token["id_token"], CodeIDToken, WEB[0],
                             nonce=nonce, access_token=token["access_token"])
    assert claims["groups"] == ["SPA-Employee"]
    info = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).json()
    assert info["sub"] == claims["sub"]
    assert info["email"] == "employee@example.com"
    assert "given_name" not in info            # no profile scope for this client

    # The refresh token works with the same client authentication.
    rotated = session.refresh_token(discovery["token_endpoint"])
    assert rotated["refresh_token"] != token["refresh_token"]


def test_confidential_code_needs_the_secret(discovery):
    """The confidential client's code cannot be redeemed without its secret."""
    session = web_session()
    url, state = session.create_authorization_url(discovery["authorization_endpoint"],
                                                  nonce=new_nonce())
    with requests.Session() as browser:
        location = sign_in(browser, url, EMPLOYEE, WEB_CB)
    anonymous = OAuth2Session(WEB[0], redirect_uri=WEB_CB, token_endpoint_auth_method="none")
    assert_oauth_error("invalid_client", anonymous.fetch_token, discovery["token_endpoint"],
                       authorization_response=location, state=state)


def test_password_grant(discovery):
    """Password grant for the confidential client; wrong passwords and public clients fail."""
    with web_session() as session:
        token = session.fetch_token(discovery["token_endpoint"],
                                    username=MANAGER[0], password=MANAGER[1])
        # An ID token from the token endpoint, without nonce: validated like the code flow's.
        claims = id_token_claims(discovery, token["id_token"], CodeIDToken, WEB[0],
                                 access_token=token["access_token"])
        assert "SPA-Manager" in claims["groups"]
        info = session.get(discovery["userinfo_endpoint"], timeout=TIMEOUT).json()
        assert info["sub"] == claims["sub"]
        assert set(token["scope"].split()) == {"openid", "email", "groups"}

        assert_oauth_error("invalid_grant", session.fetch_token, discovery["token_endpoint"],
                           username=MANAGER[0], password="wrong-password")

    # interop-spa does not list the password grant.
    with spa_session() as spa:
        assert_oauth_error("unauthorized_client", spa.fetch_token, discovery["token_endpoint"],
                           username=MANAGER[0], password=MANAGER[1])


@pytest.mark.parametrize("client", ["confidential", "public"])
def test_revoke_refresh_token(discovery, client):
    """Revoking a refresh token (authlib revoke_token) makes a later refresh fail."""
    if client == "confidential":
        session = web_session()
        token = session.fetch_token(discovery["token_endpoint"],
                                    username=MANAGER[0], password=MANAGER[1])
    else:
        with requests.Session() as browser:
            session, token, _ = spa_code_flow(discovery, browser)
    r = session.revoke_token(discovery["revocation_endpoint"], token=token["refresh_token"],
                             token_type_hint="refresh_token")
    assert r.status_code == 200, r.text
    assert_oauth_error("invalid_grant", session.refresh_token, discovery["token_endpoint"],
                       refresh_token=token["refresh_token"])
    # The access token issued with it is revoked too (README: revocation).
    assert userinfo_status(discovery, token["access_token"]) == 401


def test_rp_initiated_logout(discovery):
    """Logout with id_token_hint ends the SSO session and redirects with state."""
    with requests.Session() as browser:
        _, token, _ = spa_code_flow(discovery, browser)
        assert "understudy_session" in browser.cookies

        # While the session lives, prompt=none completes silently (single sign-on).
        silent = spa_session()
        url, state = silent.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48),
            nonce=new_nonce(), prompt="none")
        params = redirect_params(authorize(browser, url), "query")
        assert params.get("code") and params["state"] == state, params

        r = browser.get(discovery["end_session_endpoint"], allow_redirects=False,
                        timeout=TIMEOUT,
                        params={"id_token_hint": token["id_token"],
                                "post_logout_redirect_uri": SPA_BYE, "state": "s"})
        assert r.status_code == 303, (r.status_code, r.text[:500])
        assert r.headers["Location"] == f"{SPA_BYE}?state=s"
        assert "understudy_session" not in browser.cookies

        # The session is gone: prompt=none now answers login_required.
        url, state = silent.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48),
            nonce=new_nonce(), prompt="none")
        location = authorize(browser, url)
    assert location.startswith(SPA_CB), location
    params = redirect_params(location, "query")
    assert params["error"] == "login_required"
    assert params["state"] == state
    assert "code" not in params


def test_logout_unregistered_redirect_is_not_followed(discovery):
    """A post_logout_redirect_uri the client did not register is never redirected to."""
    with requests.Session() as browser:
        _, token, _ = spa_code_flow(discovery, browser)
        r = browser.get(discovery["end_session_endpoint"], allow_redirects=False,
                        timeout=TIMEOUT,
                        params={"id_token_hint": token["id_token"],
                                "post_logout_redirect_uri": "https://evil.example/bye"})
    assert r.status_code == 400, (r.status_code, r.headers)
    assert "Location" not in r.headers
