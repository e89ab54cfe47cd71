"""Hostile input against the running binary (issue "Hardening", item 1).

Every endpoint gets malformed, oversized and malicious input: broken form and percent encoding, bad HTTP
Basic credentials, invalid UTF-8, huge headers and bodies, deeply nested JSON, bad SCIM filters, SQL-looking
strings, null bytes, huge numbers, wrong methods, path traversal. Requests are sent over raw sockets, so
nothing is cleaned up on the way. For every request:

- an answer comes within REQUEST_LIMIT seconds (a reset for an oversized or malformed HTTP message is
  allowed and counted apart, as is a bare 400/413/414/431 from the HTTP layer for such a message);
- no 5xx;
- the answer is in the protocol's own format: OAuth endpoints JSON with `error`, bearer endpoints that or an
  RFC 6750 `WWW-Authenticate: Bearer`, SCIM the SCIM error schema, admin `application/problem+json`, the
  browser pages `text/html`;
- a 3xx goes to a redirect URI registered in the seed or to a same-origin path (no open redirect), and no
  header or markup we sent comes back unescaped; no database error text leaks.

After each batch `/healthz` answers and a client-credentials token request still works. A server that
dies is restarted, so one crash does not hide the next; the crash is a failure with the request that
caused it. Inputs come from random.Random(SEED) plus hand-written lists, so a run is reproducible;
UNDERSTUDY_LONG=1 runs 20 times as many random inputs. Each test prints its counts (run pytest with -s).
"""

import base64
import copy
import hashlib
import hmac
import html
import http.client
import json
import os
import random
import re
import select
import socket
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
import requests

from conftest import BIN, HERE, ORDERS, REPO, start_server

SEED = 20261202
ROUNDS = 20 if os.environ.get("UNDERSTUDY_LONG") == "1" else 1
REQUEST_LIMIT = 5.0          # seconds for any one request, 20 MB bodies included
SEED_CHECK_LIMIT = 10.0      # seconds for one `understudy seed check`
FORM = "application/x-www-form-urlencoded"
SCIM_JSON = "application/scim+json"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEED_FILES = [REPO / "seed" / "default.yaml", HERE / "seed-interop.yaml"]
CORPUS = HERE / "corpus" / "seed"
POOL = "us-east-1_Understudy"

SPA, SPA_CB, SPA_BYE = "interop-spa", "http://127.0.0.1:8765/cb", "http://127.0.0.1:8765/bye"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


def registered_uris():
    """Every redirect_uri and post_logout_redirect_uri the seeds register (flow-style lists)."""
    uris = set()
    for path in SEED_FILES:
        for listed in re.findall(r"(?:redirect_uris|post_logout_redirect_uris):\s*\[([^\]]*)\]", path.read_text()):
            uris.update(item.strip().strip("'\"") for item in listed.split(",") if item.strip())
    return uris


REGISTERED = registered_uris()

# --- hostile values ----------------------------------------------------------------------------

SQL = ["' OR 1=1 --", '"; DROP TABLE user; --', "admin'--", "1' UNION SELECT clientSecretHash FROM client --",
       "') OR ('1'='1", "%' OR 1=1 --"]
