"""Requests answered on the event loop (FastPathHandler), over raw sockets: plain GETs of discovery
documents and key sets, and plain client-credentials token requests once the client's secret is known.

They are answered before they reach the router. HTTP/1.1 lets a client send several requests without
waiting (pipelining); the answers must still come back in the order of the requests, whichever path answers
each, and be the same answers as the router's.
"""
import base64
import json
import socket
import time

import jwt
import pytest
import requests

from conftest import start_server

CLIENT = ("orders-service", "orders-secret")  # seed/default.yaml, RS256 client credentials
ES_CLIENT = ("es-service", "es-secret with spaces&symbols:")  # seed-interop.yaml, ES256


def host_port(base_url):
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


def read_responses(sock, count, timeout=10):
    """Reads `count` HTTP/1.1 responses (Content-Length bodies) from `sock`; returns (status, headers, body)."""
    sock.settimeout(timeout)
    buffer = b""
    responses = []
    while len(responses) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(responses)} of {count} responses"
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        length = int(headers["content-length"])
        while len(buffer) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed inside a body"
            buffer += chunk
        body, buffer = buffer[:length], buffer[length:]
        responses.append((status, headers, body))
    return responses


def get(path, host, extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


def token_request(host, body=b"grant_type=client_credentials", client=CLIENT, extra="", path="/oauth2/token"):
    basic = base64.b64encode(f"{quote(client[0])}:{quote(client[1])}".encode()).decode()
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {basic}\r\n{extra}"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def quote(value):
    """RFC 6749 §2.3.1: Basic credentials are form-encoded before base64."""
    return requests.utils.quote(value, safe="").replace("%20", "+")


def decoded(token):
    """A JWS's header and claims, unverified."""
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def test_pipelined_requests_are_answered_in_order(base_url):
    host, port = host_port(base_url)
    jwks = requests.get(f"{base_url}/.well-known/jwks.json", timeout=5).content
    discovery = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=5).content
    rounds = 0
    with socket.create_connection((host, port)) as sock:
        for _ in range(20):
            # document, token (router, signs: slow), document (must wait for the token), a forwarded variant
            # (router), then documents again: six answers, in this order.
            sock.sendall(get("/.well-known/jwks.json", host) + token_request(host)
                         + get("/.well-known/openid-configuration", host)
                         + get("/.well-known/openid-configuration", host, "X-Forwarded-Host: proxy.example\r\n")
                         + get("/.well-known/jwks.json", host) + get("/.well-known/openid-configuration", host))
            answers = read_responses(sock, 6)
            assert [status for status, _, _ in answers] == [200] * 6
            assert answers[0][2] == jwks
            assert "access_token" in json.loads(answers[1][2])
            assert answers[2][2] == discovery
            assert json.loads(answers[3][2])["token_endpoint"] == "http://proxy.example/oauth2/token"
            assert answers[4][2] == jwks
            assert answers[5][2] == discovery
            rounds += 1
    print(f"\n  pipelining: {rounds} rounds of 6 requests on one connection, all answered in order")


def test_event_loop_answers_match_the_routers(base_url):
    """`Connection: keep-alive` changes nothing in an answer but sends the request through the router."""
    host, port = host_port(base_url)
    paths = ["/.well-known/jwks.json", "/.well-known/openid-configuration",
             "/.well-known/oauth-authorization-server", "/admin/v1/SigningCert/jwk"]
    with socket.create_connection((host, port)) as sock:
        for path in paths:
            sock.sendall(get(path, host) + get(path, host, "Connection: keep-alive\r\n"))
            (fast_status, fast_headers, fast_body), (slow_status, slow_headers, slow_body) = read_responses(sock, 2)
            assert (fast_status, fast_body) == (slow_status, slow_body), path
            fast_headers.pop("date")
            slow_headers.pop("date")
            assert fast_headers == slow_headers, path


