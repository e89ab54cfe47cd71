"""Example API for the compose scenario: an orders service whose authorizer trusts Understudy.

Routes (the seeds' single-page-app scenario):

    GET /manager/orders    members of SPA-Manager
    GET /employee/orders   members of SPA-Manager or SPA-Employee
    GET /healthz           {"status": "ok"}, no token needed

The authorizer does what an API Gateway Lambda authorizer or JWT middleware does against Cognito or
IDCS: it takes the bearer token, picks the key whose `kid` is in the token header from the JWKS (fetched
over the compose network, from Understudy's internal URL, and cached), checks the signature (RS256 or
ES256), `exp`, and `iss` against the allowed issuers, insists on an access token, and reads the groups:
`cognito:groups` (Cognito dialect), `groups` (generic) or `group` (IDCS). It answers

    401 {"error": "invalid_token", ...}   no token, or a token that does not verify
    403 {"error": "forbidden", ...}       a valid token without the route's group
    200 {"route", "user", "groups", "role", "companies", "orders"}

with `Access-Control-Allow-Origin` on every answer, and CORS preflights for `Authorization`, so the
playground (another origin) can call it from the browser.

Configuration (environment):

    JWKS_URL       the key set, e.g. http://understudy:9400/us-east-1_Understudy/.well-known/jwks.json
    ISSUER         allowed `iss` values, comma-separated, e.g.
                   http://localhost:9400,http://localhost:9400/us-east-1_Understudy
    CLIENT_IDS     optional: allowed `client_id` values, comma-separated (default: any client)
    CORS_ALLOW_ORIGIN   default *
    HOST, PORT     listening address, default 0.0.0.0 and 8080

Standard library plus PyJWT (with cryptography).
"""

import json
import logging
import os
import signal
import sys
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt

logger = logging.getLogger("example-api")

MANAGER = "SPA-Manager"
EMPLOYEE = "SPA-Employee"
ROUTES = {
    "/manager/orders": {MANAGER},
    "/employee/orders": {MANAGER, EMPLOYEE},
}
ORDERS = [
    {"id": "o-1001", "company": "1111", "item": "Stage lights", "total": 1200},
    {"id": "o-1002", "company": "1111", "item": "Curtain rope", "total": 85},
    {"id": "o-2001", "company": "2222", "item": "Costumes", "total": 640},
]
ALGORITHMS = ["RS256", "ES256"]
GROUP_CLAIMS = ("cognito:groups", "groups", "group")


