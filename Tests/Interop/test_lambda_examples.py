"""The Lambda examples on their own, without Understudy: the permissions trigger
(docker/hooks/permissions/app.py) behind the RIE stand-in (lambda_rie.py), and the TOKEN authorizer
port (cognito_authorizer.py) against tokens signed here and a JWKS served here.

test_cognito.py runs the same code against the server."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

import cognito_authorizer
from conftest import REPO
from lambda_rie import start_rie

APP = REPO / "docker" / "hooks" / "permissions" / "app.py"
TIMEOUT = 5
POOL = "us-east-1_Example"
ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod"


def trigger_event(version, source="TokenGeneration_HostedAuth", attributes=None):
    """A Pre Token Generation event as Cognito sends it (specs.md §2)."""
    if attributes is None:
        attributes = {"sub": str(uuid.uuid4()), "email": "manager@example.com",
                      "email_verified": "true", "cognito:user_status": "CONFIRMED",
                      "custom:role": "Manager", "custom:companies": '["1111"]'}
    request = {"userAttributes": attributes,
               "groupConfiguration": {"groupsToOverride": ["SPA-Manager"],
                                      "iamRolesToOverride": [], "preferredRole": None},
               "clientMetadata": {}}
    if version == "1":
        response = {"claimsOverrideDetails": None}
    else:
        request["scopes"] = ["openid", "email", "orders/get.order"]
        response = {"claimsAndScopeOverrideDetails": None}
    return {"version": version, "triggerSource": source, "region": "us-east-1",
            "userPoolId": POOL, "userName": "manager",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "spa"},
            "request": request, "response": response}


def failing_handler(event, context):
    raise ValueError("permissions service unavailable")


def context_handler(event, context):
    return {"remaining": context.get_remaining_time_in_millis() > 0,
            "request_id": context.aws_request_id}


@pytest.fixture(scope="module")
def rie():
    with start_rie({"": (APP, "handler"), "fail": failing_handler, "echo": context_handler}) as server:
        yield server


def invoke(rie, event, function=""):
    r = requests.post(rie.invoke_url(function), data=json.dumps(event), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


# --- the permissions trigger behind the RIE stand-in ------------------------------------------

@pytest.mark.parametrize("version", ["2", "3"])
def test_v2_v3_add_claims_to_both_tokens(rie, version):
    event = trigger_event(version)
    result = invoke(rie, event)
    details = result["response"]["claimsAndScopeOverrideDetails"]
    for token in ("idTokenGeneration", "accessTokenGeneration"):
        assert details[token]["claimsToAddOrOverride"] == {"role": "Manager", "companies": ["1111"]}
    assert "groupOverrideDetails" not in details          # groups stay as they are
    # Everything else comes back as it was sent.
    assert {k: v for k, v in result.items() if k != "response"} == \
        {k: v for k, v in event.items() if k != "response"}
    assert rie.events_of("")[-1] == event                  # recorded as received


def test_v1_adds_string_claims_to_the_id_token(rie):
    result = invoke(rie, trigger_event("1"))
    details = result["response"]["claimsOverrideDetails"]
    assert details["claimsToAddOrOverride"] == {"role": "Manager", "companies": '["1111"]'}
    assert set(details) == {"claimsToAddOrOverride"}


@pytest.mark.parametrize("value, companies", [
    ('["1111","2222"]', ["1111", "2222"]),
    ("1111, 2222", ["1111", "2222"]),
    ("1111", ["1111"]),
    ("", []),
])
def test_companies_formats(rie, value, companies):
    event = trigger_event("2", attributes={"custom:role": "Employee", "custom:companies": value})
    added = invoke(rie, event)["response"]["claimsAndScopeOverrideDetails"][
        "accessTokenGeneration"]["claimsToAddOrOverride"]
    assert added == {"role": "Employee", "companies": companies}


def test_client_credentials_unchanged(rie):
    event = trigger_event("3", "TokenGeneration_ClientCredentials", attributes={})
    event["userName"] = "orders-service"
    assert invoke(rie, event) == event


def test_user_without_permissions_gets_nothing(rie):
    event = trigger_event("2", attributes={"sub": str(uuid.uuid4()), "email": "x@example.com"})
    assert invoke(rie, event) == event


def test_rie_function_error_is_200_with_error_fields(rie):
    r = requests.post(rie.invoke_url("fail"), data=json.dumps(trigger_event("2")), timeout=TIMEOUT)
    assert r.status_code == 200
    assert "X-Amz-Function-Error" not in r.headers
    body = r.json()
    assert body["errorMessage"] == "permissions service unavailable"
    assert body["errorType"] == "ValueError"
    assert body["requestId"] and isinstance(body["stackTrace"], list)


def test_rie_context_and_bad_input(rie):
    assert invoke(rie, {}, "echo")["remaining"] is True
    r = requests.post(rie.invoke_url(), data=b"not json", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json()["errorType"] == "Runtime.UnmarshalError"
    r = requests.post(f"{rie.base_url}/nowhere/2015-03-31/functions/function/invocations",
                      data=b"{}", timeout=TIMEOUT)
    assert r.status_code == 404


def test_rie_chunked_body(rie):
    event = trigger_event("2")
    chunks = (part.encode() for part in (json.dumps(event)[:40], json.dumps(event)[40:]))
    r = requests.post(rie.invoke_url(), data=chunks, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json()["response"]["claimsAndScopeOverrideDetails"]


# --- the authorizer port, against a key and JWKS of its own ------------------------------------

class Pool:
    """A fake user pool: an RSA key, its JWKS at <issuer>/.well-known/jwks.json, and tokens."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "pool-key-1"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, alg="RS256", use="sig")
        jwks = json.dumps({"keys": [jwk]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # noqa: A002
                pass

            def do_GET(self):
                found = self.path == f"/{POOL}/.well-known/jwks.json"
                body = jwks if found else b"{}"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}/{POOL}"

    def token(self, key=None, **overrides):
        now = int(time.time())
        claims = {"sub": str(uuid.uuid4()), "iss": self.issuer, "client_id": "spa",
                  "token_use": "access", "scope": "openid orders/get.order", "auth_time": now,
                  "iat": now, "exp": now + 3600, "jti": str(uuid.uuid4()), "version": 2,
                  "username": "manager", "cognito:groups": ["SPA-Manager"]}
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="module")
def pool():
    pool = Pool()
    yield pool
    pool.server.shutdown()
    pool.server.server_close()