NASTY = ["\x00", "a\x00b", "%00", "\r\nX-Injected: 1", "<script>alert(1)</script>", "../../../../etc/passwd",
         "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "${jndi:ldap://127.0.0.1:1/x}", "{{7*7}}", "\u202e\ufeff\uffff",
         "\U0001F600" * 20, "\t\n\v\f ", "", " ", "-1", "0", "-9223372036854775809", "9223372036854775808",
         "99999999999999999999999999", "1e308", "NaN", "null", "[]", "{}", "true", "\\", '"', "'", "%", "&",
         "=", "+", "#", "?", "/", "javascript:alert(1)", "A" * 5000]
XSS = b"<script>alert(1)</script>"
NUMBERS = [-1, 0, 1.5, -0.0, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -2**63 - 1, 2**64, 10**40, 1e308, -1e308,
           5e-324]


def random_text(rng, low, high):
    """Random text mixing ASCII, controls, and non-ASCII scalars (no lone surrogates)."""
    pools = ["abcXYZ019-._~", " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}", "\x00\x01\x07\x1b\x7f\t\r\n",
             "éßøÆ中文字😀\u202e\ufeff\u0301\uffff\U0010FFFF"]
    return "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(low, high)))


def random_bytes(rng, low, high):
    return bytes(rng.randrange(256) for _ in range(rng.randint(low, high)))


def short(value, limit=60):
    """A printable, bounded description of a value for reports and labels."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(value)} long)"


# --- raw HTTP ----------------------------------------------------------------------------------

class Reset(Exception):
    """The server closed or reset the connection without an answer."""


class NoAnswer(Exception):
    """No complete answer within the time limit."""


class Reply:
    def __init__(self, status, headers, body, elapsed):
        self.status, self.headers, self.body, self.elapsed = status, headers, body, elapsed

    def header(self, name):
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None

    @property
    def content_type(self):
        return (self.header("content-type") or "").lower()

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def as_bytes(value):
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def exchange(url, method, target, headers=(), body=b"", timeout=REQUEST_LIMIT, content_length=True,
             version=b"HTTP/1.1", host=True):
    """One request on a fresh connection, bytes exactly as given; return a Reply.

    Sending stops as soon as the server answers (a 413 before the body is in) or goes away."""
    parts = urlsplit(url)
    method, target, body = as_bytes(method), as_bytes(target), as_bytes(body)
    lines = [method + b" " + target + b" " + version]
    if host:
        lines.append(b"Host: " + parts.netloc.encode())
    lines.append(b"Connection: close")
    lines += [as_bytes(name) + b": " + as_bytes(value) for name, value in headers]
    if content_length and (body or method in (b"POST", b"PUT", b"PATCH")):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    data = memoryview(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    start = time.monotonic()
    deadline = start + timeout
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    try:
        sock.setblocking(False)
        sent = 0
        while sent < len(data):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoAnswer("the server stopped reading the request")
            readable, writable, _ = select.select([sock], [sock], [], left)
            if readable:
                break
            if writable:
                try:
                    sent += sock.send(data[sent:sent + 262144])
                except BlockingIOError:
                    continue
                except OSError:
                    break
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        response = http.client.HTTPResponse(sock, method=method.decode("latin-1"))
        try:
            response.begin()
            payload = response.read()
        except (socket.timeout, TimeoutError) as error:
            raise NoAnswer(str(error)) from None
        except (ConnectionError, http.client.IncompleteRead) as error:
            raise Reset(f"{type(error).__name__}: {error}") from None
        return Reply(response.status, response.getheaders(), payload, time.monotonic() - start)
    finally:
        sock.close()


# --- the server --------------------------------------------------------------------------------

class Target:
    """The server under test; restarted (and the crash kept) when a request kills it."""

    def __init__(self):
        self.crashes = []
        self.start()

    def start(self):
        saved = os.environ.get("SWIFT_BACKTRACE")
        os.environ["SWIFT_BACKTRACE"] = "interactive=no,color=no,threads=crashed,registers=none,images=none"
        try:
            self.url, self._stop = start_server()
        finally:
            if saved is None:
                os.environ.pop("SWIFT_BACKTRACE")
            else:
                os.environ["SWIFT_BACKTRACE"] = saved
        self.log_path = self._stop.log_path
        (token,) = re.findall(r"admin_token=(\S+)", self.log_path.read_text(errors="replace"))
        self.admin = ("Authorization", f"Bearer {token}")
        self.admin_headers = {"Authorization": f"Bearer {token}"}

    def stop(self):
        self._stop()

    def alive(self):
        try:
            return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def crash_report(self):
        """The fatal error and the first Understudy frames from the log (waits for the backtrace)."""
        deadline = time.monotonic() + 20
        while True:
            log = self.log_path.read_text(errors="replace")
            if "Fatal error" not in log or "Backtrace took" in log or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        fatal = re.findall(r"^.*(?:Fatal error|Program crashed).*$", log, re.M)
        frames = re.findall(r"(\S+\(.*?\)) \+ \d+ in \S+ at (/\S*/Sources/Understudy/\S+)", log)
        where = [f"{name} at {path.replace(str(REPO) + '/', '')}" for name, path in frames[:3]]
        return "; ".join(fatal[:2] + where) or "no answer, no fatal error in the log"

    def restart(self):
        report = self.crash_report()
        self.crashes.append(report)
        self._stop()
        self.start()
        return report


@pytest.fixture(scope="module")
def target():
    server = Target()
    try:
        yield server
    finally:
        server.stop()


# --- judging answers ---------------------------------------------------------------------------

def location_allowed(location, base):
    """A redirect target is a same-origin path, this server, or a registered redirect URI (exactly)."""
    if any(c in location for c in "\r\n\x00"):
        return False
    head = re.split(r"[?#]", location, maxsplit=1)[0]
    if "\\" in head:
        return False  # browsers read `\` as `/`: `/\evil.example` is protocol-relative
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location.startswith("/") and not location.startswith("//")
    if f"{parts.scheme}://{parts.netloc}" == base:
        return True
    return f"{parts.scheme}://{parts.netloc}{parts.path}" in REGISTERED and not parts.username


def format_issues(kind, reply):
    """What is wrong with the answer's format for this kind of endpoint (empty when fine)."""
    status, ctype, body = reply.status, reply.content_type, reply.json()
    if status < 400:
        if status in (200, 201) and kind in ("oauth", "admin", "scim", "json") and reply.body and body is None:
            return [f"{status} answer is not JSON ({ctype or 'no content type'})"]
        if status == 200 and kind == "html" and not ctype.startswith("text/html"):
            return [f"200 page is {ctype or 'untyped'}, not text/html"]
        return []
    if kind == "oauth":
        if not (isinstance(body, dict) and isinstance(body.get("error"), str)) or "json" not in ctype:
            return [f"{status} is not OAuth error JSON ({ctype or 'no content type'})"]
    elif kind == "bearer":
        challenge = (reply.header("www-authenticate") or "").lower()
        if not challenge.startswith("bearer") and not (isinstance(body, dict) and "error" in body):
            return [f"{status} has neither a Bearer challenge nor OAuth error JSON ({ctype or 'no content type'})"]
    elif kind == "scim":
        if not (isinstance(body, dict) and SCIM_ERROR in (body.get("schemas") or [])):
            return [f"{status} is not a SCIM error ({ctype or 'no content type'})"]
    elif kind == "admin":
        if not ctype.startswith("application/problem+json") or not isinstance(body, dict):
            return [f"{status} is not application/problem+json ({ctype or 'no content type'})"]
    elif kind == "html":
        if not ctype.startswith("text/html"):
            return [f"{status} page is {ctype or 'untyped'}, not text/html"]
    elif kind == "json":
        if body is None:
            return [f"{status} is not JSON ({ctype or 'no content type'})"]
    return []


def judge(kind, reply, base, framing):
    """Every problem with one answer."""
    issues = []
    if reply.status >= 500:
        issues.append(f"{reply.status} server error")
    if 300 <= reply.status < 400:
        location = reply.header("location")
        if location is None:
            issues.append(f"{reply.status} without Location")
        elif not location_allowed(location, base):
            issues.append(f"open redirect to {location[:200]!r}")
    for name, value in reply.headers:
        if name.lower() == "x-injected" or "pwn=" in value:
            issues.append(f"header injection: {name}: {value[:100]}")
    if reply.content_type.startswith("text/html"):
        if XSS in reply.body:
            issues.append("markup from the request is in the page unescaped")
        for action in re.findall(rb'<form[^>]*\saction="([^"]*)"', reply.body):
            target = html.unescape(action.decode("utf-8", "replace"))
            if not location_allowed(target, base):
                issues.append(f"a form posts to {target[:200]!r} (form_post to an unregistered URI)")
    if re.search(rb"SQLITE_|SQLite error|syntax error near|no such column", reply.body):
        issues.append("database error text in the answer")
    if framing and reply.status in (400, 413, 414, 431) and not reply.body:
        return issues  # rejected by the HTTP layer before routing: no protocol applies
    return issues + format_issues(kind, reply)


ADMIN = ("Authorization", "<the admin token of the running server>")


class Batch:
    """Sends one test's requests, counts them per endpoint and collects the problems."""

    def __init__(self, name, target):
        self.name, self.target = name, target
        self.tried = Counter()
        self.statuses = defaultdict(Counter)
        self.resets = Counter()
        self.framing = Counter()
        self.slowest = defaultdict(float)
        self.spent = defaultdict(float)
        self.problems = []
        self.health_checks = 0
        self.started = time.monotonic()

    def send(self, endpoint, kind, method, path, headers=(), body=b"", *, framing=False, label="",
             expect=None, **options):
        """Send one request; judge it; return the Reply (None without an answer)."""
        self.tried[endpoint] += 1
        headers = [self.target.admin if header is ADMIN else header for header in headers]
        request = describe(method, path, headers, body, label)
        started = time.monotonic()
        try:
            return self._send(endpoint, kind, method, path, headers, body, framing, request, expect, options)
        finally:
            self.spent[endpoint] += time.monotonic() - started

    def _send(self, endpoint, kind, method, path, headers, body, framing, request, expect, options):
        try:
            reply = exchange(self.target.url, method, path, headers, body, **options)
        except Reset as error:
            if not self.target.alive():
                self.problem(endpoint, request, f"the server died: {self.target.restart()}")
            elif framing:
                self.resets[endpoint] += 1
                self.statuses[endpoint]["reset"] += 1
            else:
                self.problem(endpoint, request, f"connection reset without an answer ({error})")
            return None
        except NoAnswer as error:
            if not self.target.alive():
                self.problem(endpoint, request, f"the server died: {self.target.restart()}")
            else:
                self.problem(endpoint, request, f"no answer within {REQUEST_LIMIT} s ({error})")
            return None
        except http.client.HTTPException as error:
            self.problem(endpoint, request, f"unparseable answer: {type(error).__name__}: {error}")
            return None
        self.statuses[endpoint][reply.status] += 1
        self.slowest[endpoint] = max(self.slowest[endpoint], reply.elapsed)
        if framing and reply.status in (400, 413, 414, 431) and not reply.body:
            self.framing[endpoint] += 1
        issues = judge(kind, reply, self.target.url, framing)
        if expect is not None:
            issues += [issue for issue in [expect(reply)] if issue]
        for issue in issues:
            self.problem(endpoint, request, issue, reply)
        return reply

    def problem(self, endpoint, request, issue, reply=None):
        answer = ""
        if reply is not None:
            answer = (f"\n      -> {reply.status} [{reply.content_type or 'no content type'}] "
                      f"{short(reply.body, 300)}")
        self.problems.append(f"[{endpoint}] {issue}\n      {request}{answer}")

    def healthy(self, after):
        """After a batch: /healthz answers 200 and a client-credentials token is issued."""
        self.health_checks += 1
        try:
            health = requests.get(f"{self.target.url}/healthz", timeout=REQUEST_LIMIT)
            token = requests.post(f"{self.target.url}/oauth2/token", auth=ORDERS, timeout=REQUEST_LIMIT,
                                  data={"grant_type": "client_credentials"})
            if health.status_code == 200 and token.status_code == 200 and token.json().get("access_token"):
                return
            detail = f"healthz {health.status_code}, token {token.status_code} {token.text[:200]}"
        except (requests.RequestException, ValueError) as error:
            detail = f"{type(error).__name__}: {error}"
        if not self.target.alive():
            detail += f"; the server died: {self.target.restart()}"
        self.problems.append(f"[{after}] the server is unhealthy after the batch: {detail}")

    def finish(self):
        """Print the counts, then fail with every problem found."""
        print(f"\n[{self.name}] {'endpoint':<28} {'inputs':>6}  5xx  resets  http-rejects  slowest    total"
              "  statuses")
        for endpoint, count in self.tried.items():
            statuses = self.statuses[endpoint]
            server_errors = sum(n for status, n in statuses.items() if isinstance(status, int) and status >= 500)
            seen = ", ".join(f"{status}:{n}" for status, n in sorted(statuses.items(), key=lambda s: str(s[0])))
            print(f"[{self.name}] {endpoint:<28} {count:>6} {server_errors:>4} {self.resets[endpoint]:>7} "
                  f"{self.framing[endpoint]:>13} {self.slowest[endpoint]:>7.2f}s {self.spent[endpoint]:>7.1f}s"
                  f"  {seen}")
        total_5xx = sum(n for c in self.statuses.values() for s, n in c.items() if isinstance(s, int) and s >= 500)
        print(f"[{self.name}] TOTAL {sum(self.tried.values())} inputs on {len(self.tried)} endpoints; "
              f"5xx seen = {total_5xx}; resets = {sum(self.resets.values())}; "
              f"bare HTTP-layer rejects = {sum(self.framing.values())}; health checks = {self.health_checks}; "
              f"problems = {len(self.problems)}; {time.monotonic() - self.started:.1f} s")
        for problem in self.problems[:40]:
            print(f"[{self.name}] PROBLEM {problem}")
        if self.problems:
            pytest.fail(f"{len(self.problems)} problems (first 40 above):\n" + "\n".join(self.problems[:40]),
                        pytrace=False)


def describe(method, path, headers, body, label):
    """The request, bounded, for a report."""
    shown = []
    for name, value in headers:
        value = as_bytes(value)
        shown.append(f"{name}: {short(value, 80) if len(value) > 80 else value!r}")
    text = f"{label + ': ' if label else ''}{as_bytes(method).decode('latin-1')} {short(as_bytes(path), 160)}"
    if shown:
        text += f" headers[{'; '.join(shown[:6])}{'; …' if len(shown) > 6 else ''}]"
    if body:
        text += f" body={short(as_bytes(body), 200)}"
    return text


def wild_target(path):
    """A request target the HTTP layer may refuse by itself (raw non-ASCII, controls, spaces, too long)."""
    raw = as_bytes(path)
    return len(raw) > 60000 or any(b < 0x21 or b > 0x7E for b in raw)


def wild_headers(headers):
    return len(headers) > 100 or any(
        len(as_bytes(v)) > 60000 or any((b < 0x20 and b != 0x09) or b == 0x7F for b in as_bytes(v))
        or not as_bytes(n).isascii()
        for n, v in headers)


# --- input generators --------------------------------------------------------------------------

def mutate_pairs(rng, base):
    """A damaged form body: parameter-level changes, then byte-level damage."""
    pairs = [list(pair) for pair in base]
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        i = rng.randrange(len(pairs)) if pairs else 0
        if op == 0 and pairs:
            pairs[i][1] = rng.choice(SQL + NASTY)
        elif op == 1 and pairs:
            pairs.append(list(rng.choice(pairs)))
        elif op == 2 and pairs:
            del pairs[i]
        elif op == 3:
            pairs.insert(rng.randint(0, len(pairs)), [random_text(rng, 0, 12), random_text(rng, 0, 40)])
        elif op == 4 and pairs:
            pairs[i][1] = random_text(rng, 0, 300)
        elif op == 5:
            rng.shuffle(pairs)
        elif op == 6 and pairs:
            pairs[i][1] = str(rng.choice(NUMBERS))
        elif op == 7 and pairs:
            pairs[i][0] = rng.choice([pairs[i][0].upper(), pairs[i][0] + " ", "", random_text(rng, 1, 8)])
    body = urlencode([tuple(pair) for pair in pairs]).encode()
    for _ in range(rng.randint(0, 3)):
        op = rng.randrange(5)
        at = rng.randint(0, len(body))
        if op == 0:
            body = body[:at] + rng.choice([b"%", b"%z", b"%zz", b"%00", b"&", b"=", b"&&", b"%ff", b"\xff",
                                            b"\x00", b"+", b"%c0%af", b"%ed%a0%80"]) + body[at:]
        elif op == 1:
            body = body[:at] + random_bytes(rng, 1, 8) + body[at:]
        elif op == 2:
            body = body[:at]
        elif op == 3 and body:
            body = body[:at] + body[at + 1:]
        elif op == 4:
            body = body[:at] + quote(random_text(rng, 1, 6)).encode() + body[at:]
    return body


def encoded_inputs(rng, base, n_random, fields=None, long_values=True):
    """(label, urlencoded bytes) for parameters whose valid form is `base`: hand-written damage, every
    field set to SQL-looking strings and other hostile values, then random mutations."""
    valid = urlencode(base).encode()
    yield "valid", valid
    hand = [
        b"", b"%", b"a=%", b"a=%z", b"a=%zz", b"%zz=1", b"a=%00", b"a=b%00c", b"\x00", valid + b"%",
        valid + b"&%zz", valid + b"&&&", b"&&&", b"=&=&=", b"keyonly", valid + b"&keyonly", b"=value", b"a==b",
        b"a=b=c", valid + b"&" + valid, b"%ff%fe=%c0%af", valid + b"&x=%ed%a0%80", b"\xff\xfe\xfd=\xc3\x28",
        valid.replace(b"=", b"=\xff", 1), b"+++=+++", b"%25%25%25", b"a[]=1&a[]=2", b"a[b][c]=1", b";a=1;b=2",
        b"&".join(b"p%d=v" % i for i in range(10000)),       # 10 000 parameters, ~88 KB
        b"x&" * 10000,                                        # 10 000 keys without '='
        b"&".join([b"a=1"] * 10000),                          # one key 10 000 times
    ]
    for i, body in enumerate(hand):
        yield f"hand#{i}", body
    for key, _ in base:
        if fields is not None and key not in fields:
            continue
        values = SQL + ["a\x00b"] + rng.sample(NASTY, 3)
        if long_values:
            values += ["A" * 60_000, "B" * 100_000]
        for value in values:
            yield f"{key}={short(value, 30)}", urlencode([(k, value if k == key else v) for k, v in base]).encode()
    for i in range(n_random):
        if rng.random() < 0.15:
            yield f"random-bytes#{i}", random_bytes(rng, 0, 2000)
        else:
            yield f"random#{i}", mutate_pairs(rng, base)


def b64(raw):
    return base64.b64encode(raw)


def basic_inputs(rng, n_random):
    """Authorization values for client authentication: bad base64, no colon, non-UTF-8, 10 KB…"""
    hand = [
        b"Basic", b"Basic ", b"Basic !!!!", b"Basic ====", b"Basic YQ=", b"Basic Y=Q=", b"Basic YW=Jj",
        b"Basic " + b64(b"nocolon"), b"Basic " + b64(b":"), b"Basic " + b64(b"::::"), b"Basic " + b64(b""),
        b"Basic " + b64(b"\xff\xfe:\xff"), b"Basic " + b64(b"orders-service:\xff\xfe"),
        b"Basic " + b64(b"\xc0\xaf:x"), b"Basic " + b64(b"%zz:%zz"), b"Basic " + b64(b"orders-service%:x"),
        b"Basic " + b64(b"%00:%00"), b"Basic " + b64(b"a\x00:b\x00"),
        b"Basic " + b64(b"a" * 7500 + b":" + b"b" * 10),          # 10 KB
        b"Basic " + b"Q" * 10000, b"Basic " + b64(b"a:b") * 100,
        b"basic " + b64(b"a:b"), b"BASIC " + b64(b"a:b"), b"Basic  " + b64(b"a:b"), b"Basic " + b64(b"a:b") + b" x",
        b"Basic " + b64(b"a:b")[:-1], b"Basic " + b64(b"ab:c").rstrip(b"="), b"Basic " + b64(b"a:b") + b"====",
        b"Basic " + base64.urlsafe_b64encode(b"\xfb\xff:\xff\xfe"), b"Basic " + b64(b"' OR 1=1 --:x"),
        b"Basic " + b64(b'"; DROP TABLE user; --:x'), b"Basic " + b64("élève:😀".encode()),
        b"Bearer " + b64(b"a:b"), b"Digest username=a", b"Negotiate x", b"Basic \xff\xfe",
        b"Basic " + b64(b"orders-service:orders-secret\x00"),      # right id, wrong secret (one bcrypt)
    ]
    for i, value in enumerate(hand):
        yield f"basic-hand#{i}", value
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.:% "
    for i in range(n_random):
        if rng.random() < 0.5:
            raw = random_bytes(rng, 0, 64)
            if rng.random() < 0.5:
                raw += b":" + random_bytes(rng, 0, 32)
            yield f"basic-random#{i}", b"Basic " + b64(raw)
        else:
            yield f"basic-soup#{i}", b"Basic " + bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def jws(header, claims, signature=b"sig"):
    return b".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()), b64url(signature)])


def forged_tokens(url):
    """Unsigned, key-confused (HS256 with the RSA public key) and header-abusing tokens."""
    now = int(time.time())
    claims = {"iss": url, "sub": "manager", "aud": SPA, "client_id": SPA, "scope": "openid profile email groups",
              "exp": now + 3600, "iat": now, "jti": "forged"}
    jwks = requests.get(f"{url}/.well-known/jwks.json", timeout=REQUEST_LIMIT).json()["keys"]
    rsa_jwk = next(key for key in jwks if key["kty"] == "RSA")
    tokens = {"alg-none": jws({"alg": "none", "typ": "JWT"}, claims, b""),
              "alg-None": jws({"alg": "None"}, claims, b""),
              "kid-traversal": jws({"alg": "RS256", "kid": "../../../../dev/null"}, claims),
              "jku-elsewhere": jws({"alg": "RS256", "jku": "http://127.0.0.1:1/jwks", "kid": "x"}, claims),
              "huge-kid": jws({"alg": "RS256", "kid": "A" * 20000}, claims),
              "header-not-json": b64url(b"{{{") + b"." + b64url(b"{}") + b".c2ln",
              "two-dots": b"a.b", "five-parts": b"a.b.c.d.e", "empty-parts": b"..", "jwe-like": b"a.b.c.d"}
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        def number(member):
            text = rsa_jwk[member]
            return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

        public = rsa.RSAPublicNumbers(number("e"), number("n")).public_key()
        for fmt_name, fmt in (("spki", serialization.PublicFormat.SubjectPublicKeyInfo),
                              ("pkcs1", serialization.PublicFormat.PKCS1)):
            pem = public.public_bytes(serialization.Encoding.PEM, fmt)
            header = {"alg": "HS256", "kid": rsa_jwk["kid"], "typ": "JWT"}
            unsigned = jws(header, claims).rsplit(b".", 1)[0]
            tokens[f"hs256-key-confusion-{fmt_name}"] = (
                unsigned + b"." + b64url(hmac.new(pem, unsigned, hashlib.sha256).digest()))
    except ImportError:
        pass
    return tokens


def bearer_inputs(url):
    """Authorization values for bearer endpoints: malformed, oversized, forged."""
    values = [b"Bearer", b"Bearer ", b"Bearer  x", b"Bearer a b", b"bearer x", b"BEARER x", b"Bearer \xff\xfe",
              b"Bearer " + b"A" * 60000, b"Bearer ' OR 1=1 --", b'Bearer "; DROP TABLE user; --', b"Bearer %00",
              b"Basic " + b64(b"a:b"), b"Token x", b"Bearer x, Bearer y", b"Bearer eyJ.eyJ.", b"Bearer ...",
              b"Bearer " + b"e30." * 2000, b"Bearer \t", b"Bearer =", b"Bearer a" + "é".encode() * 10]
    out = [(f"bearer-hand#{i}", value) for i, value in enumerate(values)]
    out += [(f"forged:{name}", b"Bearer " + token) for name, token in forged_tokens(url).items()]
    return out


def rand_json(rng, depth=0):
    """A random JSON value, hostile strings and numbers included."""
    r = rng.random()
    if depth > 3 or r < 0.45:
        return rng.choice([None, True, False, rng.choice(NUMBERS), rng.choice(SQL + NASTY),
                           random_text(rng, 0, 40), ""])
    if r < 0.7:
        return [rand_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {rng.choice(["a", "value", "op", "path", "", "$ref", random_text(rng, 1, 8)]): rand_json(rng, depth + 1)
            for _ in range(rng.randint(0, 4))}


def mutate_json(rng, base):
    """A damaged copy of a JSON object: values replaced, keys dropped or added, wrong shapes."""
    value = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        keys = list(value) if isinstance(value, dict) else []
        if op == 0 and keys:
            value[rng.choice(keys)] = rand_json(rng)
        elif op == 1 and keys:
            del value[rng.choice(keys)]
        elif op == 2 and isinstance(value, dict):
            key = rng.choice(["unknown", "password", "id", "meta", "schemas", random_text(rng, 1, 10)])
            value[key] = rand_json(rng)
        elif op == 3 and keys:
            key = rng.choice(keys)
            value[key] = rng.choice(SQL + NASTY) if not isinstance(value[key], list) else [rng.choice(SQL + NASTY)]
        elif op == 4 and keys:
            value[rng.choice(keys)] = rng.choice(NUMBERS)
        elif op == 5 and rng.random() < 0.3:
            value = rng.choice([[value], "x", 1, None, [], rand_json(rng)])
    return value


def json_bytes(rng, value):
    """Serialize, sometimes with raw non-ASCII, sometimes damaged at the byte level."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    body = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.2:
        at = rng.randint(0, len(body))
        body = body[:at] + rng.choice([b"", b"\xff", b"\x00", b",", b"]", b"}", b'"', random_bytes(rng, 1, 4)]) + \
            body[at + rng.randint(0, 2):]
    return body


RAW_JSON = [
    ("empty", b""), ("not-json", b"not json"), ("truncated", b'{"a": '), ("nul", b'{"a": "\x00"}'),
    ("invalid-utf8", b'{"userName": "\xff\xfe"}'), ("lone-surrogate", b'{"userName": "\\ud800"}'),
    ("bom", b'\xef\xbb\xbf{"a": 1}'), ("nan", b'{"a": NaN}'), ("trailing", b'{"a": 1} x'),
    ("duplicate-keys", b'{"a": 1, "a": 2}'), ("array", b"[1, 2]"), ("string", b'"x"'), ("null", b"null"),
    ("nested-100k-arrays", b"[" * 100_000), ("nested-100k-objects", b'{"a":' * 100_000),
    ("nested-100k-closed", b"[" * 100_000 + b"]" * 100_000),
    ("huge-array-800k", b'{"a": [' + b"1," * 400_000 + b"1]}"),
    ("huge-string-900k", b'{"userName": "' + b"a" * 900_000 + b'"}'),
    ("many-keys", b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(50_000)) + b"}"),
    ("huge-number", b'{"a": ' + b"9" * 100_000 + b"}"), ("deep-exponent", b'{"a": 1e99999999999}'),
]
# Everything but the two that cost the parser ~0.5 s each; those go to one endpoint per family.
RAW_JSON_SMALL = [(label, body) for label, body in RAW_JSON if label not in ("huge-array-800k", "many-keys")]
BIG_BODIES = [("2MB", b"a=" + b"b" * 2_000_000), ("20MB", b"a=" + b"b" * 20_000_000)]
FORM_TYPES = [None, "application/json", "text/plain", "multipart/form-data; boundary=x",
              f"{FORM}; charset=utf-16", f"{FORM};;;;", "*/*", "A" * 10000, FORM.upper(), f"{FORM}, text/html",
              "application/x-www-form-urlencoded\x00", "\xff\xfe"]


def content_type_inputs(valid):
    for ctype in FORM_TYPES:
        headers = [] if ctype is None else [("Content-Type", ctype)]
        body = valid
        if ctype == "application/json":
            body = json.dumps(dict(pair.split("=", 1) for pair in valid.decode().split("&") if "=" in pair)).encode()
        yield f"content-type {short(ctype, 30)}", headers, body


# --- form and query endpoints ------------------------------------------------------------------

AUTHZ = [("response_type", "code"), ("client_id", SPA), ("redirect_uri", SPA_CB), ("scope", "openid profile"),
         ("state", "st"), ("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("nonce", "n"),
         ("prompt", "login"), ("max_age", "60"), ("login_hint", "manager")]
CODE_GRANT = [("grant_type", "authorization_code"), ("client_id", SPA), ("code", "not-a-code"),
              ("redirect_uri", SPA_CB), ("code_verifier", "v" * 43)]
CC_GRANT = [("grant_type", "client_credentials"), ("scope", "orders/get.order")]
REFRESH = [("grant_type", "refresh_token"), ("client_id", SPA), ("refresh_token", "not-a-refresh-token"),
           ("scope", "openid")]
LOGOUT = [("client_id", SPA), ("post_logout_redirect_uri", SPA_BYE), ("state", "s"), ("id_token_hint", "a.b.c")]
COGNITO_LOGOUT = [("client_id", SPA), ("logout_uri", SPA_BYE), ("redirect_uri", SPA_CB), ("response_type", "code")]
ORDERS_BASIC = ("Authorization", b"Basic " + b64(f"{ORDERS[0]}:{ORDERS[1]}".encode()))


def big_bodies(first):
    """2 MB everywhere; 20 MB for the first endpoint of a batch (all of them for the 64 KiB OAuth limit)."""
    return BIG_BODIES if first else BIG_BODIES[:1]


def with_params(base, **changes):
    """`base` with some parameters replaced (or added), each once."""
    pairs = [(k, changes.pop(k) if k in changes else v) for k, v in base]
    return pairs + list(changes.items())


def run_form_endpoint(batch, rng, endpoint, kind, path, base, headers=(), n_random=40, fields=None,
                      long_values=True):
    form = [("Content-Type", FORM), *headers]
    for label, body in encoded_inputs(rng, base, n_random * ROUNDS, fields, long_values):
        batch.send(endpoint, kind, "POST", path, form, body, label=label,
                   framing=len(body) > 65536)
    valid = urlencode(base).encode()
    for label, ctype_headers, body in content_type_inputs(valid):
        batch.send(endpoint, kind, "POST", path, [*ctype_headers, *headers], body, label=label,
                   framing=wild_headers(ctype_headers))
    for label, body in BIG_BODIES:
        batch.send(endpoint, kind, "POST", path, form, body, label=label, framing=True,
                   expect=lambda r: None if r.status in (413, 400) else f"{r.status} for an oversized body")


def run_query_endpoint(batch, rng, endpoint, kind, path, base, headers=(), n_random=40, method="GET"):
    for label, query in encoded_inputs(rng, base, n_random * ROUNDS, long_values=True):
        target = as_bytes(path) + (b"?" + query if query else b"")
        batch.send(endpoint, kind, method, target, headers, label=label, framing=wild_target(target))
    for label, raw in [("raw-utf8-invalid", b"?client_id=\xff\xfe"), ("raw-nul", b"?a=\x00"),
                       ("raw-space", b"?a=b c"), ("raw-del", b"?a=\x7f"), ("raw-utf8", "?state=é😀".encode()),
                       ("fragment", b"?a=1#frag"), ("question-marks", b"???"),
                       ("100KB-query", b"?a=" + b"b" * 100_000)]:
        target = as_bytes(path) + raw
        batch.send(endpoint, kind, method, target, headers, label=label, framing=True)


def test_oauth_endpoints_form_bodies_and_client_auth(target):
    """Token (both paths, every grant), introspection, revocation: form damage and bad Basic credentials."""
    rng = random.Random(SEED)
    batch = Batch("oauth", target)
    specs = [
        ("token code grant", "/oauth2/token", CODE_GRANT, [], 40),
        ("token client_credentials", "/oauth2/token", CC_GRANT, [ORDERS_BASIC], 40),
        ("v1/token refresh grant", "/oauth2/v1/token", REFRESH, [], 40),
        ("introspect", "/oauth2/introspect", [("token", "a.b.c"), ("token_type_hint", "access_token")],
         [ORDERS_BASIC], 30),
        ("revoke", "/oauth2/revoke", [("token", "opaque"), ("token_type_hint", "refresh_token")], [ORDERS_BASIC], 30),
        ("v1/introspect", "/oauth2/v1/introspect", [("token", "x")], [ORDERS_BASIC], 10),
        ("v1/revoke", "/oauth2/v1/revoke", [("token", "x")], [ORDERS_BASIC], 10),
    ]
    for endpoint, path, base, headers, n in specs:
        run_form_endpoint(batch, rng, endpoint, "oauth", path, base, headers, n)
        batch.healthy(endpoint)

    # The password grant pays bcrypt per attempt: SQL in its fields only.
    web = ("Authorization", b"Basic " + b64(b"interop-web:interop-web-secret"))
    password = [("grant_type", "password"), ("username", "nobody"), ("password", "x"), ("scope", "openid")]
    for key in ("username", "password"):
        for value in SQL + ["a\x00b"]:
            body = urlencode([(k, value if k == key else v) for k, v in password])
            batch.send("token password grant", "oauth", "POST", "/oauth2/token", [("Content-Type", FORM), web],
                       body, label=f"{key}={short(value, 30)}")
    batch.healthy("token password grant")

    # Client authentication: bad Basic values, two Authorization headers, Basic plus client_secret_post.
    for path in ("/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"):
        endpoint = f"basic auth {path}"
        body = b"grant_type=client_credentials" if path.endswith("token") else b"token=x"
        for label, value in basic_inputs(rng, (20 if path == "/oauth2/token" else 5) * ROUNDS):
            headers = [("Content-Type", FORM), ("Authorization", value)]
            batch.send(endpoint, "oauth", "POST", path, headers, body, label=label, framing=wild_headers(headers))
        batch.send(endpoint, "oauth", "POST", path, [("Content-Type", FORM), ORDERS_BASIC, ORDERS_BASIC], body,
                   label="two Authorization headers")
        batch.send(endpoint, "oauth", "POST", path, [("Content-Type", FORM), ORDERS_BASIC],
                   body + b"&client_id=orders-service&client_secret=orders-secret", label="basic and post")
        batch.send(endpoint, "oauth", "POST", path, [("Content-Type", FORM)],
                   body + b"&client_id=" + b"c" * 60_000 + b"&client_secret=x", label="60 KB client_id")
        batch.send(endpoint, "oauth", "POST", path, [("Content-Type", FORM)],
                   body + b"&client_id=" + b"c" * 100_000, label="100 KB client_id", framing=True)
        batch.healthy(endpoint)

    # Forged tokens are never active.
    for name, token in forged_tokens(target.url).items():
        batch.send("introspect forged", "oauth", "POST", "/oauth2/introspect", [("Content-Type", FORM), ORDERS_BASIC],
                   b"token=" + token, label=name,
                   expect=lambda r: None if r.status != 200 or r.json() == {"active": False}
                   else f"forged token is active: {r.body[:200]!r}")
    batch.healthy("introspect forged")
    batch.finish()


def login_page(target):
    """A real login page: the CSRF cookie and the form's hidden csrf value."""
    session = requests.Session()
    page = session.get(f"{target.url}/login", params=dict(AUTHZ), timeout=REQUEST_LIMIT)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return session.cookies["understudy_csrf"], csrf


def test_browser_endpoints(target):
    """Authorize (GET/POST, both paths), login, logout (both paths), userinfo (both spellings), playground."""
    rng = random.Random(SEED + 1)
    batch = Batch("browser", target)
    for endpoint, path in (("authorize GET", "/oauth2/authorize"), ("v1/authorize GET", "/oauth2/v1/authorize")):
        run_query_endpoint(batch, rng, endpoint, "html", path, AUTHZ, n_random=40 if "v1" not in endpoint else 10)
        batch.healthy(endpoint)
    run_form_endpoint(batch, rng, "authorize POST", "html", "/oauth2/authorize", AUTHZ, n_random=30)
    batch.healthy("authorize POST")

    # Redirect URIs that must never be redirected to, and parameters that could break out of the redirect.
    for uri in ["https://evil.example/cb", SPA_CB + "/", SPA_CB + "?x=1", SPA_CB + "#f", SPA_CB + ".evil.example",
                "http://127.0.0.1:8765@evil.example/cb", "//evil.example/cb", "/\\evil.example",
                "javascript:alert(1)",
                "http://127.0.0.1:8765/cb/../../evil", SPA_CB.upper(), "http://127.0.0.1:8765/CB", SPA_CB + "%00",
                SPA_CB + "\r\nX-Injected: 1", "data:text/html,<script>alert(1)</script>", ""]:
        query = urlencode([(k, uri if k == "redirect_uri" else v) for k, v in AUTHZ])
        batch.send("authorize redirect_uri", "html", "GET", f"/oauth2/authorize?{query}", label=short(uri, 40))
    for mode in ["form_post", "query", "fragment", "zz", "form_post\x00"]:
        for state in ['"><script>alert(1)</script>', "\r\nX-Injected: 1", "pwn=1; Path=/"]:
            query = urlencode(with_params(AUTHZ, response_mode=mode, prompt="none", state=state))
            batch.send("authorize response_mode", "html", "GET", f"/oauth2/authorize?{query}",
                       label=f"{mode!r} {state!r}")
    batch.healthy("authorize redirects")

    run_query_endpoint(batch, rng, "login GET", "html", "/login", AUTHZ, n_random=30)
    run_form_endpoint(batch, rng, "login POST no csrf", "html", "/login",
                      AUTHZ + [("username", "nobody"), ("password", "x"), ("action", "login")], n_random=30)
    batch.healthy("login")
    # With a valid CSRF cookie and token the form reaches the password check (bcrypt): fewer, SQL-heavy.
    cookie, csrf = login_page(target)
    signed = [("Content-Type", FORM), ("Cookie", f"understudy_csrf={cookie}")]
    base = AUTHZ + [("csrf", csrf), ("username", "nobody"), ("password", "x"), ("action", "login")]
    for key in ("username", "password", "action", "redirect_uri", "state"):
        for value in SQL[:3] + ["a\x00b", '"><script>alert(1)</script>']:
            body = urlencode([(k, value if k == key else v) for k, v in base])
            batch.send("login POST with csrf", "html", "POST", "/login", signed, body,
                       label=f"{key}={short(value, 30)}")
    for i in range(8 * ROUNDS):
        batch.send("login POST with csrf", "html", "POST", "/login", signed, mutate_pairs(rng, base),
                   label=f"random#{i}")
    for site in ["cross-site", "same-site", "\xff", "none"]:
        batch.send("login POST with csrf", "html", "POST", "/login", [*signed, ("Sec-Fetch-Site", site)],
                   urlencode(base), label=f"Sec-Fetch-Site {site!r}")
    for origin in ["https://evil.example", "null", "http://127.0.0.1:1", "\xff"]:
        batch.send("login POST with csrf", "html", "POST", "/login", [*signed, ("Origin", origin)],
                   urlencode(base), label=f"Origin {origin!r}")
    for cookie_value in ["' OR 1=1 --", "A" * 5000, "%zz", ";;;;", "understudy_csrf=x; understudy_csrf=y"]:
        batch.send("login POST with csrf", "html", "POST", "/login",
                   [("Content-Type", FORM),
                    ("Cookie", f"understudy_csrf={cookie_value}; understudy_session={cookie_value}")],
                   urlencode(base), label=f"cookie {short(cookie_value, 20)}")
    batch.healthy("login with csrf")

    for endpoint, path, base in (("logout GET", "/logout", LOGOUT),
                                 ("v1/userlogout GET", "/oauth2/v1/userlogout", LOGOUT),
                                 ("logout GET cognito", "/logout", COGNITO_LOGOUT)):
        run_query_endpoint(batch, rng, endpoint, "html", path, base, n_random=25)
        batch.healthy(endpoint)
    run_form_endpoint(batch, rng, "logout POST", "html", "/logout", LOGOUT, n_random=25)
    run_form_endpoint(batch, rng, "v1/userlogout POST", "html", "/oauth2/v1/userlogout", LOGOUT, n_random=8)
    for name, token in forged_tokens(target.url).items():
        query = urlencode([("id_token_hint", token), ("post_logout_redirect_uri", SPA_BYE), ("state", "s")])
        batch.send("logout forged hint", "html", "GET", f"/logout?{query}", label=name)
    for key in ("post_logout_redirect_uri", "logout_uri", "redirect_uri"):
        for uri in ["https://evil.example", "//evil.example", "/\\evil.example", SPA_BYE + ".evil.example",
                    "http://127.0.0.1:8765@evil.example/bye", SPA_BYE + "\r\nX-Injected: 1", "javascript:alert(1)"]:
            query = urlencode([("client_id", SPA), (key, uri), ("response_type", "code"), ("state", "s")])
            batch.send("logout redirects", "html", "GET", f"/logout?{query}", label=f"{key}={short(uri, 40)}")
    batch.healthy("logout")

    for endpoint, path in (("userinfo POST", "/oauth2/userinfo"), ("userInfo POST", "/oauth2/userInfo"),
                           ("v1/userinfo POST", "/oauth2/v1/userinfo")):
        run_form_endpoint(batch, rng, endpoint, "bearer", path, [("access_token", "a.b.c")],
                          n_random=25 if endpoint == "userinfo POST" else 8)
        batch.healthy(endpoint)
    for endpoint, path in (("userinfo GET", "/oauth2/userinfo"), ("userInfo GET", "/oauth2/userInfo")):
        for label, value in bearer_inputs(target.url):
            headers = [("Authorization", value)]
            batch.send(endpoint, "bearer", "GET", path, headers, label=label, framing=wild_headers(headers),
                       expect=lambda r: None if r.status != 200 else f"accepted a bad token: {r.body[:200]!r}")
        run_query_endpoint(batch, rng, endpoint, "bearer", path, [("access_token", "a.b.c"), ("schema", "openid")],
                           n_random=8)
        batch.healthy(endpoint)

    run_query_endpoint(batch, rng, "playground", "html", "/playground", [("client", SPA), ("flow", "code")],
                       n_random=10)
    run_query_endpoint(batch, rng, "playground/callback", "html", "/playground/callback",
                       [("code", "x"), ("state", "s"), ("error", "e")], n_random=10)
    batch.healthy("playground")
    batch.finish()


# --- SCIM --------------------------------------------------------------------------------------

FILTER_ATTRS = ["userName", "emails.value", "externalId", "id", "displayName", "name.givenName", "active",
                "meta.lastModified", 'emails[type eq "work"].value', "password", "nope", "groups.value",
                "members.value", "title", "emails", "name", "urn:ietf:params:scim:schemas:core:2.0:User:userName"]
FILTER_OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "zz", "EQ", "=", "==", "like", ""]
FILTER_VALUES = ['"a"', "true", "false", "null", "1", "-1", "1e999", '"\\"', '"a\\" or \\"1\\"=\\"1"', '"\\u0000"',
                 '"' + "x" * 3000 + '"', '"2020-01-01T00:00:00Z"', "'single'", '"\\', "", '"é😀"'] + [
                     json.dumps(s) for s in SQL]
HAND_FILTERS = [
    '((userName eq "a")', 'userName eq "a"))', '(', ')', '()', 'userName eq "a', 'userName eq a"', 'userName eq """',
    'userName zz "a"', 'userName eq', 'eq "a"', 'userName', '"', '\\', 'userName eq "a" and', 'and', 'or or or',
    'not', 'not (', 'userName pr and', 'emails[value eq "x"', 'emails[value eq "x"]]', 'emails[emails[value pr]]',
    'emails[]', 'emails[type eq "work"].value.x eq "a"', 'userName eq "a\\" or \\"1\\"=\\"1"',
    'userName eq "a" or 1=1', "userName eq \"' OR 1=1 --\"", 'userName eq ""; DROP TABLE user; --"',
    'userName eq "x" or userName pr', 'password pr', 'password sw "$2"', 'userName eq "\x00"',
    " and ".join(['userName eq "a"'] * 10000), " or ".join(['userName pr'] * 400),
    "(" * 2000 + "userName pr" + ")" * 2000,
    "(" * 4000, "not " * 1000 + "userName pr", "[" * 4000, "emails[" * 1000 + 'value pr' + "]" * 1000,
    'userName eq "' + "a" * 5000 + '"', 'meta.lastModified gt "not a date"',
    'meta.lastModified gt 99999999999999999999',
    'active eq "yes"', 'userName gt 1e999', 'userName eq "a" AND userName eq "b"', 'userName Eq "a"',
]


def random_filter(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.4:
        op = rng.choice(FILTER_OPS)
        text = f"{rng.choice(FILTER_ATTRS)} {op}" + ("" if op == "pr" else f" {rng.choice(FILTER_VALUES)}")
    elif r < 0.6:
        text = f"({random_filter(rng, depth + 1)})"
    elif r < 0.8:
        joiner = rng.choice(["and", "or", "AND", "xor", ""])
        text = f"{random_filter(rng, depth + 1)} {joiner} {random_filter(rng, depth + 1)}"
    else:
        text = f"not ({random_filter(rng, depth + 1)})"
    if depth == 0:
        for _ in range(rng.choice([0, 0, 1, 2])):
            at = rng.randint(0, len(text))
            damage = rng.choice(["(", ")", '"', "[", "]", "\\", " ", "", "\x00", "'"])
            text = text[:at] + damage + text[at + rng.randint(0, 1):]
    return text


def scim_json_inputs(rng, base, n_random):
    yield "valid", json.dumps(base).encode()
    for key in base:
        if isinstance(base[key], str):
            for value in SQL + ["a\x00b", "A" * 100_000]:
                yield f"{key}={short(value, 30)}", json.dumps({**base, key: value}).encode()
        for value in [None, 1, 2**64, [], {}, True, [[[]]]]:
            yield f"{key}={short(value, 30)}", json.dumps({**base, key: value}).encode()
    for label, raw in RAW_JSON_SMALL:
        yield label, raw
    for i in range(n_random):
        yield f"random#{i}", json_bytes(rng, mutate_json(rng, base))


def test_scim_hostile_input(target):
    """SCIM users, groups, /Me, .search, PATCH bodies, filters, paging and ids."""
    rng = random.Random(SEED + 2)
    batch = Batch("scim", target)
    admin = [ADMIN]
    scim = [ADMIN, ("Content-Type", SCIM_JSON)]
    made = requests.post(f"{target.url}/scim/v2/Users", headers={**target.admin_headers, "Content-Type": SCIM_JSON},
                         json={"schemas": [USER_SCHEMA], "userName": "hostile-target"}, timeout=REQUEST_LIMIT)
    assert made.status_code == 201, made.text
    user_id = made.json()["id"]
    groups = requests.get(f"{target.url}/scim/v2/Groups", headers=target.admin_headers, timeout=REQUEST_LIMIT,
                          params={"filter": 'displayName eq "SPA-Employee"'}).json()["Resources"]
    group_id = groups[0]["id"]

    for label, value in bearer_inputs(target.url):
        for endpoint, path in (("auth /scim/v2/Users", "/scim/v2/Users"), ("auth /scim/v2/Me", "/scim/v2/Me")):
            headers = [("Authorization", value)]
            batch.send(endpoint, "scim", "GET", path, headers, label=label, framing=wild_headers(headers),
                       expect=lambda r: None if r.status >= 400 else f"accepted a bad token: {r.status}")
    batch.healthy("scim auth")

    filters = [(f"hand#{i}", f) for i, f in enumerate(HAND_FILTERS)]
    filters += [(f"random#{i}", random_filter(rng)) for i in range(60 * ROUNDS)]
    for label, text in filters:
        query = urlencode({"filter": text}).encode()
        for endpoint, path in (("Users filter", b"/scim/v2/Users"), ("Groups filter", b"/scim/v2/Groups")):
            if endpoint == "Groups filter" and not label.startswith("hand") and rng.random() < 0.6:
                continue
            batch.send(endpoint, "scim", "GET", path + b"?" + query, admin, label=label,
                       framing=wild_target(path + b"?" + query))
        batch.send("Users/.search", "scim", "POST", "/scim/v2/Users/.search", scim,
                   json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text,
                               "startIndex": 1, "count": 10}).encode(), label=label)
    batch.send("Users filter", "scim", "GET", "/scim/v2/Users?filter=password%20pr", admin, label="password pr",
               expect=lambda r: None if r.status != 200 or not r.json().get("Resources")
               else "a filter on password matches users")
    batch.healthy("scim filters")

    params = ["count", "startIndex", "sortBy", "sortOrder", "attributes", "excludedAttributes", "filter"]
    values = ["-1", "0", "-9223372036854775808", "9223372036854775807", "9223372036854775808", "1e10", "abc", "",
              "%zz", "1.5", "0x10", "password", "userName,password", "groups.value", "meta", "emails[", "descending",
              "\x00"] + SQL
    for param in params:
        for value in values:
            for path in ("/scim/v2/Users", "/scim/v2/Groups"):
                target_path = f"{path}?{urlencode({param: value})}"
                batch.send("paging and sorting", "scim", "GET", target_path, admin,
                           label=f"{param}={short(value, 30)}")
        batch.send("paging and sorting", "scim", "GET", f"/scim/v2/Users?{param}=1&{param}=2", admin,
                   label=f"repeated {param}")
    for path in ("/scim/v2/Users", "/scim/v2/ServiceProviderConfig", "/admin/v1/Groups"):
        run_query_endpoint(batch, rng, "scim query damage", "scim", path,
                           [("filter", 'displayName eq "a"'), ("count", "5")], headers=admin, n_random=4)
    for path in ("/scim/v2/ResourceTypes", "/scim/v2/Schemas", "/admin/v1/ServiceProviderConfigs", "/scim/v2/Groups"):
        batch.send("scim query damage", "scim", "GET", path + "?%zz&count=%00&filter=((", admin,
                   label="damaged query")
    batch.healthy("scim paging")

    user = {"schemas": [USER_SCHEMA], "userName": "fuzz-user", "name": {"givenName": "F", "familyName": "Z"},
            "emails": [{"value": "f@example.test", "primary": True}], "active": True, "externalId": "e",
            "displayName": "d", "title": "t"}
    for label, body in scim_json_inputs(rng, user, 40 * ROUNDS):
        reply = batch.send("POST Users", "scim", "POST", "/scim/v2/Users", scim, body, label=label)
        if reply is not None and reply.status == 201 and isinstance(reply.json(), dict):
            requests.delete(f"{target.url}/scim/v2/Users/{quote(reply.json()['id'], safe='')}",
                            headers=target.admin_headers, timeout=REQUEST_LIMIT)
    # SQL-looking user names are stored and found literally, and nothing else changes.
    def user_count():
        return requests.get(f"{target.url}/scim/v2/Users", headers=target.admin_headers,
                            timeout=REQUEST_LIMIT).json()["totalResults"]

    before = user_count()
    for value in SQL:
        reply = batch.send("POST Users SQL roundtrip", "scim", "POST", "/scim/v2/Users", scim,
                           json.dumps({"schemas": [USER_SCHEMA], "userName": value}), label=short(value, 40))
        if reply is None or reply.status != 201:
            continue
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        found = requests.get(f"{target.url}/scim/v2/Users", headers=target.admin_headers, timeout=REQUEST_LIMIT,
                             params={"filter": f'userName eq "{escaped}"'}).json()
        if [r["userName"] for r in found.get("Resources", [])] != [value]:
            batch.problems.append(f"[POST Users SQL roundtrip] userName {value!r} not found literally: {found}")
        requests.delete(f"{target.url}/scim/v2/Users/{reply.json()['id']}", headers=target.admin_headers,
                        timeout=REQUEST_LIMIT)
    after = user_count()
    if after != before:
        batch.problems.append(f"[POST Users SQL roundtrip] user count changed from {before} to {after}")
    batch.healthy("scim create")

    ops = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}
    patch_ops = [
        {"op": "add", "path": "members", "value": [{"value": user_id}]},
        {"op": "remove", "path": f'members[value eq "{user_id}"]'},
        {"op": "replace", "path": "displayName", "value": "SPA-Employee"},
        {"op": "remove", "path": 'members[value eq "x"'}, {"op": "remove", "path": "members[value pr]"},
        {"op": "add", "path": "members", "value": [{"value": v} for v in SQL]},
        {"op": "add", "path": "members", "value": [{"value": user_id}] * 5000},
        {"op": "zz"}, {"op": None}, {"path": "members"}, {"op": "add", "value": "not an object"},
        {"op": "replace", "value": {"displayName": None}}, {"op": "remove", "path": ""},
        {"op": "remove", "path": "members[" * 500 + "value pr" + "]" * 500},
    ]
    for i, op in enumerate(patch_ops):
        body = json.dumps({"schemas": [PATCH_OP], "Operations": [op]}).encode()
        batch.send("PATCH Groups", "scim", "PATCH", f"/scim/v2/Groups/{group_id}", scim, body, label=f"op#{i}")
    batch.send("PATCH Groups", "scim", "PATCH", f"/scim/v2/Groups/{group_id}", scim,
               json.dumps({"schemas": [PATCH_OP],
                           "Operations": [{"op": "replace", "path": "title", "value": "x"}] * 10000}),
               label="10000 operations")
    for label, body in scim_json_inputs(rng, ops, 30 * ROUNDS):
        batch.send("PATCH Users", "scim", "PATCH", f"/scim/v2/Users/{user_id}", scim, body, label=label)
    group_ops = {"schemas": [PATCH_OP],
                 "Operations": [{"op": "add", "path": "members", "value": [{"value": user_id}]}]}
    for label, body in scim_json_inputs(rng, group_ops, 20 * ROUNDS):
        batch.send("PATCH Groups", "scim", "PATCH", f"/scim/v2/Groups/{group_id}", scim, body, label=label)
    for label, body in scim_json_inputs(rng, {**user, "userName": "hostile-target"}, 20 * ROUNDS):
        batch.send("PUT Users", "scim", "PUT", f"/scim/v2/Users/{user_id}", scim, body, label=label)
    group = {"schemas": [GROUP_SCHEMA], "displayName": "fuzz-group", "members": [{"value": user_id}]}
    for label, body in scim_json_inputs(rng, group, 15 * ROUNDS):
        reply = batch.send("POST Groups", "scim", "POST", "/scim/v2/Groups", scim, body, label=label)
        if reply is not None and reply.status == 201 and isinstance(reply.json(), dict):
            requests.delete(f"{target.url}/scim/v2/Groups/{quote(reply.json()['id'], safe='')}",
                            headers=target.admin_headers, timeout=REQUEST_LIMIT)
    batch.healthy("scim patch and put")

    # Raw `..` segments and `.search` are not ids: the traversal and methods tests send those.
    ids = SQL + ["..%2f..%2fadmin%2fv1%2fclients", "%2e%2e", "%00", "a%00b", "%zz", "%ff%fe",
                 "\u00e9".encode().decode("latin-1"), "*", "%2A", "A" * 60_000, "A" * 100_000, user_id + "%00",
                 user_id.upper(), user_id + "%2Fx", "me", "Me", "%2esearch"]
    for raw in ids:
        path_id = raw if raw.startswith(("%", ".")) or "%" in raw else quote(raw, safe="")
        for resource in ("Users", "Groups"):
            for method in ("GET", "PUT", "PATCH", "DELETE"):
                body = b"" if method in ("GET", "DELETE") else json.dumps(ops if method == "PATCH" else user).encode()
                path = f"/scim/v2/{resource}/{path_id}"
                batch.send("hostile ids", "scim", method, path, scim, body, label=short(raw, 30),
                           framing=wild_target(path))
    batch.healthy("scim ids")

    for endpoint, method, path in (("raw POST Users", "POST", "/scim/v2/Users"),
                                   ("raw PATCH Users", "PATCH", f"/scim/v2/Users/{user_id}"),
                                   ("raw .search", "POST", "/scim/v2/Users/.search"),
                                   ("raw POST Groups", "POST", "/scim/v2/Groups")):
        for label, body in RAW_JSON if endpoint == "raw POST Users" else RAW_JSON_SMALL:
            batch.send(endpoint, "scim", method, path, scim, body, label=label)
        for ctype in ["text/plain", FORM, "application/xml", "A" * 10000, f"{SCIM_JSON}; charset=latin1", None]:
            headers = admin + ([("Content-Type", ctype)] if ctype else [])
            batch.send(endpoint, "scim", method, path, headers, json.dumps(user),
                       label=f"content-type {short(ctype, 20)}")
        for label, body in big_bodies(endpoint == "raw POST Users"):
            batch.send(endpoint, "scim", method, path, scim, body, label=label, framing=True,
                       expect=lambda r: None if r.status in (413, 400) else f"{r.status} for an oversized body")
    batch.healthy("scim raw bodies")
    requests.post(f"{target.url}/admin/v1/reset", headers=target.admin_headers, timeout=REQUEST_LIMIT)
    batch.finish()


