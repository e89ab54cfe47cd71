"""Sign-in through a real browser: the playground, the login page, SSO and logout."""

import base64
import hashlib
import json
import re
import secrets
from urllib.parse import urlencode, urlparse

import jwt
import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from conftest import (
    ARTIFACTS, CLIENT_ID, EMPLOYEE, EMPLOYEE_GROUP, MANAGER, MANAGER_GROUP,
)

WAIT = 15
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SCREENSHOT = ARTIFACTS / "playground-signed-in.png"


# --- helpers ---


def wait(browser, timeout=WAIT):
    return WebDriverWait(browser, timeout)


def text(browser, element_id):
    """The text content of #element_id, stripped (also when the element is collapsed)."""
    return (browser.find_element(By.ID, element_id).get_attribute("textContent") or "").strip()


def path_of(browser):
    return urlparse(browser.current_url).path


def choose(browser, element_id, value):
    """Select the option of <select id=element_id> whose value (or, failing that, text) is value."""
    select = Select(browser.find_element(By.ID, element_id))
    try:
        select.select_by_value(value)
    except NoSuchElementException:
        select.select_by_visible_text(value)


def sign_in_from_playground(browser, base_url, client=CLIENT_ID, flow="implicit", scopes=None,
                            prompt=None):
    """Open the playground, choose client, flow, scopes (None: leave the defaults) and prompt,
    click Sign in, and wait until the browser has left the page."""
    browser.get(f"{base_url}/playground")
    wait(browser).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, f'#client option[value="{client}"]')),
        f"/playground offers no #client option {client!r}")
    choose(browser, "client", client)
    choose(browser, "flow", flow)
    if scopes is not None:
        wanted = set(scopes)
        boxes = browser.find_elements(By.CSS_SELECTOR, '#scopes input[type="checkbox"][name="scope"]')
        for box in boxes:
            if box.is_selected() != (box.get_attribute("value") in wanted):
                box.click()
    if prompt is not None:
        choose(browser, "prompt", prompt)
    click_and_wait_for_navigation(browser, "sign-in")


def click_and_wait_for_navigation(browser, element_id):
    """Click #element_id and wait until the current document has been replaced (so a stale
    data-state of this page cannot be mistaken for the outcome)."""
    old = browser.find_element(By.ID, "result")
    wait(browser).until(EC.element_to_be_clickable((By.ID, element_id)), f"#{element_id} not clickable").click()
    wait(browser).until(EC.staleness_of(old))


def result_state(browser):
    """data-state of #result, or None while the page is between documents."""
    try:
        found = browser.find_elements(By.ID, "result")
        return found[0].get_attribute("data-state") if found else None
    except StaleElementReferenceException:
        return None


def wait_for_result(browser, expected, seen_paths=None, also=None):
    """Wait until #result settles in signed-in or error; fail with #error's text when it is
    not `expected`. `seen_paths` collects the URL paths observed while waiting; `also`
    is an extra condition (a callable of the browser) that must hold with `expected`."""

    def settled(driver):
        if seen_paths is not None:
            seen_paths.add(path_of(driver))
        state = result_state(driver)
        if state not in ("signed-in", "error"):
            return False
        if also is not None and state == expected and not also(driver):
            return False
        return state

    state = wait(browser).until(settled, f"#result never reached {expected}")
    if state != expected:
        error = text(browser, "error") if browser.find_elements(By.ID, "error") else "(no #error)"
        pytest.fail(f"#result is {state!r}, expected {expected!r}; #error: {error}")
    return state


def login_with_form(browser, username, password):
    """Fill and submit the login form (the browser must be on /login)."""
    wait(browser).until(EC.visibility_of_element_located((By.ID, "username")))
    user_field = browser.find_element(By.ID, "username")
    user_field.clear()
    user_field.send_keys(username)
    password_field = browser.find_element(By.ID, "password")
    password_field.clear()
    password_field.send_keys(password)
    browser.find_element(By.ID, "login-submit").click()