def authorize(handler, token, route="GET/manager/orders"):
    return handler({"type": "TOKEN", "authorizationToken": f"Bearer {token}",
                    "methodArn": f"{ARN}/{route}"}, None)


def effect(answer):
    (statement,) = answer["policyDocument"]["Statement"]
    return statement["Effect"]


def test_authorizer_policy_shape(pool):
    handler = cognito_authorizer.make_handler(pool.issuer, "spa")
    sub = str(uuid.uuid4())
    answer = authorize(handler, pool.token(sub=sub, **{"cognito:groups": ["SPA-Manager", "x"]}))
    assert answer == {
        "principalId": sub,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow",
             "Resource": f"{ARN}/GET/manager/orders"}]},
        "context": {"username": "manager", "groups": "SPA-Manager,x"},
    }


@pytest.mark.parametrize("groups, route, expected", [
    (["SPA-Manager"], "GET/manager/orders", "Allow"),
    (["SPA-Manager"], "POST/manager/orders", "Deny"),
    (["SPA-Manager"], "GET/employee/orders/7", "Allow"),
    (["SPA-Employee"], "GET/manager/orders", "Deny"),
    (["SPA-Employee"], "POST/employee/orders", "Allow"),
    (["SPA-Employee"], "GET/managers", "Deny"),
    (None, "GET/employee/orders", "Deny"),
    (["SPA-Manager"], "GET/admin", "Deny"),
])
def test_authorizer_rules(pool, groups, route, expected):
    handler = cognito_authorizer.make_handler(pool.issuer, "spa")
    assert effect(authorize(handler, pool.token(**{"cognito:groups": groups}), route)) == expected


@pytest.mark.parametrize("case", ["id token", "other client", "expired", "other issuer",
                                  "foreign key", "tampered", "no client_id", "not bearer"])
def test_authorizer_unauthorized(pool, case):
    handler = cognito_authorizer.make_handler(pool.issuer, "spa")
    event = None
    if case == "id token":
        token = pool.token(token_use="id", aud="spa", client_id=None)
    elif case == "other client":
        token = pool.token(client_id="orders-service")
    elif case == "expired":
        token = pool.token(exp=int(time.time()) - 60)
    elif case == "other issuer":
        token = pool.token(iss="https://cognito-idp.us-east-1.amazonaws.com/" + POOL)
    elif case == "foreign key":
        token = pool.token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    elif case == "tampered":
        head, payload, sig = pool.token().split(".")
        token = f"{head}.{payload}.{'B' if sig[0] == 'A' else 'A'}{sig[1:]}"
    elif case == "no client_id":
        token = pool.token(client_id=None)
    else:
        event = {"type": "TOKEN", "authorizationToken": pool.token(),
                 "methodArn": f"{ARN}/GET/manager/orders"}
    with pytest.raises(Exception, match="^Unauthorized$"):
        if event:
            handler(event, None)
        else:
            authorize(handler, token)


def test_authorizer_from_environment(pool, monkeypatch):
    monkeypatch.setenv("COGNITO_ISSUER", pool.issuer)
    monkeypatch.setenv("APP_CLIENT_ID", "spa")
    monkeypatch.setattr(cognito_authorizer, "_env_handler", None)
    assert effect(authorize(cognito_authorizer.handler, pool.token())) == "Allow"
    assert cognito_authorizer.issuer_from_environment({"USER_POOL_ID": "eu-west-1_abc"}) == \
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