# --- admin API ---------------------------------------------------------------------------------

def admin_json_inputs(rng, base, n_random):
    yield from scim_json_inputs(rng, base, n_random)


def admin_refusal(reply):
    """A bad admin token: 401 with the RFC 6750 challenge, or 400 for a malformed header (RFC 6750 §3.1)."""
    if reply.status == 401 and not (reply.header("www-authenticate") or "").lower().startswith("bearer"):
        return "401 without a Bearer challenge"
    return None if reply.status in (400, 401) else f"{reply.status} for a bad admin token"


def test_admin_hostile_input(target):
    """Clients, scopes, keys, tokens, faults, audit and reset with hostile bodies, ids and queries."""
    rng = random.Random(SEED + 3)
    batch = Batch("admin", target)
    admin = [ADMIN, ("Content-Type", "application/json")]

    for label, value in bearer_inputs(target.url) + [("admin-token-prefix", target.admin[1][:-3].encode()),
                                                     ("admin-token-lowercase", target.admin[1].lower().encode())]:
        for path in ("/admin/v1/clients", "/admin/v1/audit", "/admin/v1/keys"):
            headers = [("Authorization", value)]
            batch.send("auth", "admin", "GET", path, headers, label=label, framing=wild_headers(headers),
                       expect=admin_refusal)
    batch.healthy("admin auth")

    def cleanup_client(reply):
        if reply is not None and reply.status == 201 and isinstance(reply.json(), dict):
            requests.delete(f"{target.url}/admin/v1/clients/{quote(str(reply.json().get('client_id')), safe='')}",
                            headers=target.admin_headers, timeout=REQUEST_LIMIT)

    client = {"client_id": "fuzz-client", "public": True, "grant_types": ["authorization_code"],
              "redirect_uris": ["http://127.0.0.1:8765/fz"], "scopes": ["openid"], "name": "n",
              "access_token_ttl": 60, "dialect": "generic", "signing_alg": "RS256"}
    for label, body in admin_json_inputs(rng, client, 30 * ROUNDS):
        cleanup_client(batch.send("POST clients", "admin", "POST", "/admin/v1/clients", admin, body, label=label))
    for value in SQL:
        reply = batch.send("clients SQL roundtrip", "admin", "POST", "/admin/v1/clients", admin,
                           json.dumps({**client, "client_id": value}), label=short(value, 40))
        if reply is not None and reply.status == 201:
            got = requests.get(f"{target.url}/admin/v1/clients/{quote(value, safe='')}", headers=target.admin_headers,
                               timeout=REQUEST_LIMIT)
            if got.status_code != 200 or got.json().get("client_id") != value:
                batch.problems.append(f"[clients SQL roundtrip] {value!r}: {got.status_code} {got.text[:200]}")
            cleanup_client(reply)
    made = requests.post(f"{target.url}/admin/v1/clients", headers=target.admin_headers, json=client,
                         timeout=REQUEST_LIMIT)
    assert made.status_code == 201, made.text
    for label, body in admin_json_inputs(rng, {k: v for k, v in client.items() if k != "client_id"}, 15 * ROUNDS):
        batch.send("PUT clients/{id}", "admin", "PUT", "/admin/v1/clients/fuzz-client", admin, body, label=label)
    batch.healthy("admin clients")

    ids = SQL + ["..", "..%2f..%2fhealthz", "%2e%2e", "%00", "a%00b", "%zz", "%ff%fe", "*", "A" * 60_000,
                 "A" * 100_000, "ORDERS-SERVICE", "orders-service/secret", "%2F", "%252F"]
    for raw in ids:
        path_id = raw if "%" in raw or raw.startswith(".") else quote(raw, safe="")
        for method, path, body in (("GET", f"/admin/v1/clients/{path_id}", b""),
                                   ("PUT", f"/admin/v1/clients/{path_id}", json.dumps(client).encode()),
                                   ("DELETE", f"/admin/v1/clients/{path_id}", b""),
                                   ("POST", f"/admin/v1/clients/{path_id}/secret", b""),
                                   ("PUT", f"/admin/v1/scopes/{path_id}", b'{"description": "d"}'),
                                   ("DELETE", f"/admin/v1/scopes/{path_id}", b""),
                                   ("DELETE", f"/admin/v1/keys/{path_id}", b""),
                                   ("DELETE", f"/admin/v1/faults/{path_id}", b"")):
            batch.send("hostile ids", "admin", method, path, admin, body, label=f"{method} {short(raw, 30)}",
                       framing=wild_target(path))
    batch.healthy("admin ids")

    scope = {"name": "fuzz/read", "description": "d"}
    for label, body in admin_json_inputs(rng, scope, 20 * ROUNDS):
        reply = batch.send("POST scopes", "admin", "POST", "/admin/v1/scopes", admin, body, label=label)
        if reply is not None and reply.status == 201 and isinstance(reply.json(), dict):
            requests.delete(f"{target.url}/admin/v1/scopes/{quote(str(reply.json().get('name')), safe='')}",
                            headers=target.admin_headers, timeout=REQUEST_LIMIT)
    for label, body in admin_json_inputs(rng, {"algorithm": "ES256", "grace_seconds": 60}, 15 * ROUNDS):
        batch.send("keys/rotate", "admin", "POST", "/admin/v1/keys/rotate", admin, body, label=label)
    mint = {"client_id": SPA, "user": "manager", "scope": "openid", "claims": {"tenant": "acme"},
            "id_token_claims": {"x": 1}, "expires_in": 300, "nonce": "n"}
    for label, body in admin_json_inputs(rng, mint, 30 * ROUNDS):
        batch.send("tokens", "admin", "POST", "/admin/v1/tokens", admin, body, label=label)
    for claims in [{"a": [[[[[]]]]] * 1000}, {"a": "x" * 500_000}, {"iss": "evil"}, {"sub": "x"},
                   {"cognito:groups": []},
                   {"": 1}, {"\x00": 1}, {k: k for k in SQL}, {"exp": 2**64}]:
        batch.send("tokens", "admin", "POST", "/admin/v1/tokens", admin, json.dumps({**mint, "claims": claims}),
                   label=f"claims {short(json.dumps(claims), 40)}")
    batch.healthy("admin scopes keys tokens")

    fault = {"endpoint": "introspect", "count": 1, "status": 503, "error_description": "d", "delay_ms": 0}
    for label, body in admin_json_inputs(rng, fault, 25 * ROUNDS):
        reply = batch.send("faults", "admin", "POST", "/admin/v1/faults", admin, body, label=label)
        if reply is not None and reply.status < 300:
            requests.delete(f"{target.url}/admin/v1/faults", headers=target.admin_headers, timeout=REQUEST_LIMIT)
    batch.healthy("admin faults")

    audit_values = ["-1", "0", "1001", "99999999999999999999", "abc", "", "%zz", "1e3", "\x00", "-99999999999",
                    "9223372036854775807", "-9223372036854775808", "9223372036854775000", "2024-13-45T99:99:99Z",
                    "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2026-12-02T13:00:00.123456789Z", "1e308",
                    "nan", "inf", "--1", "+5"] + SQL
    for param in ("since", "limit", "client_id", "subject", "outcome", "action", "unknown"):
        for value in audit_values:
            batch.send("audit query", "admin", "GET", f"/admin/v1/audit?{urlencode({param: value})}", [ADMIN],
                       label=f"{param}={short(value, 30)}")
    run_query_endpoint(batch, rng, "audit query damage", "admin", "/admin/v1/audit",
                       [("client_id", "orders-service"), ("outcome", "denied"), ("limit", "10")],
                       headers=[ADMIN], n_random=15)
    batch.healthy("admin audit")

    for endpoint, method, path in (("raw clients", "POST", "/admin/v1/clients"),
                                   ("raw tokens", "POST", "/admin/v1/tokens"),
                                   ("raw faults", "POST", "/admin/v1/faults"),
                                   ("raw keys/rotate", "POST", "/admin/v1/keys/rotate"),
                                   ("raw scopes", "POST", "/admin/v1/scopes")):
        for label, body in RAW_JSON if endpoint == "raw clients" else RAW_JSON_SMALL:
            batch.send(endpoint, "admin", method, path, admin, body, label=label)
        for ctype in ["text/plain", FORM, "A" * 10000, None]:
            headers = [ADMIN] + ([("Content-Type", ctype)] if ctype else [])
            batch.send(endpoint, "admin", method, path, headers, json.dumps(client),
                       label=f"content-type {short(ctype, 20)}")
        for label, body in big_bodies(endpoint == "raw clients"):
            batch.send(endpoint, "admin", method, path, admin, body, label=label, framing=True,
                       expect=lambda r: None if r.status in (413, 400) else f"{r.status} for an oversized body")
    batch.send("reset", "admin", "POST", "/admin/v1/reset?x=%zz&y=%27%20OR%201%3D1%20--&x=%00", admin,
               b"\xff\x00 garbage", label="garbage")
    batch.healthy("admin raw bodies and reset")
    requests.delete(f"{target.url}/admin/v1/faults", headers=target.admin_headers, timeout=REQUEST_LIMIT)
    requests.post(f"{target.url}/admin/v1/reset", headers=target.admin_headers, timeout=REQUEST_LIMIT)
    batch.finish()