def pick_user(browser, username):
    """Click the user-picker button for a seeded user on /login."""
    wait(browser).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, f'button.pick-user[data-username="{username}"]'))).click()


def all_cookies(browser):
    """Every cookie in the browser, whatever its path (WebDriver's own list is path-filtered)."""
    return browser.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]


def restore_cookies(browser, base_url, cookies):
    """Put cookies from all_cookies() back into the jar, unchanged."""
    for c in cookies:
        params = {"url": base_url, "name": c["name"], "value": c["value"], "path": c["path"],
                  "httpOnly": c["httpOnly"], "secure": c["secure"]}
        if c.get("sameSite"):
            params["sameSite"] = c["sameSite"]
        if not c.get("session") and c.get("expires", -1) > 0:
            params["expires"] = c["expires"]
        assert browser.execute_cdp_cmd("Network.setCookie", params).get("success", True)


def verify(jwks_client, token, issuer, audience=None):
    """Verify a JWT's signature (JWKS), issuer, expiry and optionally audience; return claims."""
    key = jwks_client.get_signing_key_from_jwt(token)
    options = {"require": ["iss", "sub", "exp", "iat"]}
    if audience is None:
        options["verify_aud"] = False
    return jwt.decode(token, key.key, algorithms=["RS256", "ES256"], issuer=issuer,
                      audience=audience, options=options)