def test_query_strings_and_other_methods_still_reach_the_router(base_url):
    host, port = host_port(base_url)
    with socket.create_connection((host, port)) as sock:
        sock.sendall(get("/.well-known/jwks.json?x=1", host)
                     + f"POST /.well-known/jwks.json HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n".encode()
                     + get("/.well-known/jwks.json", host, "Origin: http://spa.example\r\n"))
        query, post, cors = read_responses(sock, 3)
    assert query[0] == 200 and json.loads(query[2])["keys"]
    assert post[0] == 405 and post[1]["allow"] == "GET"
    assert cors[0] == 200 and cors[1]["access-control-allow-origin"] == "*"


@pytest.fixture(scope="module")
def server():
    """A server of its own, whose log says which path answered each token."""
    url, stop = start_server()
    try:
        yield url, stop.log_path
    finally:
        stop()


def answered(log_path, client_id):
    """How many tokens for `client_id` each path issued, from the server's `token issued` log lines."""
    counts = {"event_loop": 0, "router": 0}
    for line in log_path.read_text(errors="replace").splitlines():
        if line.endswith(" token issued") and f" oauth.client_id={client_id} " in line:
            for path in counts:
                counts[path] += f" http.answered_by={path} " in line
    return counts


def prime(base_url, client):
    """The router's answer to a client's first token request leaves its verified secret in memory."""
    r = requests.post(f"{base_url}/oauth2/token", data={"grant_type": "client_credentials"}, auth=client, timeout=10)
    assert r.status_code == 200, r.text


def test_token_answers_match_the_routers(server):
    """A plain token request after the first is answered on the event loop; `Connection: keep-alive` sends
    the same request through the router. The answers differ only in the token's `jti` (and `iat`/`exp`
    when a second ticks between them), and both tokens verify against the published keys."""
    base_url, log_path = server
    host, port = host_port(base_url)
    keys = jwt.PyJWKClient(f"{base_url}/.well-known/jwks.json")
    cases = [
        (CLIENT, b"grant_type=client_credentials", "/oauth2/token"),
        (CLIENT, b"grant_type=client_credentials&scope=orders%2Fget.order", "/oauth2/v1/token"),
        (ES_CLIENT, b"grant_type=client_credentials", "/oauth2/token"),
    ]
    for client, body, path in cases:
        prime(base_url, client)
        before = answered(log_path, client[0])
        with socket.create_connection((host, port)) as sock:
            sock.sendall(token_request(host, body, client, path=path)
                         + token_request(host, body, client, "Connection: keep-alive\r\n", path))
            (fast_status, fast_headers, fast_body), (slow_status, slow_headers, slow_body) = read_responses(sock, 2)
        after = answered(log_path, client[0])
        assert (after["event_loop"] - before["event_loop"], after["router"] - before["router"]) == (1, 1)
        assert (fast_status, slow_status) == (200, 200), (fast_body, slow_body)
        fast_headers.pop("date")
        slow_headers.pop("date")
        fast_headers.pop("content-length")
        slow_headers.pop("content-length")
        assert fast_headers == slow_headers
        fast, slow = json.loads(fast_body), json.loads(slow_body)
        fast_token, slow_token = fast.pop("access_token"), slow.pop("access_token")
        assert fast == slow
        (fast_header, fast_claims), (slow_header, slow_claims) = decoded(fast_token), decoded(slow_token)
        assert fast_header == slow_header
        assert fast_claims.pop("jti") != slow_claims.pop("jti")
        if fast_claims["iat"] != slow_claims["iat"]:  # a second ticked between the two
            for claims in (fast_claims, slow_claims):
                claims.pop("iat"), claims.pop("exp"), claims.pop("auth_time", None)
        assert fast_claims == slow_claims
        for token in (fast_token, slow_token):
            key = keys.get_signing_key_from_jwt(token)
            jwt.decode(token, key.key, algorithms=[fast_header["alg"]], options={"verify_aud": False})


