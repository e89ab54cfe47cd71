"""Client-credentials interop: authlib fetches tokens, PyJWT verifies them."""

from urllib.parse import quote_plus

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from conftest import ES, ORDERS

ORDERS_SCOPES = {"orders/get.order", "orders/create.order", "orders/list.orders"}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi"}


def session(client, method):
    """An authlib session for (client_id, secret) using the given auth method."""
    client_id, secret = client
    return OAuth2Session(client_id, secret, token_endpoint_auth_method=method)


def fetch(discovery, client, method="client_secret_basic"):
    """Fetch a client-credentials token with authlib."""
    with session(client, method) as s:
        return s.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")


def verify(discovery, base_url, access_token, client_id):
    """Verify a token against the JWKS with PyJWT; return its claims."""
    key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(access_token)
    return jwt.decode(
        access_token, key.key, algorithms=[key.algorithm_name],
        audience=client_id, issuer=base_url,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]},
    )


def check_token(discovery, base_url, token, client_id, alg, scopes):
    """Assert header and claims of an RFC 9068 access token."""
    header = jwt.get_unverified_header(token["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == alg
    assert header["kid"]
    claims = verify(discovery, base_url, token["access_token"], client_id)
    assert claims["sub"] == client_id
    assert claims["client_id"] == client_id
    assert set(claims["scope"].split()) == scopes
    assert claims["exp"] - claims["iat"] == 3600
    assert token["token_type"].lower() == "bearer"


def test_discovery(discovery, base_url):
    """Discovery names this issuer and the endpoints the suite uses."""
    assert discovery["issuer"] == base_url
    for name in ("jwks_uri", "token_endpoint", "introspection_endpoint", "revocation_endpoint"):
        assert discovery[name].startswith(base_url)


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_rs256_token(discovery, base_url, method):
    """orders-service gets a verifiable RS256 token with either auth method."""
    token = fetch(discovery, ORDERS, method)
    check_token(discovery, base_url, token, ORDERS[0], "RS256", ORDERS_SCOPES)


@pytest.mark.parametrize("encode", [False, True], ids=["raw", "form-encoded"])
def test_es256_token_special_secret_basic(discovery, base_url, encode):
    """es-service's secret works in Basic auth, as sent by authlib (raw) or per RFC 6749 §2.3.1."""
    client = tuple(map(quote_plus, ES)) if encode else ES
    token = fetch(discovery, client, "client_secret_basic")
    check_token(discovery, base_url, token, ES[0], "ES256", {"orders/get.order"})


def test_es256_token_special_secret_post(discovery, base_url):
    """es-service's secret works in the form body too."""
    token = fetch(discovery, ES, "client_secret_post")
    check_token(discovery, base_url, token, ES[0], "ES256", {"orders/get.order"})


def test_wrong_secret(discovery):
    """A wrong secret gives 401 invalid_client with a WWW-Authenticate challenge."""
    r = requests.post(discovery["token_endpoint"], auth=(ORDERS[0], "wrong"),
                      data={"grant_type": "client_credentials"}, timeout=5)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    assert r.headers.get("WWW-Authenticate")


def test_introspect_and_revoke(discovery):
    """authlib introspects an active token, revokes it, and sees it inactive."""
    access_token = fetch(discovery, ORDERS)["access_token"]
    with session(ORDERS, "client_secret_basic") as s:
        r = s.introspect_token(discovery["introspection_endpoint"], token=access_token)
        assert r.status_code == 200
        info = r.json()
        assert info["active"] is True
        assert info["client_id"] == ORDERS[0]
        assert set(info["scope"].split()) == ORDERS_SCOPES

        r = s.revoke_token(discovery["revocation_endpoint"], token=access_token)
        assert r.status_code == 200

        r = s.introspect_token(discovery["introspection_endpoint"], token=access_token)
        assert r.status_code == 200
        assert r.json() == {"active": False}


def test_jwks_public_only(discovery):
    """Published keys carry kid, alg, use and kty and no private members."""
    keys = requests.get(discovery["jwks_uri"], timeout=5).json()["keys"]
    assert {k["alg"] for k in keys} >= {"RS256", "ES256"}
    for k in keys:
        assert not PRIVATE_MEMBERS & k.keys(), k["kid"]
        assert all(k.get(m) for m in ("kid", "alg", "use", "kty"))
        assert k["use"] == "sig"


def test_tampered_signature_rejected(discovery, base_url):
    """Flipping one signature character makes PyJWT verification fail."""
    head, payload, sig = fetch(discovery, ORDERS)["access_token"].split(".")
    # Change the first character: unlike the last one, it carries no padding bits.
    flipped = ("B" if sig[0] == "A" else "A") + sig[1:]
    with pytest.raises(jwt.InvalidSignatureError):
        verify(discovery, base_url, f"{head}.{payload}.{flipped}", ORDERS[0])
