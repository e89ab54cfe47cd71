"""An API Gateway Lambda TOKEN authorizer for Cognito access tokens, ported to Python.

The classic blog-post shape: API Gateway hands the function

    {"type": "TOKEN", "authorizationToken": "Bearer <jwt>",
     "methodArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/manager/orders"}

and the function verifies the token as AWS tells you to verify Cognito JWTs (the key from
`<iss>/.well-known/jwks.json` by `kid`, RS256, `iss`, `exp`, `token_use == "access"`, and `client_id`,
because Cognito access tokens have no `aud`), then decides by `cognito:groups`:

- `GET /manager/...`: members of SPA-Manager only;
- `/employee/...` (any method): members of SPA-Manager or SPA-Employee;
- anything else: denied.

It answers an IAM policy for the method ARN (Effect Allow or Deny, which API Gateway turns into the
call or a 403) with the user's name and groups as context, or raises `Exception("Unauthorized")`,
which API Gateway turns into a 401, when the token is missing or not valid.

Configuration: `make_handler(issuer, client_id)`, or the module-level `handler`, which reads the
environment the way a deployed function would: `COGNITO_ISSUER` (or `AWS_REGION` + `USER_POOL_ID`,
giving `https://cognito-idp.<region>.amazonaws.com/<pool id>`) and `APP_CLIENT_ID`.
"""

import logging
import os

import jwt

logger = logging.getLogger(__name__)

MANAGER_GROUP = "SPA-Manager"
EMPLOYEE_GROUP = "SPA-Employee"


def unauthorized():
    """The error for a token that must not pass: API Gateway answers 401 for exactly this message."""
    return Exception("Unauthorized")


def parse_method_arn(method_arn):
    """(HTTP verb, resource path) of `arn:aws:execute-api:region:account:api/stage/VERB/path...`."""
    parts = method_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "execute-api":
        raise ValueError(f"not an execute-api method ARN: {method_arn!r}")
    segments = parts[5].split("/")
    if len(segments) < 3:
        raise ValueError(f"method ARN without a verb: {method_arn!r}")
    verb = segments[2].upper()
    resource = "/" + "/".join(segments[3:])
    return verb, resource


def under(resource, prefix):
    """True when `resource` is `prefix` or below it (`/manager` and `/manager/orders`, not `/managers`)."""
    return resource == prefix or resource.startswith(prefix + "/")


def is_allowed(verb, resource, groups):
    """The route rules of the example app."""
    groups = set(groups)
    if under(resource, "/manager"):
        return verb == "GET" and MANAGER_GROUP in groups
    if under(resource, "/employee"):
        return bool(groups & {MANAGER_GROUP, EMPLOYEE_GROUP})
    return False


def policy(principal_id, effect, resource, context):
    """An API Gateway authorizer answer: an IAM policy for one method ARN, plus context."""
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource},
            ],
        },
        "context": context,
    }


def make_handler(issuer, client_id):
    """A TOKEN authorizer for access tokens of `client_id` issued by the pool `issuer`."""
    issuer = issuer.rstrip("/")
    # Created once, like the module-level client of a deployed function ("cold start"), so the
    # key set is cached between invocations.
    jwks = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json")

    def verify(token):
        """The claims of a valid Cognito access token for this client; Unauthorized otherwise."""
        try:
            key = jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key.key, algorithms=["RS256"], issuer=issuer,
                # Cognito access tokens have no `aud`: the client is checked through `client_id`.
                options={"verify_aud": False,
                         "require": ["iss", "exp", "iat", "sub", "token_use", "client_id"]},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            logger.info("token rejected: %s", exc)
            raise unauthorized() from None
        if claims.get("token_use") != "access":
            logger.info("token rejected: token_use is %r, not 'access'", claims.get("token_use"))
            raise unauthorized()
        if claims.get("client_id") != client_id:
            logger.info("token rejected: client_id is %r", claims.get("client_id"))
            raise unauthorized()
        return claims

    def handler(event, context):
        scheme, _, token = (event.get("authorizationToken") or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized()
        claims = verify(token.strip())
        method_arn = event["methodArn"]
        try:
            verb, resource = parse_method_arn(method_arn)
        except ValueError:
            logger.info("unexpected method ARN %r", method_arn)
            raise unauthorized() from None
        groups = claims.get("cognito:groups") or []
        effect = "Allow" if is_allowed(verb, resource, groups) else "Deny"
        logger.info("%s %s %s for %s (%s)", effect, verb, resource, claims.get("username"), groups)
        return policy(claims["sub"], effect, method_arn, {
            "username": claims.get("username", ""),
            "groups": ",".join(groups),
        })

    return handler


def issuer_from_environment(env=os.environ):
    """The pool's issuer, from COGNITO_ISSUER or from AWS_REGION and USER_POOL_ID."""
    if env.get("COGNITO_ISSUER"):
        return env["COGNITO_ISSUER"]
    pool = env["USER_POOL_ID"]
    region = env.get("AWS_REGION") or pool.split("_", 1)[0]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool}"


_env_handler = None


def handler(event, context):
    """Lambda entry point configured from the environment (see the module docstring)."""
    global _env_handler
    if _env_handler is None:
        _env_handler = make_handler(issuer_from_environment(), os.environ["APP_CLIENT_ID"])
    return _env_handler(event, context)