def token_hash(token, alg):
    """at_hash / c_hash per OpenID Connect Core 3.1.3.6 (SHA-256 for RS256 and ES256)."""
    assert alg in ("RS256", "ES256")
    digest = hashlib.sha256(token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def json_of(browser, element_id):
    return json.loads(text(browser, element_id))


def check_signed_in(browser, base_url, jwks_client, *, group, not_group=None):
    """Common checks of a signed-in playground; returns (access claims, ID token claims)."""
    access_token = text(browser, "access-token")
    id_token = text(browser, "id-token")
    assert access_token and id_token

    header = jwt.get_unverified_header(access_token)
    assert header["typ"].lower() in ("at+jwt", "application/at+jwt")
    access = verify(jwks_client, access_token, base_url, audience=CLIENT_ID)
    assert access["client_id"] == CLIENT_ID
    assert group in access["groups"]
    if not_group:
        assert not_group not in access["groups"]
    assert "openid" in access["scope"].split()

    ident = verify(jwks_client, id_token, base_url, audience=CLIENT_ID)
    assert ident["aud"] in (CLIENT_ID, [CLIENT_ID])
    assert ident["sub"] == access["sub"]
    assert ident.get("nonce"), "the playground sends a nonce; the ID token must echo it"

    # The playground's decoded views agree with what PyJWT sees.
    assert json_of(browser, "access-token-header") == header
    assert json_of(browser, "access-token-claims") == access
    assert json_of(browser, "id-token-claims") == ident
    assert text(browser, "access-token-signature") == "valid"
    assert text(browser, "id-token-signature") == "valid"
    assert text(browser, "nonce-check") == "matches"

    userinfo = json_of(browser, "userinfo")
    assert userinfo["sub"] == access["sub"]
    assert group in userinfo["groups"]
    return access, ident


def call_api(browser, url, token="access", method="GET"):
    """Call the API from the playground; return (status text, response text)."""
    api_url = browser.find_element(By.ID, "api-url")
    api_url.clear()
    api_url.send_keys(url)
    choose(browser, "api-method", method)
    choose(browser, "api-token", token)
    browser.find_element(By.ID, "api-call").click()
    wait(browser).until(
        lambda d: re.match(r"^\d{3}\b", text(d, "api-status")),
        "#api-status never showed an HTTP status")
    return text(browser, "api-status"), text(browser, "api-response")


def authorize_params(base_url, **overrides):
    """Query parameters of a valid code + PKCE request for the browser client."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    params = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": f"{base_url}/playground/callback",
        "scope": "openid profile",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


# --- tests ---


def test_implicit_sign_in_with_login_form(browser, base_url, jwks_client, authorizer):
    """Implicit flow as manager through the form; tokens verify; the API lets a manager in."""
    sign_in_from_playground(browser, base_url, flow="implicit")
    wait(browser).until(lambda d: path_of(d) == "/login", "not sent to /login")
    login_with_form(browser, *MANAGER)
    wait_for_result(browser, "signed-in")
    assert path_of(browser) == "/playground"

    access, ident = check_signed_in(browser, base_url, jwks_client, group=MANAGER_GROUP,
                                    not_group=EMPLOYEE_GROUP)
    access_token = text(browser, "access-token")
    id_header = jwt.get_unverified_header(text(browser, "id-token"))
    # id_token token: at_hash is required (OpenID Connect Core 3.2.2.10).
    assert ident["at_hash"] == token_hash(access_token, id_header["alg"])
    assert "refresh_token" not in text(browser, "token-response"), \
        "the implicit flow must not return a refresh token (RFC 6749 4.2.2)"

    status, body = call_api(browser, authorizer.url)
    assert status.startswith("200"), f"{status}: {body}"
    answer = json.loads(body)
    assert answer["allowed"] is True
    assert answer["sub"] == access["sub"]
    assert MANAGER_GROUP in answer["groups"]
    assert authorizer.tokens[-1] == access_token

    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.read_bytes()[:8] == PNG_MAGIC


def test_code_pkce_with_user_picker_and_refresh(browser, base_url, jwks_client, authorizer):
    """Code + PKCE as employee through the picker; refresh rotates the access token;
    the API refuses an employee."""
    sign_in_from_playground(browser, base_url, flow="code")
    pick_user(browser, EMPLOYEE[0])
    wait_for_result(browser, "signed-in")

    access, _ = check_signed_in(browser, base_url, jwks_client, group=EMPLOYEE_GROUP,
                                not_group=MANAGER_GROUP)
    assert text(browser, "refresh-token"), "code flow with refresh_token grant: expected one"
    token_response = json_of(browser, "token-response")
    assert token_response["token_type"].lower() == "bearer"

    first = text(browser, "access-token")
    browser.find_element(By.ID, "refresh").click()
    wait_for_result(browser, "signed-in", also=lambda d: text(d, "access-token") not in ("", first))
    second = text(browser, "access-token")
    assert second != first
    refreshed = verify(jwks_client, second, base_url, audience=CLIENT_ID)
    assert refreshed["sub"] == access["sub"]
    assert EMPLOYEE_GROUP in refreshed["groups"]
    assert MANAGER_GROUP not in refreshed["groups"]

    status, body = call_api(browser, authorizer.url)
    assert status.startswith("403"), f"{status}: {body}"
    answer = json.loads(body)
    assert answer["allowed"] is False
    assert EMPLOYEE_GROUP in answer["groups"]
    assert authorizer.tokens[-1] == second


def test_wrong_password_and_unknown_user_get_the_same_message(browser, base_url):
    """A failed login stays on /login with one generic message, whatever was wrong."""
    sign_in_from_playground(browser, base_url)
    login_with_form(browser, MANAGER[0], "not-the-password")
    error = wait(browser).until(EC.visibility_of_element_located((By.ID, "login-error")))
    assert path_of(browser) == "/login"
    wrong_password = error.text.strip()
    assert wrong_password
    assert browser.find_element(By.ID, "password").get_attribute("value") == ""

    login_with_form(browser, "nobody-by-this-name", "not-the-password")
    wait(browser).until(EC.staleness_of(error))
    error = wait(browser).until(EC.visibility_of_element_located((By.ID, "login-error")))
    assert path_of(browser) == "/login"
    unknown_user = error.text.strip()
    assert unknown_user == wrong_password
    assert "nobody-by-this-name" not in unknown_user
    assert browser.find_element(By.ID, "password").get_attribute("value") == ""

    # The login request survives failed attempts: the right password still signs in.
    login_with_form(browser, *MANAGER)
    wait_for_result(browser, "signed-in")


def test_deny_returns_access_denied(browser, base_url):
    """Deny on the login page sends the app an access_denied error."""
    sign_in_from_playground(browser, base_url)
    wait(browser).until(EC.element_to_be_clickable((By.ID, "login-deny"))).click()
    wait_for_result(browser, "error")
    assert path_of(browser) == "/playground"
    assert "access_denied" in text(browser, "error")


def test_sso_then_logout(browser, base_url, jwks_client):
    """A live session skips the form; sign-out ends it, so the form comes back."""
    sign_in_from_playground(browser, base_url, flow="code")
    pick_user(browser, MANAGER[0])
    wait_for_result(browser, "signed-in")
    first_token = text(browser, "access-token")
    first_id = verify(jwks_client, text(browser, "id-token"), base_url, audience=CLIENT_ID)

    # SSO: signing in again goes straight back, without the login page.
    seen = set()
    sign_in_from_playground(browser, base_url, flow="code")
    wait_for_result(browser, "signed-in", seen_paths=seen)
    assert "/login" not in seen
    assert text(browser, "access-token") != first_token
    second_id = verify(jwks_client, text(browser, "id-token"), base_url, audience=CLIENT_ID)
    assert second_id["sub"] == first_id["sub"]
    if "auth_time" in first_id and "auth_time" in second_id:
        assert second_id["auth_time"] == first_id["auth_time"], "SSO must not re-authenticate"

    # Sign out: back on the playground, and the next sign-in asks for credentials again,
    # even with the old cookies put back (the session ended on the server, not just in the jar).
    cookies = all_cookies(browser)
    assert cookies, "a signed-in browser holds a session cookie"
    click_and_wait_for_navigation(browser, "sign-out")
    wait(browser).until(
        lambda d: path_of(d) == "/playground" and result_state(d) not in (None, "working"),
        "sign-out did not come back to the playground")
    assert result_state(browser) != "error", text(browser, "error")
    restore_cookies(browser, base_url, cookies)
    sign_in_from_playground(browser, base_url, flow="code")
    wait(browser).until(EC.visibility_of_element_located((By.ID, "username")),
                        "after sign-out the login form should be shown again")
    assert path_of(browser) == "/login"


def test_prompt_none_without_session(browser, base_url):
    """prompt=none with no session answers login_required instead of showing a page."""
    sign_in_from_playground(browser, base_url, prompt="none")
    wait_for_result(browser, "error")
    assert "login_required" in text(browser, "error")


def test_login_page_security_headers(discovery, base_url):
    """The login page forbids framing and sniffing and sets a referrer policy."""
    r = requests.get(discovery["authorization_endpoint"], params=authorize_params(base_url),
                     timeout=10)
    assert r.status_code == 200
    assert urlparse(r.url).path == "/login"
    assert "frame-ancestors 'none'" in r.headers.get("Content-Security-Policy", "")
    assert r.headers.get("X-Content-Type-Options", "").lower() == "nosniff"
    assert r.headers.get("Referrer-Policy")


@pytest.mark.parametrize("overrides", [
    {"redirect_uri": "https://evil.example/cb"},
    {"client_id": "no-such-client"},
], ids=["unregistered-redirect-uri", "unknown-client"])
def test_bad_redirect_target_is_not_followed(discovery, base_url, overrides):
    """Without a trustworthy redirect URI the error is shown, never redirected (RFC 6749 4.1.2.1)."""
    url = f"{discovery['authorization_endpoint']}?{urlencode(authorize_params(base_url, **overrides))}"
    r = requests.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert r.headers.get("Content-Type", "").startswith("text/html")