def test_pipelined_token_requests_are_answered_in_order(server):
    """Token requests with different scopes, some for the event loop and some for the router, pipelined on
    one connection: each answer carries the scope its own request asked for. A burst larger than the
    handler answers from one read is finished by the router, in order too."""
    base_url, log_path = server
    host, port = host_port(base_url)
    prime(base_url, CLIENT)
    before = answered(log_path, CLIENT[0])
    scopes = ["orders/get.order", "orders/create.order", "orders/list.orders"]
    sent = 0
    with socket.create_connection((host, port)) as sock:
        for _ in range(10):
            requests_sent, expected = b"", []
            for i, scope in enumerate(scopes * 3):
                # Every fourth request carries an Origin (the router answers it, with CORS headers).
                extra = "Origin: http://spa.example\r\n" if i % 4 == 3 else ""
                requests_sent += token_request(host, f"grant_type=client_credentials&scope={scope}".encode(), extra=extra)
                expected.append((scope, bool(extra)))
            requests_sent += get("/.well-known/jwks.json", host)
            sock.sendall(requests_sent)
            answers = read_responses(sock, len(expected) + 1)
            for (status, headers, body), (scope, cors) in zip(answers, expected):
                assert status == 200, body
                assert json.loads(body)["scope"] == scope
                assert decoded(json.loads(body)["access_token"])[1]["scope"] == scope
                assert ("access-control-allow-origin" in headers) == cors
            assert json.loads(answers[-1][2])["keys"]
            sent += len(expected)
    after = answered(log_path, CLIENT[0])
    fast, routed = after["event_loop"] - before["event_loop"], after["router"] - before["router"]
    assert fast + routed == sent
    assert fast > 0 and routed > 0, (fast, routed)


def test_a_token_request_that_arrives_in_pieces_is_answered(server):
    """Head and body in separate TCP segments, the body itself split: the handler gathers it."""
    base_url, log_path = server
    host, port = host_port(base_url)
    prime(base_url, CLIENT)
    before = answered(log_path, CLIENT[0])
    request = token_request(host, b"grant_type=client_credentials&scope=orders%2Fget.order")
    head_end = request.index(b"\r\n\r\n") + 4
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in (request[:head_end], request[head_end:head_end + 10], request[head_end + 10:]):
            sock.sendall(piece)
            time.sleep(0.05)
        [(status, _, body)] = read_responses(sock, 1)
    assert status == 200, body
    assert json.loads(body)["scope"] == "orders/get.order"
    assert answered(log_path, CLIENT[0])["event_loop"] == before["event_loop"] + 1


def test_token_errors_still_come_from_the_router(server):
    """Requests the fast path declines after reading their body get the route's OAuth errors. (The wrong
    secret goes last: the router checks it with bcrypt, and requests pipelined behind it would reach the
    router only because it is busy.)"""
    base_url, _ = server
    host, port = host_port(base_url)
    prime(base_url, CLIENT)
    with socket.create_connection((host, port)) as sock:
        sock.sendall(token_request(host, b"grant_type=client_credentials&scope=reports%2Fread"))
        [scope] = read_responses(sock, 1)
        sock.sendall(token_request(host, b"grant_type=client_credentials&grant_type=client_credentials"))
        [repeated] = read_responses(sock, 1)
        sock.sendall(token_request(host, b"grant_type=client_credentials&aws_client_metadata=x"))
        [metadata] = read_responses(sock, 1)
        sock.sendall(token_request(host, client=(CLIENT[0], "wrong")))
        [wrong] = read_responses(sock, 1)
    assert scope[0] == 400 and json.loads(scope[2])["error"] == "invalid_scope"
    assert repeated[0] == 400 and json.loads(repeated[2])["error"] == "invalid_request"
    assert metadata[0] == 400 and json.loads(metadata[2])["error"] == "invalid_request"
    assert wrong[0] == 401 and json.loads(wrong[2])["error"] == "invalid_client"
    assert wrong[1]["www-authenticate"].startswith("Basic")