def test_nul_bytes_do_not_truncate_identifiers(target):
    """A NUL inside an identifier never selects the record named by the text before the NUL.

    (SQLite reads text bound with length -1 up to the first NUL, so `orders-service\\0junk` can find
    `orders-service`.) Destructive cases use victims created here, never the seed's clients."""
    batch = Batch("nul", target)
    admin_json = [ADMIN, ("Content-Type", "application/json")]
    form = [("Content-Type", FORM)]
    for client_id in ("nul-victim", "nul-doomed"):
        requests.post(f"{target.url}/admin/v1/clients", headers=target.admin_headers, timeout=REQUEST_LIMIT,
                      json={"client_id": client_id, "client_secret": "victim-secret",
                            "grant_types": ["client_credentials"], "scopes": ["orders/get.order"]}).raise_for_status()
    requests.post(f"{target.url}/admin/v1/scopes", headers=target.admin_headers, timeout=REQUEST_LIMIT,
                  json={"name": "nul/victim", "description": "d"}).raise_for_status()

    def refused(reply):
        if reply.status >= 400:
            return None
        return f"{reply.status}: the id before the NUL was used: {reply.body[:160]!r}"

    # Reads and sign-ins first, while every victim is intact.
    batch.send("admin clients/{id}", "admin", "GET", "/admin/v1/clients/orders-service%00", admin_json,
               label="GET orders-service%00", expect=refused)
    batch.send("admin clients/{id}", "admin", "GET", "/admin/v1/clients/orders-service%00junk", admin_json,
               label="GET orders-service%00junk", expect=refused)
    batch.send("token", "oauth", "POST", "/oauth2/token", form,
               b"grant_type=client_credentials&client_id=orders-service%00junk&client_secret=orders-secret",
               label="client_secret_post as orders-service\\0junk", expect=refused)
    batch.send("token", "oauth", "POST", "/oauth2/token",
               [*form, ("Authorization", b"Basic " + b64(b"nul-victim\x00junk:victim-secret"))],
               b"grant_type=client_credentials", label="client_secret_basic as nul-victim\\0junk", expect=refused)
    batch.send("token", "oauth", "POST", "/oauth2/token",
               [*form, ("Authorization", b"Basic " + b64(b"interop-web:interop-web-secret"))],
               b"grant_type=password&username=manager%00junk&password=manager-password&scope=openid",
               label="password grant as manager\\0junk", expect=refused)
    batch.send("admin tokens", "admin", "POST", "/admin/v1/tokens", admin_json,
               json.dumps({"client_id": "spa\x00x", "user": "manager\x00x", "scope": "openid"}),
               label="mint for spa\\0x and manager\\0x", expect=refused)
    created = batch.send("scim Users", "scim", "POST", "/scim/v2/Users", [ADMIN, ("Content-Type", SCIM_JSON)],
                         json.dumps({"schemas": [USER_SCHEMA], "userName": "nul-user\x00evil"}),
                         label="create userName nul-user\\0evil")
    if created is not None and created.status == 201:
        stored = requests.get(f"{target.url}/scim/v2/Users/{created.json()['id']}", headers=target.admin_headers,
                              timeout=REQUEST_LIMIT).json().get("userName")
        if stored != "nul-user\x00evil":
            batch.problem("scim Users", 'POST /scim/v2/Users {"userName": "nul-user\\u0000evil"} -> 201',
                          f"the stored userName is {stored!r}, not the one sent")

    # Writes that name a victim with a NUL suffix must leave the victim alone.
    batch.send("admin clients/{id}", "admin", "POST", "/admin/v1/clients/nul-victim%00x/secret", admin_json,
               label="new secret for nul-victim%00x", expect=refused)
    token = requests.post(f"{target.url}/oauth2/token", auth=("nul-victim", "victim-secret"), timeout=REQUEST_LIMIT,
                          data={"grant_type": "client_credentials"})
    if token.status_code != 200:
        batch.problem("victims", "POST /oauth2/token as nul-victim with its own secret",
                      f"{token.status_code}: the secret was replaced by POST /admin/v1/clients/nul-victim%00x/secret")
    batch.send("admin clients/{id}", "admin", "DELETE", "/admin/v1/clients/nul-doomed%00x", admin_json,
               label="DELETE nul-doomed%00x", expect=refused)
    if requests.get(f"{target.url}/admin/v1/clients/nul-doomed", headers=target.admin_headers,
                    timeout=REQUEST_LIMIT).status_code != 200:
        batch.problem("victims", "GET /admin/v1/clients/nul-doomed",
                      "the client is gone after DELETE /admin/v1/clients/nul-doomed%00x")
    batch.send("admin scopes/{name}", "admin", "DELETE", "/admin/v1/scopes/nul%2Fvictim%00x", admin_json,
               label="DELETE nul/victim%00x", expect=refused)
    if "nul/victim" not in requests.get(f"{target.url}/admin/v1/scopes", headers=target.admin_headers,
                                        timeout=REQUEST_LIMIT).text:
        batch.problem("victims", "GET /admin/v1/scopes",
                      "scope nul/victim is gone after DELETE /admin/v1/scopes/nul%2Fvictim%00x")
    requests.post(f"{target.url}/admin/v1/reset", headers=target.admin_headers, timeout=REQUEST_LIMIT)
    batch.healthy("nul")
    batch.finish()