def split_list(value):
    """The non-empty, trimmed items of a comma-separated string."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


class Rejected(Exception):
    """A request the authorizer refuses: the status, the OAuth-style error code and a description."""

    def __init__(self, status, error, description):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


class Authorizer:
    """Verifies bearer tokens against one JWKS and a set of allowed issuers."""

    def __init__(self, jwks_url, issuers, client_ids=()):
        if not jwks_url:
            raise ValueError("JWKS_URL is required")
        if not issuers:
            raise ValueError("ISSUER is required (comma-separated allowed issuers)")
        self.issuers = list(issuers)
        self.client_ids = set(client_ids)
        # Keys are fetched on first use and cached; an unknown kid fetches the set again.
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def verify(self, authorization):
        """The claims of the access token in an `Authorization: Bearer` header; Rejected (401) otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Rejected(HTTPStatus.UNAUTHORIZED, "invalid_token", "a bearer token is required")
        try:
            key = self.jwks.get_signing_key_from_jwt(token)
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, key.key, algorithms=ALGORITHMS, issuer=self.issuers, leeway=5,
                # Cognito access tokens have no `aud`; the client is checked through `client_id`.
                options={"verify_aud": False, "require": ["iss", "sub", "exp", "iat"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            logger.warning("cannot fetch the JWKS: %s", exc)
            raise Rejected(HTTPStatus.UNAUTHORIZED, "invalid_token", "the signing keys are unavailable") from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Rejected(HTTPStatus.UNAUTHORIZED, "invalid_token", f"token rejected: {exc}") from None
        if not is_access_token(header, claims):
            raise Rejected(HTTPStatus.UNAUTHORIZED, "invalid_token", "not an access token (an ID token?)")
        if self.client_ids and claims.get("client_id") not in self.client_ids:
            raise Rejected(HTTPStatus.UNAUTHORIZED, "invalid_token",
                           f"client_id {claims.get('client_id')!r} is not allowed")
        return claims


def is_access_token(header, claims):
    """True for an access token in any of Understudy's dialects."""
    if "token_use" in claims:                      # Cognito: "access" or "id"
        return claims["token_use"] == "access"
    if "tok_type" in claims:                       # IDCS: "AT" or "IT"
        return claims["tok_type"] == "AT"
    return str(header.get("typ", "")).lower() in ("at+jwt", "application/at+jwt")   # RFC 9068


def groups_of(claims):
    """The user's groups, from whichever claim the token's dialect uses."""
    for name in GROUP_CLAIMS:
        value = claims.get(name)
        if isinstance(value, list):
            return [str(item) for item in value]
        if isinstance(value, str) and value:
            return [value]
    return []


def authorize(authorizer, path, authorization):
    """The 200 answer for `path`, or Rejected with 401 or 403."""
    claims = authorizer.verify(authorization)
    groups = groups_of(claims)
    allowed = ROUTES[path]
    if not allowed & set(groups):
        raise Rejected(HTTPStatus.FORBIDDEN, "forbidden",
                       f"{path} requires membership of {' or '.join(sorted(allowed))}")
    companies = claims.get("companies")
    orders = ORDERS if companies is None else [o for o in ORDERS if o["company"] in companies]
    return {
        "route": path,
        "user": claims.get("username") or claims.get("cognito:username") or claims.get("sub"),
        "client_id": claims.get("client_id"),
        "groups": groups,
        "role": claims.get("role"),            # added by the pre-token-generation hook
        "companies": companies,                # added by the pre-token-generation hook
        "orders": orders,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "understudy-example-api"

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        logger.info("%s %s", self.address_string(), format % args)

    def cors_headers(self):
        self.send_header("Access-Control-Allow-Origin", self.server.cors_origin)
        self.send_header("Access-Control-Expose-Headers", "WWW-Authenticate")
        if self.server.cors_origin != "*":
            self.send_header("Vary", "Origin")

    def answer(self, status, payload, extra_headers=()):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.cors_headers()
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def route(self):
        return urlsplit(self.path).path.rstrip("/") or "/"

    def do_OPTIONS(self):  # noqa: N802 - CORS preflight
        self.send_response(HTTPStatus.NO_CONTENT)
        self.cors_headers()
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: N802
        path = self.route()
        if path == "/healthz":
            self.answer(HTTPStatus.OK, {"status": "ok"})
            return
        if path not in ROUTES:
            self.answer(HTTPStatus.NOT_FOUND, {"error": "not_found", "error_description": f"no route {path}"})
            return
        try:
            payload = authorize(self.server.authorizer, path, self.headers.get("Authorization"))
        except Rejected as rejected:
            headers = []
            if rejected.status == HTTPStatus.UNAUTHORIZED:
                headers.append(("WWW-Authenticate",
                                f'Bearer realm="example-api", error="{rejected.error}"'))
            logger.info("%s %s: %s", rejected.status.value, path, rejected.description)
            self.answer(rejected.status, {"error": rejected.error, "error_description": rejected.description},
                        headers)
            return
        self.answer(HTTPStatus.OK, payload)

    do_HEAD = do_GET  # noqa: N815

    def not_allowed(self):
        self.answer(HTTPStatus.METHOD_NOT_ALLOWED,
                    {"error": "method_not_allowed", "error_description": "only GET is served"},
                    [("Allow", "GET, HEAD, OPTIONS")])

    do_POST = do_PUT = do_PATCH = do_DELETE = not_allowed  # noqa: N815


def main():
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(), stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    authorizer = Authorizer(os.environ.get("JWKS_URL", ""), split_list(os.environ.get("ISSUER")),
                            split_list(os.environ.get("CLIENT_IDS")))
    host = os.environ.get("HOST", "0.0.0.0")
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.authorizer = authorizer
    server.cors_origin = os.environ.get("CORS_ALLOW_ORIGIN", "*")
    logger.info("listening on http://%s:%d; issuers %s; keys from %s", host, port,
                ", ".join(authorizer.issuers), os.environ.get("JWKS_URL"))
    # As PID 1 in a container, SIGTERM (docker stop) would otherwise be ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
