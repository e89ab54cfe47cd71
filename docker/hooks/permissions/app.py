"""Example Cognito Pre Token Generation trigger: the "permissions service" pattern.

Adds the user's role and companies, read from the custom attributes `custom:role` and
`custom:companies`, as the claims `role` (a string) and `companies` (a list) to the tokens:

- V2 and V3 events (`claimsAndScopeOverrideDetails`): to both the ID token and the access token,
  typed (the list stays a list).
- V1 events (`claimsOverrideDetails`): to the ID token only, as V1 allows; V1 claim values are
  strings, so `companies` is JSON-encoded (`'["1111"]'`).
- `TokenGeneration_ClientCredentials` (V3, machine to machine): no user, nothing added; the event
  comes back unchanged.

`custom:companies` may be a JSON list (`'["1111","2222"]'`, what Understudy sends for a seed list)
or a comma-separated string (`"1111, 2222"`).

Groups are left alone: the response has no `groupOverrideDetails`, so Cognito keeps
`cognito:groups` as they are. (Giving `groupOverrideDetails` replaces the groups, and an empty or
null one removes them; copy `request.groupConfiguration` into it if you must send one.)

Standard library only; runs on the AWS Lambda Python 3.12 runtime and its Runtime Interface
Emulator (see README.md), and under Understudy's interop tests.
"""

import json
import logging

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

ROLE_ATTRIBUTE = "custom:role"
COMPANIES_ATTRIBUTE = "custom:companies"
CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"


def parse_companies(value):
    """The companies in an attribute value: a JSON list, or a comma-separated string."""
    if value is None:
        return None
    if isinstance(value, list):
        return [str(item) for item in value]
    text = str(value).strip()
    if text.startswith("["):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, list):
            return [item if isinstance(item, str) else json.dumps(item) for item in decoded]
    return [part.strip() for part in text.split(",") if part.strip()]


def permission_claims(attributes):
    """`role` and `companies` for these user attributes; a claim is absent when its attribute is."""
    claims = {}
    role = attributes.get(ROLE_ATTRIBUTE)
    if role is not None:
        claims["role"] = str(role)
    companies = parse_companies(attributes.get(COMPANIES_ATTRIBUTE))
    if companies is not None:
        claims["companies"] = companies
    return claims


def add_v1(event, claims):
    """V1: claims for the ID token, every value a string."""
    response = event.get("response") or {}
    details = response.get("claimsOverrideDetails") or {}
    added = details.get("claimsToAddOrOverride") or {}
    for name, value in claims.items():
        added[name] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    details["claimsToAddOrOverride"] = added
    response["claimsOverrideDetails"] = details
    event["response"] = response


def add_v2(event, claims):
    """V2 and V3: the same claims, typed, in the ID token and the access token."""
    response = event.get("response") or {}
    details = response.get("claimsAndScopeOverrideDetails") or {}
    for token in ("idTokenGeneration", "accessTokenGeneration"):
        generation = details.get(token) or {}
        added = generation.get("claimsToAddOrOverride") or {}
        added.update(claims)
        generation["claimsToAddOrOverride"] = added
        details[token] = generation
    response["claimsAndScopeOverrideDetails"] = details
    event["response"] = response


def handler(event, context):
    """Lambda entry point: return the event with `response` filled in."""
    version = str(event.get("version", "1"))
    source = event.get("triggerSource", "")
    request = event.get("request") or {}
    attributes = request.get("userAttributes") or {}
    logger.info("pre token generation: version %s, %s, user %s, client %s", version, source,
                event.get("userName"), (event.get("callerContext") or {}).get("clientId"))

    if source == CLIENT_CREDENTIALS or not attributes:
        return event
    claims = permission_claims(attributes)
    if not claims:
        return event
    if version == "1":
        add_v1(event, claims)
    else:
        add_v2(event, claims)
    return event