# --- discovery, JWKS, HTTP framing, traversal, methods -----------------------------------------

def test_discovery_and_jwks_with_odd_headers(target):
    """Metadata and keys never reflect what a request's headers say, never leak private key members."""
    rng = random.Random(SEED + 4)
    batch = Batch("discovery", target)
    netloc = urlsplit(target.url).netloc
    odd = [("Host", "evil.example"), ("Host", "evil.example:1/<x>"), ("X-Forwarded-Host", "evil.example/x?\"<"),
           ("X-Forwarded-Host", "a b"), ("X-Forwarded-Host", "@evil"), ("X-Forwarded-Host", "A" * 300),
           ("X-Forwarded-Host", ",,,"), ("X-Forwarded-Host", "\xff"), ("X-Forwarded-Proto", "javascript"),
           ("X-Forwarded-Proto", "https, http"), ("Forwarded", "host=evil.example;proto=https"),
           ("X-Original-URL", "/admin/v1/clients"), ("X-Rewrite-URL", "/admin/v1/clients"), ("Accept", "\xff/\xfe"),
           ("Accept", "application/xml"), ("Accept-Encoding", "gzip;q=abc, *;q=-1"), ("If-None-Match", "\"" * 5000),
           ("If-Modified-Since", "not a date"), ("Range", "bytes=999999999-"), ("Range", "bytes=-1,0-0,5-2"),
           ("Origin", "https://evil.example"), ("Origin", "null"), ("Cookie", "understudy_session=' OR 1=1 --"),
           ("Authorization", "Bearer ' OR 1=1 --"), ("Content-Length", "0"), ("X-Filler", "x" * 65536),
           ("Expect", "100-continue"), ("Expect", "garbage"), ("Content-Type", "\x7f")]
    odd += [(f"X-Random-{i}", random_text(rng, 0, 200).encode("utf-8", "surrogatepass")) for i in range(20 * ROUNDS)]
    paths = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server", "/.well-known/jwks.json",
             f"/{POOL}/.well-known/openid-configuration", f"/{POOL}/.well-known/jwks.json",
             "/admin/v1/SigningCert/jwk",
             "/healthz"]

    def sane(path, sent):
        def check(reply):
            if reply.status != 200:
                return None
            body = reply.json()
            if not isinstance(body, dict):
                return "not a JSON object"
            if "openid-configuration" in path or "oauth-authorization-server" in path:
                expected = target.url + (f"/{POOL}" if POOL in path else "")
                if body.get("issuer") != expected:
                    return f"issuer {body.get('issuer')!r} follows the request"
                host = dict(sent).get("X-Forwarded-Host")
                for key, value in body.items():
                    if isinstance(value, str) and value.startswith("http"):
                        where = urlsplit(value).netloc
                        allowed = {netloc}
                        if isinstance(host, str) and re.fullmatch(r"[A-Za-z0-9.\-:\[\]]{1,255}", host):
                            allowed.add(host)
                        if where not in allowed or re.search(r"[\s\"<>]", value):
                            return f"{key} = {value!r}"
            if "jwk" in path:
                keys = body.get("keys", [body])
                if any(set(k) & {"d", "p", "q", "dp", "dq", "qi", "k"} for k in keys if isinstance(k, dict)):
                    return "private key members in the JWKS"
            return None
        return check

    for path in paths:
        for name, value in odd:
            headers = [(name, value)]
            batch.send(path, "json", "GET", path, headers, label=f"{name}: {short(value, 30)}",
                       framing=wild_headers(headers), host=name != "Host", expect=sane(path, headers))
        batch.send(path, "json", "GET", path, [(f"X-H{i}", "v") for i in range(500)], label="500 headers",
                   framing=True, expect=sane(path, []))
        batch.send(path, "json", "GET", path,
                   [("X-Forwarded-Host", "proxy.example:8443"), ("X-Forwarded-Proto", "https")],
                   label="valid forwarding", expect=sane(path, [("X-Forwarded-Host", "proxy.example:8443")]))
        run_query_endpoint(batch, rng, path, "json", path, [("a", "b")], n_random=3)
        batch.healthy(path)
    batch.finish()


