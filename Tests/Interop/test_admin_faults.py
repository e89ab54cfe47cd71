"""Admin API over the real binary: the generated admin token, the audit log, and faults that make authlib's
token requests fail on demand."""

import re

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from conftest import ORDERS, start_server


@pytest.fixture(scope="module")
def server():
    """A server of its own (faults are server-wide), with the admin token it logged at start."""
    url, stop = start_server()
    try:
        log = stop.log_path.read_text(errors="replace")
        found = re.findall(r"admin_token=(\S+)", log)
        assert len(found) == 1, f"the generated admin token is logged exactly once:\n{log}"
        yield url, found[0]
    finally:
        stop()


def fetch(url):
    with OAuth2Session(*ORDERS, token_endpoint_auth_method="client_secret_basic") as s:
        return s.fetch_token(f"{url}/oauth2/token", grant_type="client_credentials")


def test_admin_api_needs_the_logged_token(server):
    url, token = server
    assert requests.get(f"{url}/admin/v1/faults", timeout=5).status_code == 401
    wrong = requests.get(f"{url}/admin/v1/faults", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.headers["Content-Type"] == "application/problem+json"
    ok = requests.get(f"{url}/admin/v1/faults", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert ok.status_code == 200 and ok.json() == {"faults": []}


def test_faults_fail_authlib_token_requests_then_stop(server):
    url, token = server
    admin = {"Authorization": f"Bearer {token}"}
    assert fetch(url)["access_token"]
    created = requests.post(f"{url}/admin/v1/faults", headers=admin, timeout=5,
                            json={"endpoint": "token", "count": 2, "status": 503, "error_description": "planned"})
    assert created.status_code == 201
    for _ in range(2):
        # authlib raises the HTTP error for a 5xx; the body is still OAuth error JSON.
        with pytest.raises(requests.HTTPError) as failure:
            fetch(url)
        assert failure.value.response.status_code == 503
        assert failure.value.response.json() == {"error": "temporarily_unavailable", "error_description": "planned"}
    assert fetch(url)["access_token"]

    # A 4xx fault reaches authlib as the OAuth error it names.
    requests.post(f"{url}/admin/v1/faults", headers=admin, timeout=5,
                  json={"endpoint": "token", "status": 400, "error": "invalid_scope"}).raise_for_status()
    with pytest.raises(OAuthError) as refused:
        fetch(url)
    assert refused.value.error == "invalid_scope"
    assert fetch(url)["access_token"]

    # The audit log saw the issued tokens; filters narrow it down.
    audit = requests.get(f"{url}/admin/v1/audit", headers=admin, timeout=5,
                         params={"client_id": ORDERS[0], "outcome": "issued"})
    assert audit.status_code == 200
    events = audit.json()["events"]
    assert len(events) == 3
    assert all(e["client_id"] == ORDERS[0] and e["grant_type"] == "client_credentials" for e in events)
