"""Soak: mixed load for a while, with the server's memory sampled, and no error allowed.

A short run is part of every test run; `UNDERSTUDY_SOAK_SECONDS=300 scripts/interop.sh -k soak -s` (or
`scripts/soak.sh`) gives the five-minute run of the hardening issue. Every count is printed."""

import os
import secrets
import statistics
import tempfile
import time

import requests

from conftest import ORDERS, free_port, stop
from test_management import Server, Tally, Workers, launch

SOAK_SECONDS = float(os.environ.get("UNDERSTUDY_SOAK_SECONDS", "20"))
WARMUP_SECONDS = min(5.0, SOAK_SECONDS / 4)
TIMEOUT = 10


def rss_kib(pid):
    """The process's resident set size in KiB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS line")


def test_mixed_load_has_no_errors_and_flat_memory():
    """Tokens, JWKS, userinfo and SCIM writes at once, for SOAK_SECONDS: every answer is the expected
    one, and resident memory after the warm-up does not keep growing."""
    admin_token = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="understudy-soak-") as folder:
        port = free_port()
        proc = launch(folder, port, admin_token)
        try:
            server = Server(f"http://127.0.0.1:{port}", admin_token)
            token_endpoint = server.discovery["token_endpoint"]
            minted = server.call("POST", "/admin/v1/tokens", content_type="application/json", body={
                "client_id": "interop-web", "user": "manager", "scope": "openid", "expires_in": 3600})
            assert minted.status_code == 200, minted.text
            user_token = minted.json()["access_token"]
            manager_group = server.group_id("SPA-Manager")
            tally = Tally()

            def tokens(stop_event):
                with requests.Session() as http:
                    while not stop_event.is_set():
                        r = http.post(token_endpoint, data={"grant_type": "client_credentials"}, auth=ORDERS,
                                      timeout=TIMEOUT)
                        tally.check("token", r, {200})

            def jwks(stop_event):
                with requests.Session() as http:
                    while not stop_event.is_set():
                        tally.check("jwks", http.get(server.discovery["jwks_uri"], timeout=TIMEOUT), {200})

            def userinfo(stop_event):
                with requests.Session() as http:
                    headers = {"Authorization": f"Bearer {user_token}"}
                    while not stop_event.is_set():
                        r = http.get(server.discovery["userinfo_endpoint"], headers=headers, timeout=TIMEOUT)
                        tally.check("userinfo", r, {200})

            def scim_writes(stop_event):
                with requests.Session() as http:
                    while not stop_event.is_set():
                        name = f"soak-{secrets.token_hex(6)}"
                        created = server.create_user(name, secrets.token_urlsafe(12), http=http)
                        tally.check("scim create", created, {201})
                        if created.status_code != 201:
                            continue
                        user_id = created.json()["id"]
                        tally.check("scim patch", server.patch_group(manager_group, "add", user_id, http=http), {200})
                        tally.check("scim delete", server.call("DELETE", f"/scim/v2/Users/{user_id}", http=http), {204})

            workers = Workers([tokens, tokens, jwks, userinfo, scim_writes])
            samples = []
            started = time.monotonic()
            try:
                while time.monotonic() - started < SOAK_SECONDS and not workers.stop_event.is_set():
                    time.sleep(1)
                    if time.monotonic() - started >= WARMUP_SECONDS:
                        samples.append(rss_kib(proc.pid))
            finally:
                workers.stop()
            assert requests.get(f"{server.url}/healthz", timeout=TIMEOUT).status_code == 200

            quarter = max(1, len(samples) // 4)
            early, late = statistics.median(samples[:quarter]), statistics.median(samples[-quarter:])
            growth_mib = (late - early) / 1024
            total = sum(tally.ops.values())
            print(f"\nsoak: {SOAK_SECONDS:.0f} s, {total} requests "
                  f"({', '.join(f'{kind} {count}' for kind, count in sorted(tally.ops.items()))}), "
                  f"errors {len(tally.failures)}, 5xx {sum(1 for f in tally.failures if f[1] >= 500)}; "
                  f"RSS after warm-up {early / 1024:.1f} MiB -> {late / 1024:.1f} MiB "
                  f"(max {max(samples) / 1024:.1f} MiB, growth {growth_mib:+.1f} MiB, {len(samples)} samples)")
            assert not tally.failures, tally.failures[:5]
            assert tally.ops["token"] > 0 and tally.ops["scim create"] > 0
            # SQLite's page caches (one per pooled connection) fill as the database grows; beyond that, flat.
            assert growth_mib < 12, f"resident memory grew {growth_mib:.1f} MiB under steady load"
        finally:
            stop(proc)
