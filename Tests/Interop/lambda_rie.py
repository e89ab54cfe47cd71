"""A stand-in for the AWS Lambda Runtime Interface Emulator (RIE), for tests.

The RIE in the Lambda base images answers

    POST /2015-03-31/functions/function/invocations

by calling the function's handler with the request body (a JSON event) and answering its JSON result.
This module does the same in-process: `start_rie()` serves one or more handlers on 127.0.0.1 at a free
port, from a daemon thread, so a test can point Understudy's pre-token-generation hook at a real
trigger function (docker/hooks/permissions/app.py, loaded from its file unchanged) without docker.

Like the RIE:
- every answer that reached the function is HTTP 200, function errors included: an exception becomes
  `{"errorMessage", "errorType", "requestId", "stackTrace"}` (the Python runtime's error shape), with
  no `X-Amz-Function-Error` header (the RIE does not send one);
- the body's Content-Type is `text/plain; charset=utf-8`, as the RIE sends it, so callers must not
  rely on `application/json`;
- a body that is not JSON reaches no handler and comes back as a `Runtime.UnmarshalError`.

Several functions can be served side by side, each under a path prefix:
`/<name>/2015-03-31/functions/function/invocations`, and the one named "" at the RIE's own path.
Every invocation is recorded (the event as received, before the handler could change it).
"""

import copy
import importlib.util
import itertools
import json
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

INVOKE_PATH = "/2015-03-31/functions/function/invocations"
TIMEOUT_SECONDS = 30
_module_counter = itertools.count()


def load_handler(path, name="handler"):
    """Import the Python file at `path` as a fresh module and return its function `name`."""
    path = Path(path).resolve()
    module_name = f"lambda_function_{path.stem}_{next(_module_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, name)
    if not callable(function):
        raise TypeError(f"{path}:{name} is not callable")
    return function


@dataclass
class LambdaContext:
    """The attributes and method of the Lambda Python runtime's context object that functions use."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    region: str = "us-east-1"
    timeout_seconds: int = TIMEOUT_SECONDS
    started: float = field(default_factory=time.monotonic)
    identity: object = None
    client_context: object = None

    @property
    def invoked_function_arn(self):
        return f"arn:aws:lambda:{self.region}:012345678912:function:{self.function_name}"

    @property
    def log_group_name(self):
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self):
        return f"$LATEST/{self.aws_request_id}"

    def get_remaining_time_in_millis(self):
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


@dataclass
class Invocation:
    """One request that reached a function: which one (its prefix), and the event as received."""

    function: str
    event: object


class LambdaRIE:
    """A running stand-in: its base URL, the recorded invocations, and stop()."""

    def __init__(self, server, thread, functions):
        self._server = server
        self._thread = thread
        self._lock = threading.Lock()
        self._invocations = []
        self.functions = functions
        host, port = server.server_address[:2]
        self.base_url = f"http://{host}:{port}"

    def invoke_url(self, function=""):
        """The invocation URL of the function served under this prefix ("" = the RIE's own path)."""
        if function not in self.functions:
            raise KeyError(function)
        prefix = f"/{function}" if function else ""
        return f"{self.base_url}{prefix}{INVOKE_PATH}"

    @property
    def invocations(self):
        """A snapshot of every invocation so far, oldest first."""
        with self._lock:
            return list(self._invocations)

    @property
    def events(self):
        """The events received so far by any function, oldest first."""
        return [invocation.event for invocation in self.invocations]

    def events_of(self, function=""):
        """The events received so far by the function under this prefix."""
        return [i.event for i in self.invocations if i.function == function]

    def clear(self):
        with self._lock:
            self._invocations.clear()

    def _record(self, function, event):
        with self._lock:
            self._invocations.append(Invocation(function, copy.deepcopy(event)))

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _resolve(spec):
    """A handler from a callable, a (path, name) pair, a "path.py:name" string or a path."""
    if callable(spec):
        return spec
    if isinstance(spec, tuple):
        return load_handler(*spec)
    text = str(spec)
    path, colon, name = text.rpartition(":")
    if colon and not text.endswith(".py"):
        return load_handler(path, name)
    return load_handler(text)


def _error(exc, request_id):
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass

    @property
    def rie(self):
        return self.server.rie

    def answer(self, status, payload):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The caller gave up (e.g. its timeout ran out while a slow function ran).
            self.close_connection = True

    def read_body(self):
        """The request body, sent with Content-Length or chunked."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def function_for_path(self):
        """The prefix of the function this path invokes, or None."""
        path = self.path.split("?", 1)[0]
        if not path.endswith(INVOKE_PATH):
            return None
        prefix = path[: -len(INVOKE_PATH)].strip("/")
        return prefix if prefix in self.rie.functions else None

    def do_POST(self):
        body = self.read_body()
        name = self.function_for_path()
        if name is None:
            self.answer(404, b"404 page not found\n")
            return
        request_id = str(uuid.uuid4())
        try:
            event = json.loads(body)
        except ValueError as exc:
            self.answer(200, {"errorMessage": f"Unable to unmarshal input: {exc}",
                              "errorType": "Runtime.UnmarshalError", "requestId": request_id,
                              "stackTrace": []})
            return
        self.rie._record(name, event)
        context = LambdaContext(function_name=name or "function", aws_request_id=request_id)
        try:
            result = self.rie.functions[name](event, context)
        except Exception as exc:  # noqa: BLE001 - any function error goes back to the caller
            self.answer(200, _error(exc, request_id))
            return
        try:
            payload = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            self.answer(200, {"errorMessage": f"Unable to marshal response: {exc}",
                              "errorType": "Runtime.MarshalError", "requestId": request_id,
                              "stackTrace": []})
            return
        self.answer(200, payload)

    def do_GET(self):
        self.answer(405 if self.function_for_path() is not None else 404, b"")


def start_rie(functions):
    """Serve `functions` like the RIE on 127.0.0.1 at a free port; return the running LambdaRIE.

    `functions` maps a path prefix ("" for the RIE's own path) to a handler: a callable
    `handler(event, context)`, a `(file_path, function_name)` pair, a "file_path:function_name"
    string, or a file path (function `handler`). Files are imported from their path as they are,
    with importlib."""
    resolved = {name.strip("/"): _resolve(spec) for name, spec in functions.items()}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="lambda-rie", daemon=True)
    server.rie = LambdaRIE(server, thread, resolved)
    thread.start()
    return server.rie