FRAMING_PATHS = [("/oauth2/token", "oauth", "POST"), ("/oauth2/userinfo", "bearer", "GET"),
                 ("/login", "html", "POST"), ("/oauth2/authorize", "html", "GET"), ("/scim/v2/Users", "scim", "GET"),
                 ("/admin/v1/clients", "admin", "GET"),
                 ("/.well-known/jwks.json", "json", "GET"), ("/playground", "html", "GET")]


def test_oversized_and_malformed_http(target):
    """64 KB header values, 500 and 5000 headers, bad header bytes, request smuggling shapes, bad request lines."""
    batch = Batch("http", target)
    for path, kind, method in FRAMING_PATHS:
        auth = [ADMIN] if kind in ("scim", "admin") else []
        body = b"grant_type=client_credentials" if method == "POST" else b""
        form = [("Content-Type", FORM)] if method == "POST" else []
        cases = [
            ("64KB header value", [("X-Filler", "v" * 65536)]), ("64KB cookie", [("Cookie", "a=" + "v" * 65534)]),
            ("64KB authorization", [("Authorization", "Bearer " + "v" * 65530)]),
            ("64KB content-type", [("Content-Type", FORM + ";" + "x" * 65500)]),
            ("200KB header value", [("X-Filler", "v" * 200_000)]),
            ("500 headers", [(f"X-H{i}", "v") for i in range(500)]),
            ("5000 headers", [(f"X-H{i}", "v" * 100) for i in range(5000)]),
            ("invalid UTF-8 value", [("X-Bad", b"\xff\xfe\xc0\xaf")]), ("NUL in value", [("X-Bad", b"a\x00b")]),
            ("CR in value", [("X-Bad", b"a\rb")]), ("space in name", [("Bad Name", "x")]),
            ("colon-less line", [("X-No-Colon-Line\r\nX-Next", "x")]), ("obs-fold", [("X-Fold", "a\r\n b")]),
            ("empty name", [("", "x")]), ("non-ASCII name", [("X-\xe9", "x")]),
            ("1000 cookies", [("Cookie", "; ".join(f"c{i}=v" for i in range(1000)))]),
            ("duplicate Host", [("Host", "evil.example")]),
        ]
        for label, headers in cases:
            batch.send(f"{method} {path}", kind, method, path, [*auth, *form, *headers], body, label=label,
                       framing=True)
        smuggling = [
            ("content-length -1", [("Content-Length", "-1")], body),
            ("content-length huge", [("Content-Length", "99999999999999999999999")], body),
            ("content-length abc", [("Content-Length", "abc")], body),
            ("two content-lengths", [("Content-Length", str(len(body))), ("Content-Length", str(len(body) + 5))],
             body),
            ("content-length list", [("Content-Length", f"{len(body)}, {len(body)}")], body),
            ("CL and TE", [("Content-Length", "4"), ("Transfer-Encoding", "chunked")],
             b"0\r\n\r\nGET /admin/v1/clients HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("TE chunked bad size", [("Transfer-Encoding", "chunked")], b"zz\r\nabc\r\n0\r\n\r\n"),
            ("TE chunked overflow", [("Transfer-Encoding", "chunked")], b"ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"),
            ("TE chunked extension", [("Transfer-Encoding", "chunked")],
             b"3;" + b"x" * 10000 + b"\r\nabc\r\n0\r\n\r\n"),
            ("TE unknown", [("Transfer-Encoding", "gzip, chunked, zz")], b"0\r\n\r\n"),
            ("TE chunked valid", [("Transfer-Encoding", "chunked")],
             b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n"),
        ]
        for label, headers, payload in smuggling:
            batch.send(f"{method} {path}", kind, method, path, [*auth, *form, *headers], payload, label=label,
                       framing=True, content_length=False)
        lines = [("HTTP/1.0", dict(version=b"HTTP/1.0")), ("HTTP/2.0", dict(version=b"HTTP/2.0")),
                 ("HTTP/9.9", dict(version=b"HTTP/9.9")), ("garbage version", dict(version=b"HTTX/1.1")),
                 ("no Host", dict(host=False))]
        for label, options in lines:
            batch.send(f"{method} {path}", kind, method, path, [*auth, *form], body, label=label, framing=True,
                       **options)
        for label, raw_method in (("lowercase method", method.lower()), ("long method", "A" * 10000),
                                  ("method with NUL", method + "\x00")):
            batch.send(f"{method} {path}", kind, raw_method, path, [*auth, *form], body, label=label, framing=True)
        for label, raw_target in (("absolute-form", f"http://evil.example{path}"), ("asterisk", "*"),
                                  ("no leading slash", path.lstrip("/")), ("empty target", "")):
            batch.send(f"{method} {path}", "any", method, raw_target, [*auth, *form], body, label=label, framing=True)
        batch.healthy(f"{method} {path}")
    batch.finish()


TRAVERSAL = ["/oauth2/../admin/v1/clients", "/oauth2/%2e%2e/admin/v1/clients", "/oauth2/%2E%2E/%2E%2E/admin/v1/audit",
             "/scim/v2/../../admin/v1/clients", "/assets/../../../../etc/passwd",
             "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
             "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd", "/assets/....//....//....//etc/passwd",
             "/assets/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "/assets/..\\..\\..\\etc\\passwd",
             "/assets/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", "/assets/%2e%2e%5c%2e%2e%5cetc%5cpasswd",
             "/assets/understudy.css/../../../../etc/passwd", "/assets/%00../../etc/passwd",
             "/assets/" + "../" * 50 + "etc/passwd",
             "/admin/v1/clients/..%2f..%2f..%2fhealthz", "/scim/v2/Users/..%2f..%2f..%2fadmin%2fv1%2fclients",
             "/.well-known/../admin/v1/audit", "//admin/v1/clients", "/./admin/v1/clients", "/admin/v1/./clients",
             "/admin/v1//clients", "/ADMIN/v1/clients", "/Admin/V1/Clients", "/admin/v1/clients%00",
             "/admin/v1/clients;x=1",
             "/admin/v1/clients/", "/admin/v1/clients?", "/admin/v1/%63lients", f"/{POOL}/../admin/v1/clients",
             "/..%2f..%2f..%2fetc%2fpasswd", "/playground/../../etc/passwd", "/oauth2/token/..;/../admin/v1/audit",
             "/%2e%2e/%2e%2e/etc/passwd", "/keys/dev-rsa-2048.pem", "/../keys/dev-rsa-2048.pem",
             "/assets/../../keys/dev-rsa-2048.pem", "/assets/%2e%2e/%2e%2e/keys/dev-rsa-2048.pem",
             "/assets/..%2f..%2fSources%2fUnderstudy%2fApplication%2bbuild.swift", "/.git/config",
             "/assets/.git/config"]


def test_path_traversal(target):
    """Traversal never reaches files or the admin API without the token."""
    batch = Batch("traversal", target)
    leaked = re.compile(rb"root:.*:0:0:|PRIVATE KEY|\[core\]|import Foundation|\"client_id\"|\"events\"|\"keys\"")
    for path in TRAVERSAL:
        for method in ("GET", "POST", "DELETE"):
            batch.send("no token", "any", method, path, [], b"", label=method, framing=wild_target(path),
                       expect=lambda r: None if not (200 <= r.status < 300 and leaked.search(r.body))
                       else f"{r.status} leaks {leaked.search(r.body).group(0)[:40]!r}")
        batch.send("admin token", "any", "GET", path, [ADMIN], label="GET", framing=wild_target(path),
                   expect=lambda r: None if not re.search(rb"root:.*:0:0:|PRIVATE KEY", r.body) else "leaks a file")
    batch.healthy("traversal")
    batch.finish()


METHOD_ROUTES = [
    ("/oauth2/token", "oauth", {"POST", "OPTIONS"}), ("/oauth2/v1/token", "oauth", {"POST", "OPTIONS"}),
    ("/oauth2/introspect", "oauth", {"POST", "OPTIONS"}), ("/oauth2/revoke", "oauth", {"POST", "OPTIONS"}),
    ("/oauth2/userinfo", "bearer", {"GET", "POST", "OPTIONS"}),
    ("/oauth2/userInfo", "bearer", {"GET", "POST", "OPTIONS"}),
    ("/oauth2/authorize", "html", {"GET", "POST"}), ("/login", "html", {"GET", "POST"}),
    ("/logout", "html", {"GET", "POST"}), ("/oauth2/v1/userlogout", "html", {"GET", "POST"}),
    ("/playground", "html", {"GET"}),
    ("/scim/v2/Users", "scim", {"GET", "POST"}), ("/scim/v2/Groups", "scim", {"GET", "POST"}),
    ("/scim/v2/Me", "scim", {"GET"}), ("/scim/v2/Users/.search", "scim", {"POST"}),
    ("/admin/v1/clients", "admin", {"GET", "POST"}), ("/admin/v1/scopes", "admin", {"GET", "POST"}),
    ("/admin/v1/keys/rotate", "admin", {"POST"}), ("/admin/v1/tokens", "admin", {"POST"}),
    ("/admin/v1/faults", "admin", {"GET", "POST", "DELETE"}), ("/admin/v1/audit", "admin", {"GET"}),
    ("/admin/v1/reset", "admin", {"POST"}),
    ("/.well-known/openid-configuration", "json", {"GET"}), ("/.well-known/jwks.json", "json", {"GET"}),
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "HEAD"]


def test_wrong_methods_answer_in_the_protocol_format(target):
    """A method an endpoint does not serve gets a 4xx (405 ideally) in that endpoint's own format.

    HEAD is sent to every route and only has to avoid 5xx (its answer has no body to judge)."""
    batch = Batch("methods", target)
    for path, kind, allowed in METHOD_ROUTES:
        headers = [ADMIN, ("Content-Type", "application/json")] if kind in ("scim", "admin") else []
        for method in METHODS:
            if method in allowed:
                continue
            if method == "HEAD":
                batch.send(path, "any", method, path, headers, label=method)
                continue
            batch.send(path, kind, method, path, headers, b"{}", label=method,
                       expect=lambda r: None if 400 <= r.status < 500 else f"{r.status} for a method not served")
    # Unknown paths under a protocol's prefix answer in that protocol too.
    for path, kind in (("/scim/v2/Nope", "scim"), ("/scim/v2/Users/a/b", "scim"), ("/scim/v2/Users/../..", "scim"),
                       ("/scim/v2/Groups/x/..", "scim"), ("/admin/v1/nope", "admin"),
                       ("/admin/v1/clients/a/b", "admin"),
                       ("/oauth2/nope", "oauth")):
        batch.send("unknown paths", kind, "GET", path, [ADMIN], label=path)
    batch.healthy("methods")
    batch.finish()


# --- seed loader ------------------------------------------------------------------------------

HUGE_SCALARS = ["99999999999999999999999999", "-9223372036854775809", "9223372036854775807", "1e999", ".inf", "-.inf",
                ".nan", "0x7fffffffffffffff", "0o777777777777777777777777", "1_000_000_000_000_000_000_000", "~",
                "!!binary AAAA", "!!python/object:os.system ls", "*undefined_alias", "&anchor value", "? complex",
                "'" + "a" * 10000 + "'", "\"\\ud800\"", "\"\\x00\"", "[" * 300 + "]" * 300,
                "{a: {b: {c: [1, [2, [3]]]}}}",
                "!!timestamp 2001-12-14t21:59:43.10-05:00", "<<: *undefined", "|\n  block", ">-\n  folded"]


def billion_laughs(levels=7, width=7):
    lines = ["groups:", "  - name: &n0 G0", f"    description: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, levels):
        lines += [f"  - name: G{level}", f"    description: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]"]
    return "\n".join(lines) + "\n"


def mutate_seed(rng, text):
    """Random damage to a seed file's text; returns bytes (possibly not UTF-8)."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 5)):
        op = rng.randrange(12)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            lines = [""]
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines[i] = " " * rng.choice([1, 2, 3, 4, 8]) + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
        elif op == 4:
            at = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:at] + "\t" + lines[i][at:]
        elif op == 5:
            at = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:at] + random_text(rng, 1, 10) + lines[i][at:]
        elif op == 6:
            match = re.match(r"^(\s*-?\s*[\w/]+:\s*)(\S.*)$", lines[i])
            if match:
                lines[i] = match.group(1) + rng.choice(HUGE_SCALARS + SQL)
        elif op == 7:
            match = re.match(r"^(\s*-?\s*[\w/]+:\s*)(\S.*)$", lines[i])
            if match:
                lines[i] = match.group(1) + f"&a{i} " + match.group(2)
                alias = re.sub(r":\s*\S.*$", f": *a{i}", lines[rng.randrange(len(lines))])
                lines.insert(rng.randint(i + 1, len(lines)), alias)
        elif op == 8:
            lines = billion_laughs(rng.randint(3, 8), rng.randint(3, 9)).split("\n") + lines
        elif op == 9:
            lines.insert(i, rng.choice(["---", "...", "%YAML 1.1", "%TAG ! tag:x,2000:", "# \x00", "? [a, b]\n: c",
                                        "<<: {a: 1}", "!!map {a: 1}", "\ufeffusers: []", "users:", "clients: ~"]))
        elif op == 10:
            lines[i] = lines[i].upper() if rng.random() < 0.5 else lines[i][::-1]
        elif op == 11:
            lines = lines[:i]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    roll = rng.random()
    if roll < 0.15:
        at = rng.randint(0, len(data))
        data = data[:at] + random_bytes(rng, 1, 16) + data[at:]
    elif roll < 0.25:
        data = data[:rng.randint(0, len(data))]
    elif roll < 0.3:
        data = data.replace(b"\n", b"\r\n")
    return data


def seed_check(path):
    """Run `understudy seed check path`; return (exit code or None on timeout, stdout, stderr, seconds)."""
    start = time.monotonic()
    try:
        done = subprocess.run([str(BIN), "seed", "check", str(path)], capture_output=True, timeout=SEED_CHECK_LIMIT,
                              cwd=path.parent, env={**os.environ, "SWIFT_BACKTRACE": "enable=no"})
    except subprocess.TimeoutExpired as expired:
        return None, b"", expired.stderr or b"", time.monotonic() - start
    return done.returncode, done.stdout, done.stderr, time.monotonic() - start


def test_seed_loader_survives_mutated_seeds():
    """`seed check` on mutated seeds exits 0 or 1 (never a signal) within 10 s, naming the file on failure.

    The committed corpus (Tests/Interop/corpus/seed) runs first, then random mutations of the seeds."""
    rng = random.Random(SEED + 5)
    originals = [path.read_text() for path in SEED_FILES]
    inputs = [(f"corpus/{path.name}", path.read_bytes()) for path in sorted(CORPUS.glob("*")) if path.is_file()]
    count = 30 * ROUNDS
    inputs += [(f"mutation#{i}", mutate_seed(rng, originals[i % len(originals)])) for i in range(count)]
    outcomes, problems, with_line, slowest = Counter(), [], 0, 0.0
    with tempfile.TemporaryDirectory(prefix="understudy-seed-fuzz-") as folder:
        for number, (label, data) in enumerate(inputs):
            path = Path(folder) / f"seed-{number}.yaml"
            path.write_bytes(data)
            code, out, err, seconds = seed_check(path)
            slowest = max(slowest, seconds)
            message = err.decode(errors="replace").strip()
            if code is None:
                outcomes["timeout"] += 1
                problems.append(f"{label}: no exit within {SEED_CHECK_LIMIT} s\n      input={short(data, 300)}")
            elif code not in (0, 1):
                outcomes[f"exit {code}"] += 1
                problems.append(f"{label}: exit code {code} ({'signal ' + str(-code) if code < 0 else 'crash'}): "
                                f"{message[-400:]}\n      input={short(data, 300)}")
            elif code == 1:
                outcomes["rejected"] += 1
                if str(path) not in message and path.name not in message:
                    problems.append(f"{label}: the error does not name the file: {message[:300]!r}")
                if re.search(re.escape(path.name) + r":\d+", message):
                    with_line += 1
            else:
                outcomes["accepted"] += 1
            path.unlink()
    corpus = sum(1 for label, _ in inputs if label.startswith("corpus/"))
    print(f"\n[seed] {len(inputs)} seed files checked ({corpus} from the corpus, {count} mutations): "
          f"{dict(outcomes)}; rejected with file:line = {with_line}/{outcomes['rejected']}; "
          f"crashes/signals/timeouts = {len(problems)}; slowest {slowest:.2f} s")
    for problem in problems:
        print(f"[seed] PROBLEM {problem}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
