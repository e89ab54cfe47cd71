"""Discovery documents and key sets answered on the event loop (StaticDocumentHandler), over raw sockets.

A plain GET of a document is answered before it reaches the router. HTTP/1.1 lets a client send several
requests without waiting (pipelining); the answers must still come back in the order of the requests,
whichever path answers each, and be the same answers as the router's.
"""
import base64
import json
import socket

import requests

CLIENT = ("orders-service", "orders-secret")  # seed/default.yaml, RS256 client credentials


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


def token_request(host):
    body = b"grant_type=client_credentials"
    basic = base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
    return (f"POST /oauth2/token HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {basic}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


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
