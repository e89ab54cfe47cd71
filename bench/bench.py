#!/usr/bin/env python3
"""Understudy benchmark (Python 3 standard library only). Run it through bench/run.sh, which installs
wrk and openssl, builds the release binary and sets UNDERSTUDY_BIN. See bench/README.md.

One run on one machine measures: cold start (fresh database and seed already applied), client-credentials
issuance (RS256 and ES256 at 1, 16 and 64 connections), JWKS, discovery and userinfo at 64 connections,
idle and peak RSS (and an optional soak), and `openssl speed` for the machine's own signing limit. It
prints a table and writes bench/results/<UTC timestamp>.json and bench/results/latest.json.
"""

import argparse
import base64
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
DEFAULT_SEED = os.path.join(REPO, "seed", "default.yaml")
BENCH_SEED = os.path.join(BENCH, "seed-bench.yaml")
KEYS = os.path.join(REPO, "keys")
LUA = os.path.join(BENCH, "request.lua")
CLK_TCK = os.sysconf("SC_CLK_TCK")

RS256_CLIENT = ("orders-service", "orders-secret")  # seed/default.yaml, RS256 (the default)
ES256_CLIENT = ("bench-es256", "bench-es256-secret")  # bench/seed-bench.yaml, signing_alg: ES256
PASSWORD_CLIENT = ("bench-password", "bench-password-secret")  # bench/seed-bench.yaml, password grant
USER = ("manager", "manager-password")  # seed/default.yaml

# Targets (issue 7). MiB = VmRSS kB / 1024.
TARGET_RS256_RATIO = 0.7
TARGET_RS256_P99_MS = 10.0
TARGET_STATIC_RPS = 40000
TARGET_COLD_RESTART_MS = 150
TARGET_COLD_FRESH_MS = 400
TARGET_IDLE_RSS_MIB = 30
TARGET_PEAK_RSS_MIB = 80


class BenchError(Exception):
    pass


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- machine and software facts


def run_text(argv, timeout=30):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return (out.stdout + out.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return None


def first_match(pattern, text):
    m = re.search(pattern, text or "")
    return m.group(0) if m else (text or None)


def machine_facts():
    cpu_model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_total_mib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    mem_total_mib = round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "kernel": platform.release(),
        "uname": " ".join(platform.uname()),
        "mem_total_mib": mem_total_mib,
        "load_average_at_start": list(os.getloadavg()),
    }


def software_facts(binary):
    swift = run_text(["swift", "--version"], timeout=60)
    git_commit = run_text(["git", "-C", REPO, "rev-parse", "HEAD"])
    git_status = run_text(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"])
    return {
        "understudy_bin": binary,
        "understudy_version": run_text([binary, "--version"]),
        "git_commit": git_commit if git_commit and re.fullmatch(r"[0-9a-f]{40}", git_commit) else None,
        "git_dirty": bool(git_status) if git_status is not None else None,
        "swift": swift.splitlines()[0] if swift else None,
        "wrk": first_match(r"wrk \S+", run_text(["wrk", "--version"])),
        "openssl": first_match(r"OpenSSL \S+", run_text(["openssl", "version"])),
        "python": platform.python_version(),
    }


# ---------------------------------------------------------------- server process


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env():
    # Flags beat the environment, but the issuer, internal URL and friends would still apply: drop them all.
    return {k: v for k, v in os.environ.items() if not k.startswith("UNDERSTUDY_")}


class Server:
    def __init__(self, binary, workdir, seeds, name):
        os.makedirs(workdir, exist_ok=True)
        self.port = free_port()
        self.db = os.path.join(workdir, "understudy.sqlite")
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        for seed in seeds:
            self.argv += ["--seed", seed]
        self.argv += ["--keys", KEYS, "--db", self.db, "--log-level", "warning"]
        self.proc = None
        self.spawned_at = None

    def start(self, db=None):
        if db:
            self.db = db
            self.argv[self.argv.index("--db") + 1] = db
        self.log_file = open(self.log_path, "ab")
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(
            self.argv, cwd=REPO, env=server_env(), stdin=subprocess.DEVNULL, stdout=self.log_file,
            stderr=subprocess.STDOUT)

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def check_alive(self, what):
        if self.proc.poll() is not None:
            raise BenchError(f"server exited with status {self.proc.returncode} during {what}; log tail:\n"
                             f"{self.log_tail()}")

    def wait_ready(self, timeout=30.0):
        """Polls /healthz and /.well-known/jwks.json until both answered 200; ms since spawn for each."""
        first = {"/healthz": None, "/.well-known/jwks.json": None}
        deadline = self.spawned_at + timeout
        while None in first.values():
            for path, at in first.items():
                if at is None and http_status(self.port, path) == 200:
                    first[path] = (time.perf_counter() - self.spawned_at) * 1000
            if None not in first.values():
                break
            self.check_alive("start-up")
            if time.perf_counter() > deadline:
                raise BenchError(f"server not ready after {timeout} s; log tail:\n{self.log_tail()}")
            time.sleep(0.001)
        return {"healthz_ms": round(first["/healthz"], 2), "jwks_ms": round(first["/.well-known/jwks.json"], 2)}

    def stop(self):
        """SIGTERM, then wait; returns (ms to exit, exit status). SIGKILL after 15 s."""
        if self.proc is None:
            return None, None
        if self.proc.poll() is None:
            t0 = time.perf_counter()
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                log(f"warning: server did not exit within 15 s of SIGTERM; killed (log {self.log_path})")
            elapsed = round((time.perf_counter() - t0) * 1000, 2)
        else:
            elapsed = None
        self.log_file.close()
        return elapsed, self.proc.returncode

    def status(self):
        """The memory lines of /proc/<pid>/status, in KiB: VmRSS, VmHWM, RssAnon, RssFile, RssShmem."""
        fields = {}
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    name, _, rest = line.partition(":")
                    if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                        fields[name] = int(rest.split()[0])
        except (OSError, ValueError, IndexError):
            pass
        return fields

    def status_kib(self, field):
        return self.status().get(field)

    def cpu_seconds(self):
        """The server's (user, system) CPU seconds so far, or None."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK  # utime, stime
        except (OSError, ValueError, IndexError):
            return None


def http_status(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def http_call(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def basic(client):
    user, secret = (urllib.parse.quote(part, safe="") for part in client)
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def jwt_header(token):
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


# ---------------------------------------------------------------- cold start


def cold_start(binary, tmp, starts):
    """Median ms from spawn to the first 200 on /healthz and on the JWKS, default seed only."""
    seeds = [DEFAULT_SEED]
    result = {"seed": ["seed/default.yaml"], "starts": starts}

    # Untimed first start: pages the binary into the cache so the first timed start is not special.
    warm = Server(binary, os.path.join(tmp, "cold", "warm-up"), seeds, "server")
    warm.start()
    warm.wait_ready()
    warm.stop()

    fresh = []
    for i in range(starts):
        server = Server(binary, os.path.join(tmp, "cold", f"fresh-{i}"), seeds, "server")
        server.start()
        ready = server.wait_ready()
        ready["stop_ms"], ready["exit_status"] = server.stop()
        fresh.append(ready)

    # Seed already applied: one start applies it, then every timed start reuses that database.
    restart = []
    server = Server(binary, os.path.join(tmp, "cold", "restart"), seeds, "server")
    server.start()
    server.wait_ready()
    server.stop()
    for _ in range(starts):
        server.port = free_port()
        server.argv[server.argv.index("--port") + 1] = str(server.port)
        server.start()
        ready = server.wait_ready()
        ready["stop_ms"], ready["exit_status"] = server.stop()
        restart.append(ready)

    for name, runs in (("fresh", fresh), ("restart", restart)):
        result[name] = {
            "runs": runs,
            "healthz_median_ms": round(statistics.median(r["healthz_ms"] for r in runs), 2),
            "jwks_median_ms": round(statistics.median(r["jwks_ms"] for r in runs), 2),
            "jwks_min_ms": round(min(r["jwks_ms"] for r in runs), 2),
            "jwks_max_ms": round(max(r["jwks_ms"] for r in runs), 2),
            "stop_median_ms": round(statistics.median(r["stop_ms"] for r in runs if r["stop_ms"] is not None), 2),
            "nonzero_exits": sum(1 for r in runs if r["exit_status"] != 0),
        }
    return result


# ---------------------------------------------------------------- RSS sampling


class RssSampler(threading.Thread):
    """Samples the server's VmRSS every `interval` seconds while running."""

    def __init__(self, server, interval):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.samples = []  # (seconds since sampler start, VmRSS KiB, RssAnon KiB)
        self.started_at = time.perf_counter()
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            status = self.server.status()
            if "VmRSS" in status:
                self.samples.append((time.perf_counter() - self.started_at, status["VmRSS"], status.get("RssAnon")))
            self.halt.wait(self.interval)

    def now(self):
        return time.perf_counter() - self.started_at

    def max_between(self, t0, t1):
        values = [kib for t, kib, _ in self.samples if t0 <= t <= t1]
        return max(values) if values else None


def mib(kib):
    return None if kib is None else round(kib / 1024, 1)


# ---------------------------------------------------------------- wrk


def cpu_per_request(cpu0, cpu1, requests):
    """Server CPU microseconds per request between two (user, system) readings: {"user", "system", "total"}."""
    if not cpu0 or not cpu1 or not requests:
        return None
    user, system = ((b - a) * 1e6 / requests for a, b in zip(cpu0, cpu1))
    return {"user": round(user, 1), "system": round(system, 1), "total": round(user + system, 1)}


def run_wrk(server, sampler, path, connections, seconds, method="GET", authorization="", body=""):
    threads = min(2, connections)  # wrk needs at least one connection per thread
    url = f"http://127.0.0.1:{server.port}{path}"
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", "--latency",
            "-s", LUA, url]
    env = dict(os.environ, BENCH_METHOD=method, BENCH_AUTHORIZATION=authorization, BENCH_BODY=body)
    server.check_alive("load")
    cpu0 = server.cpu_seconds()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = sampler.now()
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + 60)
    t1 = sampler.now()
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1 = server.cpu_seconds()
    server.check_alive(f"wrk on {path}")
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCH_RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (status {out.returncode}) on {path}:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line[len("BENCH_RESULT "):])
    duration = raw["duration_us"] / 1e6
    errors = raw["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    latency = {k: round(v / 1000, 3) for k, v in raw["latency_us"].items()}
    wall = t1 - t0
    wrk_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    return {
        "path": path,
        "method": method,
        "connections": connections,
        "wrk_threads": threads,
        "duration_s": round(duration, 3),
        "requests": raw["requests"],
        "rps": round(raw["requests"] / duration, 1) if duration > 0 else None,
        "latency_ms": latency,
        "errors": {
            "http": errors["status"],  # wrk: responses with status > 399
            "socket": socket_errors,
            "connect": errors["connect"], "read": errors["read"], "write": errors["write"],
            "timeout": errors["timeout"],
            "total": errors["status"] + socket_errors,
        },
        "server_cpu_cores": round((sum(cpu1) - sum(cpu0)) / wall, 2) if cpu0 and cpu1 else None,
        "server_cpu_us_per_request": cpu_per_request(cpu0, cpu1, raw["requests"]),
        "wrk_cpu_cores": round(wrk_cpu / wall, 2),
        "rss_max_mib": mib(sampler.max_between(t0, t1)),
        "command": " ".join(argv),
    }


# ---------------------------------------------------------------- load phase


def preflight(server):
    """One request of each kind, checked, before any load; returns the user's access token for userinfo."""
    checks = {}
    for name, client, alg in (("token_rs256", RS256_CLIENT, "RS256"), ("token_es256", ES256_CLIENT, "ES256")):
        status, body = http_call(server.port, "POST", "/oauth2/token",
                                 dict(FORM, Authorization=basic(client)), "grant_type=client_credentials")
        if status != 200:
            raise BenchError(f"preflight {name}: status {status}: {body[:300]!r}")
        header = jwt_header(json.loads(body)["access_token"])
        if header.get("alg") != alg:
            raise BenchError(f"preflight {name}: expected alg {alg}, token header {header}")
        checks[name] = {"status": status, "alg": header["alg"], "bytes": len(body)}
    form = urllib.parse.urlencode({"grant_type": "password", "username": USER[0], "password": USER[1],
                                   "scope": "openid email groups"})
    status, body = http_call(server.port, "POST", "/oauth2/token",
                             dict(FORM, Authorization=basic(PASSWORD_CLIENT)), form)
    if status != 200:
        raise BenchError(f"preflight password grant: status {status}: {body[:300]!r}")
    user_token = json.loads(body)["access_token"]
    for name, path, headers in (("jwks", "/.well-known/jwks.json", {}),
                                ("discovery", "/.well-known/openid-configuration", {}),
                                ("userinfo", "/oauth2/userinfo", {"Authorization": f"Bearer {user_token}"})):
        status, body = http_call(server.port, "GET", path, headers)
        if status != 200:
            raise BenchError(f"preflight {name}: status {status}: {body[:300]!r}")
        checks[name] = {"status": status, "bytes": len(body)}
    userinfo = json.loads(body)
    if "groups" not in userinfo or "email" not in userinfo:
        raise BenchError(f"preflight userinfo: expected email and groups, got {userinfo}")
    return user_token, checks


def median_run(runs):
    """One step's rounds as one result: the median of req/s, of each latency figure and of the CPU shares;
    errors and requests summed over the rounds, the highest RSS; every round kept under "rounds"."""
    def median(values):
        values = sorted(v for v in values if v is not None)
        return statistics.median(values) if values else None

    merged = dict(runs[0])
    merged["rps"] = round(median(r["rps"] for r in runs), 1)
    merged["latency_ms"] = {k: round(median(r["latency_ms"][k] for r in runs), 3) for k in runs[0]["latency_ms"]}
    merged["requests"] = sum(r["requests"] for r in runs)
    merged["duration_s"] = round(sum(r["duration_s"] for r in runs), 3)
    merged["errors"] = {k: sum(r["errors"][k] for r in runs) for k in runs[0]["errors"]}
    merged["server_cpu_cores"] = median(r["server_cpu_cores"] for r in runs)
    merged["server_cpu_us_per_request"] = median_reading([r.get("server_cpu_us_per_request") for r in runs])
    merged["wrk_cpu_cores"] = median(r["wrk_cpu_cores"] for r in runs)
    merged["rss_max_mib"] = max((r["rss_max_mib"] for r in runs if r["rss_max_mib"] is not None), default=None)
    merged["rounds"] = [{"rps": r["rps"], "p99_ms": r["latency_ms"]["p99"], "errors": r["errors"]["total"],
                         "server_cpu_us_per_request": r.get("server_cpu_us_per_request")} for r in runs]
    return merged


def median_reading(readings, key="total"):
    """The whole reading (a dict) whose `key` is the median of those given (the lower middle of an even
    count), so that its parts still add up; None if there are none."""
    present = sorted((r for r in readings if r), key=lambda r: r[key])
    return present[(len(present) - 1) // 2] if present else None


def load_phase(binary, tmp, step_seconds, rounds, soak_seconds, settle_seconds, warmup_seconds, result, measure_openssl):
    """The load steps, in interleaved rounds. ``measure_openssl()`` runs in every round between the RS256 @16
    and ES256 @16 steps, so each ratio compares two rates measured seconds apart. What every round measured is
    kept in ``result`` as it comes, so a step that fails later does not lose it."""
    server = Server(binary, os.path.join(tmp, "load"), [DEFAULT_SEED, BENCH_SEED], "server")
    result["seed"] = ["seed/default.yaml", "bench/seed-bench.yaml"]
    server.start()
    result["ready"] = server.wait_ready()
    time.sleep(settle_seconds)
    idle = server.status()
    memory = result["memory"] = {
        "idle_settle_s": settle_seconds,
        "idle_rss_mib": mib(idle.get("VmRSS")),
        "idle_hwm_mib": mib(idle.get("VmHWM")),
        "idle_rss_anon_mib": mib(idle.get("RssAnon")),  # heap, stacks: what the process allocated
        "idle_rss_file_mib": mib(idle.get("RssFile")),  # pages of the binary (and libraries) in memory
    }
    sampler = RssSampler(server, 0.25)
    sampler.start()
    try:
        user_token, result["preflight"] = preflight(server)
        rs256 = dict(path="/oauth2/token", method="POST", authorization=basic(RS256_CLIENT),
                     body="grant_type=client_credentials")
        es256 = dict(rs256, authorization=basic(ES256_CLIENT))
        if warmup_seconds:
            log(f"   warm-up: token RS256, 16 connections, {warmup_seconds} s")
            result["warmup"] = run_wrk(server, sampler, connections=16, seconds=warmup_seconds, **rs256)
        steps = result["steps"] = {}
        # The two steps the ratios use come first, with openssl between them.
        plan = [("token_rs256", 16, rs256), ("token_es256", 16, es256)]
        plan += [("token_rs256", c, rs256) for c in (1, 64)] + [("token_es256", c, es256) for c in (1, 64)]
        plan += [("jwks", 64, dict(path="/.well-known/jwks.json")),
                 ("discovery", 64, dict(path="/.well-known/openid-configuration")),
                 ("userinfo", 64, dict(path="/oauth2/userinfo", authorization=f"Bearer {user_token}"))]
        # Rounds of the whole plan, interleaved, so a slow spell of a shared machine lands in one round of
        # every step rather than in every round of one step; each step reports its medians.
        runs = {}
        openssl_rounds = result["openssl_rounds"] = []
        try:
            for round_number in range(1, rounds + 1):
                for name, connections, request in plan:
                    log(f"   round {round_number}/{rounds}: {name}, {connections} connections, {step_seconds} s")
                    run = run_wrk(server, sampler, connections=connections, seconds=step_seconds, **request)
                    runs.setdefault((name, connections), []).append(run)
                    time.sleep(0.2)
                    if (name, connections) == ("token_rs256", 16):
                        log(f"   round {round_number}/{rounds}: openssl speed")
                        openssl_rounds.append(measure_openssl())
        finally:
            names = [name for name, _, _ in plan]
            for name, connections in sorted(runs, key=lambda key: (names.index(key[0]), key[1])):
                steps.setdefault(name, {})[f"c{connections}"] = median_run(runs[(name, connections)])
        if soak_seconds:
            log(f"   soak: token RS256, 16 connections, {soak_seconds} s")
            soak_sampler = RssSampler(server, 1.0)
            before = server.status_kib("VmRSS")
            soak_sampler.start()
            run = run_wrk(server, sampler, connections=16, seconds=soak_seconds, **rs256)
            soak_sampler.halt.set()
            soak_sampler.join()
            series = [(round(t, 1), mib(kib)) for t, kib, _ in soak_sampler.samples]
            during = [s for s in series if s[0] >= 1.0] or series
            middle = min(during, key=lambda s: abs(s[0] - soak_seconds / 2))
            result["soak"] = {
                "seconds": soak_seconds,
                "run": run,
                "rss_before_mib": mib(before),
                "rss_start_mib": during[0][1],
                "rss_middle_mib": middle[1],
                "rss_end_mib": during[-1][1],
                "rss_growth_mib": round(during[-1][1] - during[0][1], 1),
                "rss_series_mib": series,
            }
        after = server.status()
        memory["peak_hwm_mib"] = mib(after.get("VmHWM"))
        memory["peak_sampled_rss_mib"] = mib(max((kib for _, kib, _ in sampler.samples), default=None))
        memory["peak_sampled_rss_anon_mib"] = mib(max((a for _, _, a in sampler.samples if a), default=None))
        memory["rss_after_load_mib"] = mib(after.get("VmRSS"))
        memory["rss_anon_after_load_mib"] = mib(after.get("RssAnon"))
        memory["rss_file_after_load_mib"] = mib(after.get("RssFile"))
    finally:
        sampler.halt.set()
        sampler.join()
        result["stop_ms"], result["exit_status"] = server.stop()
        result["log_tail"] = server.log_tail(10)


# ---------------------------------------------------------------- openssl


F_LINE = re.compile(r"^\+F(\d+):(\d+):(\d+):([0-9.eE+-]+):([0-9.eE+-]+)")


def parse_openssl_mr(text):
    """The final -mr summary: +F2:<i>:<bits>:<sign/s>:<verify/s> for RSA, +F4 (ECDSA) for P-256.
    Lines echoed from the children ("Got: +F2:... from 0") are not at the start of a line and are skipped."""
    rsa = ecdsa = None
    parsed = []
    for line in text.splitlines():
        m = F_LINE.match(line.strip())
        if not m:
            continue
        kind, bits, sign, verify = int(m.group(1)), int(m.group(3)), float(m.group(4)), float(m.group(5))
        parsed.append(line.strip())
        if kind == 2 and bits == 2048:
            rsa = (sign, verify)
        elif kind == 4 and bits == 256:
            ecdsa = ("+F4", sign, verify)
        elif kind == 5 and bits == 256 and (ecdsa is None or ecdsa[0] != "+F4"):
            ecdsa = ("+F5", sign, verify)  # fallback only: 3.x prints ECDSA as +F4, +F5 is ECDH
    return rsa, ecdsa, parsed


def openssl_speed(seconds, processes):
    """One `openssl speed` run: RSA-2048 and P-256 sign/s summed over `processes` processes."""
    argv = ["openssl", "speed", "-multi", str(processes), "-seconds", str(seconds), "-mr", "rsa2048", "ecdsap256"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=60 + 8 * seconds)
    rsa, ecdsa, parsed = parse_openssl_mr(out.stdout)
    if out.returncode != 0 or rsa is None or ecdsa is None:
        raise BenchError(f"could not parse `{' '.join(argv)}` (status {out.returncode}):\n{out.stdout}\n{out.stderr}")
    return {
        "command": " ".join(argv),
        "processes": processes,
        "summary_lines": parsed,
        "rsa2048_sign_per_s": round(rsa[0], 1),
        "rsa2048_verify_per_s": round(rsa[1], 1),
        "ecdsap256_sign_per_s": round(ecdsa[1], 1),
        "ecdsap256_verify_per_s": round(ecdsa[2], 1),
        "ecdsap256_line": ecdsa[0],
    }


def measured_openssl(seconds, processes):
    """``openssl_speed``, or what went wrong: a failed round leaves the load steps and the other rounds be."""
    try:
        return openssl_speed(seconds, processes)
    except (BenchError, subprocess.SubprocessError) as e:
        log(f"openssl failed: {e}")
        return {"error": str(e)}


def openssl_summary(rounds):
    """The per-round `openssl speed` results (a failed round as its error) and the medians of the others."""
    keys = ("rsa2048_sign_per_s", "rsa2048_verify_per_s", "ecdsap256_sign_per_s", "ecdsap256_verify_per_s")
    measured = [r for r in rounds if "error" not in r]
    if not measured:
        return {"error": "; ".join(r["error"] for r in rounds) or "not measured", "rounds": rounds}
    summary = {k: round(statistics.median(r[k] for r in measured), 1) for k in keys}
    summary.update(command=measured[0]["command"], processes=measured[0]["processes"],
                   summary_lines=measured[-1]["summary_lines"], ecdsap256_line=measured[0]["ecdsap256_line"],
                   rounds=[r if "error" in r else {k: r[k] for k in keys} for r in rounds])
    return summary


def paired_ratios(token_rps, sign_rates):
    """Each round's tokens/s over the sign/s measured next to it (None: that openssl run failed), and their
    median."""
    pairs = [round(t / o, 3) for t, o in zip(token_rps, sign_rates) if o]
    return (round(statistics.median(pairs), 3) if pairs else None), pairs


def cpu_per_token(steps, ossl):
    """Where a token's CPU goes @16, round by round: the server's CPU per token beside the time one signature
    takes a single OpenSSL process in the same round (`processes` / summed sign/s), and the rest. Rounds pair
    as the ratios do (a failed openssl round is left out); the round with the median rest is the summary."""
    budget = {}
    for name, rate in (("token_rs256", "rsa2048_sign_per_s"), ("token_es256", "ecdsap256_sign_per_s")):
        rounds = []
        for run, measured in zip(get(steps, name, "c16", "rounds") or [], ossl.get("rounds", [])):
            server = run.get("server_cpu_us_per_request")
            if not server or not measured.get(rate):
                continue
            sign = ossl["processes"] * 1e6 / measured[rate]
            rounds.append({"server_us": server, "openssl_sign_us": round(sign, 1), "rest_us": round(server["total"] - sign, 1)})
        if rounds:
            budget[name] = dict(median_reading(rounds, key="rest_us"), rounds=rounds)
    return budget


# ---------------------------------------------------------------- targets and output


def get(data, *keys):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def evaluate(results):
    load = results.get("load", {})
    rs16 = get(load, "steps", "token_rs256", "c16")
    ratio = get(results, "ratios", "rs256_c16_over_openssl_rsa2048_sign")
    targets = []

    def add(tid, description, value, ok):
        targets.append({"id": tid, "target": description, "value": value, "pass": ok})

    if rs16 and ratio is not None:
        p99 = rs16["latency_ms"]["p99"]
        errors = rs16["errors"]["total"]
        ok = ratio >= TARGET_RS256_RATIO and errors == 0 and p99 < TARGET_RS256_P99_MS
        add("rs256_c16", f"RS256 @16: ratio >= {TARGET_RS256_RATIO}, 0 errors, p99 < {TARGET_RS256_P99_MS:g} ms", {"ratio": ratio, "errors": errors, "p99_ms": p99}, ok)
    else:
        add("rs256_c16", f"RS256 @16: ratio >= {TARGET_RS256_RATIO}, 0 errors, p99 < {TARGET_RS256_P99_MS:g} ms",
            None, None)
    for name, label in (("jwks", "JWKS"), ("discovery", "discovery")):
        rps = get(load, "steps", name, "c64", "rps")
        add(f"{name}_c64", f"{label} @64 >= {TARGET_STATIC_RPS} req/s", rps,
            None if rps is None else rps >= TARGET_STATIC_RPS)
    restart = get(results, "cold_start", "restart", "jwks_median_ms")
    fresh = get(results, "cold_start", "fresh", "jwks_median_ms")
    add("cold_restart", f"cold start to JWKS 200, seed already applied < {TARGET_COLD_RESTART_MS} ms", restart,
        None if restart is None else restart < TARGET_COLD_RESTART_MS)
    add("cold_fresh", f"cold start to JWKS 200, fresh database < {TARGET_COLD_FRESH_MS} ms", fresh,
        None if fresh is None else fresh < TARGET_COLD_FRESH_MS)
    idle = get(load, "memory", "idle_rss_mib")
    add("idle_rss", f"idle RSS < {TARGET_IDLE_RSS_MIB} MiB", idle, None if idle is None else idle < TARGET_IDLE_RSS_MIB)
    peak = get(load, "memory", "peak_hwm_mib")
    add("peak_rss", f"peak RSS (VmHWM) < {TARGET_PEAK_RSS_MIB} MiB", peak,
        None if peak is None else peak < TARGET_PEAK_RSS_MIB)
    return targets


def fmt(value, spec="{:.1f}"):
    return "-" if value is None else spec.format(value)


def print_table(r):
    out = []
    mode = r["mode"]
    m, s = r["machine"], r["software"]
    commit = (s.get("git_commit") or "?")[:12] + (" (dirty)" if s.get("git_dirty") else "")
    out.append(f"Understudy benchmark, {r['timestamp_utc']}, {'quick (smoke)' if mode['quick'] else 'full'} run, "
               f"commit {commit}")
    out.append(f"machine:  {m['nproc']} CPUs ({m['cpu_model']}), Linux {m['kernel']}, "
               f"load average at start {m['load_average_at_start'][0]:.2f}")
    out.append(f"software: understudy {s.get('understudy_version')}, {s.get('swift') or 'swift -'}, "
               f"{s.get('wrk')}, {s.get('openssl')}")

    cold = r.get("cold_start", {})
    out.append("")
    if "fresh" in cold:
        out.append(f"Cold start, default seed: ms from spawn to first 200, median of {cold['starts']}")
        out.append(f"  {'':<32} {'/healthz':>9} {'jwks.json':>10} {'jwks min-max':>13} {'stop':>7}")
        for key, label in (("fresh", "fresh database (seed applied)"), ("restart", "seed already applied")):
            c = cold[key]
            span = f"{c['jwks_min_ms']:.0f}-{c['jwks_max_ms']:.0f}"
            out.append(f"  {label:<32} {c['healthz_median_ms']:>9.1f} {c['jwks_median_ms']:>10.1f} {span:>13} "
                       f"{c['stop_median_ms']:>7.1f}")
    else:
        out.append(f"Cold start: not measured ({cold.get('error')})")

    load = r.get("load", {})
    steps = load.get("steps", {})
    out.append("")
    out.append(f"Load: wrk -t2 (-t1 at 1 connection), {mode.get('rounds', 1)} interleaved rounds of {mode['step_seconds']} s per step, "
               "medians; errors (all rounds) = HTTP status > 399 / socket; cpu = cores used by server / wrk")
    out.append(f"  {'':<30} {'conns':>5} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
               f"{'errors':>7} {'cpu srv/wrk':>12} {'RSS MiB':>8}")
    labels = {"token_rs256": "token, client creds, RS256", "token_es256": "token, client creds, ES256",
              "jwks": "GET jwks.json", "discovery": "GET openid-configuration", "userinfo": "GET userinfo (bearer)"}
    for name, label in labels.items():
        for st in steps.get(name, {}).values():
            lat, err = st["latency_ms"], st["errors"]
            cpu = f"{fmt(st['server_cpu_cores'], '{:.2f}')}/{st['wrk_cpu_cores']:.2f}"
            out.append(f"  {label:<30} {st['connections']:>5} {st['rps']:>8.0f} {lat['p50']:>7.2f} "
                       f"{lat['p99']:>7.2f} {lat['max']:>7.1f} {str(err['http']) + '/' + str(err['socket']):>7} "
                       f"{cpu:>12} {fmt(st['rss_max_mib']):>8}")
    if load.get("error"):
        out.append(f"  load phase failed: {load['error']}")

    mem = load.get("memory", {})
    out.append("")
    out.append(f"Memory (MiB): idle RSS {fmt(mem.get('idle_rss_mib'))} {mem.get('idle_settle_s')} s after ready "
               f"(anon {fmt(mem.get('idle_rss_anon_mib'))}, file {fmt(mem.get('idle_rss_file_mib'))}); "
               f"peak VmHWM {fmt(mem.get('peak_hwm_mib'))}; after load {fmt(mem.get('rss_after_load_mib'))} "
               f"(anon {fmt(mem.get('rss_anon_after_load_mib'))}, file {fmt(mem.get('rss_file_after_load_mib'))})")
    soak = load.get("soak")
    if soak:
        run = soak["run"]
        out.append(f"Soak, {soak['seconds']} s of RS256 @16: {run['rps']:.0f} tokens/s, p99 {run['latency_ms']['p99']:.2f} ms, "
                   f"{run['errors']['total']} errors; RSS start {soak['rss_start_mib']}, middle {soak['rss_middle_mib']}, "
                   f"end {soak['rss_end_mib']} MiB ({soak['rss_growth_mib']:+.1f})")

    ossl = r.get("openssl", {})
    out.append("")
    if "rsa2048_sign_per_s" in ossl:
        per_round = ", ".join("failed" if "error" in x else f"{x['rsa2048_sign_per_s']:.0f}/{x['ecdsap256_sign_per_s']:.0f}"
                              for x in ossl["rounds"])
        out.append(f"OpenSSL: {ossl['command']}, once per round, between RS256 @16 and ES256 @16")
        out.append(f"  parsed (last round) {'  '.join(ossl['summary_lines'])}")
        out.append(f"  medians: RSA-2048 sign/s {ossl['rsa2048_sign_per_s']:.0f} (verify/s {ossl['rsa2048_verify_per_s']:.0f}); "
                   f"P-256 sign/s {ossl['ecdsap256_sign_per_s']:.0f} (verify/s {ossl['ecdsap256_verify_per_s']:.0f}); "
                   f"per round RSA/P-256 sign/s {per_round}")
    else:
        out.append(f"OpenSSL: not measured ({ossl.get('error')})")
    ratios = r.get("ratios", {})

    def rounds_text(key):
        return ", ".join(f"{x:.3f}" for x in ratios.get(key + "_rounds", [])) or "-"
    out.append("Ratios, median of the rounds (each round's tokens/s @16 over the sign/s measured next to it):")
    for key, label in (("rs256_c16_over_openssl_rsa2048_sign", "RS256 tokens/s / RSA-2048 sign/s"),
                       ("es256_c16_over_openssl_p256_sign", "ES256 tokens/s / P-256 sign/s")):
        out.append(f"  {label} = {fmt(ratios.get(key), '{:.3f}')} (rounds {rounds_text(key)}; "
                   f"ratio of the medians {fmt(ratios.get(key + '_of_medians'), '{:.3f}')})")

    budget = r.get("cpu_per_token", {})
    if budget:
        out.append("Server CPU per token @16, the round with the median rest (a core's time for one signature: "
                   "openssl, one process, same round):")
    for name, label in (("token_rs256", "RS256"), ("token_es256", "ES256")):
        if name in budget:
            b = budget[name]
            by_round = ", ".join(f"{x['rest_us']:.0f}" for x in b["rounds"])
            out.append(f"  {label}: {b['server_us']['total']:.0f} us (user {b['server_us']['user']:.0f}, system "
                       f"{b['server_us']['system']:.0f}); the signature {b['openssl_sign_us']:.0f} us, the rest "
                       f"{b['rest_us']:.0f} us (HTTP, loopback TCP, the token itself); rest by round {by_round} us")

    out.append("")
    out.append("Targets")
    for t in r["targets"]:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        value = t["value"]
        if isinstance(value, dict):
            value = f"{fmt(value['ratio'], '{:.3f}')}, {value['errors']} errors, p99 {value['p99_ms']:.2f} ms"
        elif isinstance(value, float):
            value = f"{value:.1f}"
        out.append(f"  {verdict}  {t['target']:<62} {value if value is not None else '-'}")
    if r.get("notes"):
        out.append("")
        out.extend(f"note: {n}" for n in r["notes"])
    print("\n".join(out), flush=True)


# ---------------------------------------------------------------- main


def main():
    parser = argparse.ArgumentParser(prog="bench/run.sh", description="Understudy benchmark. See bench/README.md.")
    parser.add_argument("--no-build", action="store_true", help="handled by bench/run.sh")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 s load steps, 3 cold starts, openssl 1 s")
    parser.add_argument("--soak", type=int, default=0, metavar="SECONDS",
                        help="after the steps, run RS256 @16 this long and report RSS at start/middle/end (default 0: off)")
    parser.add_argument("--duration", type=int, metavar="SECONDS", help="seconds per load step and round (default 3; --quick 1)")
    parser.add_argument("--rounds", type=int, metavar="N", help="rounds of every load step; medians are reported (default 3; --quick 1)")
    parser.add_argument("--starts", type=int, metavar="N", help="cold starts per kind (default 7; --quick 3)")
    parser.add_argument("--openssl-seconds", type=int, metavar="SECONDS", help="openssl speed -seconds (default 3; --quick 1)")
    parser.add_argument("--results", default=os.path.join(BENCH, "results"), metavar="DIR",
                        help="where the JSON goes (default bench/results)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary folder (databases, server logs)")
    args = parser.parse_args()

    binary = os.environ.get("UNDERSTUDY_BIN") or os.path.join(REPO, ".build", "release", "understudy")
    if not os.access(binary, os.X_OK):
        sys.exit(f"no understudy binary at {binary} (run bench/run.sh, or set UNDERSTUDY_BIN)")
    for tool in ("wrk", "openssl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (bench/run.sh installs it)")

    step_seconds = args.duration or (1 if args.quick else 3)
    rounds = args.rounds or (1 if args.quick else 3)
    starts = args.starts or (3 if args.quick else 7)
    openssl_seconds = args.openssl_seconds or (1 if args.quick else 3)
    nproc = len(os.sched_getaffinity(0))
    now = datetime.datetime.now(datetime.timezone.utc)
    results = {
        "schema": 1,
        "timestamp_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": {"quick": args.quick, "step_seconds": step_seconds, "rounds": rounds, "cold_starts": starts,
                 "soak_seconds": args.soak, "openssl_seconds": openssl_seconds, "wrk_threads": 2,
                 "wrk_timeout_s": 2, "pinning": "none (server and wrk share all CPUs)"},
        "machine": machine_facts(),
        "software": software_facts(binary),
        "notes": [],
    }
    failed = False
    tmp = tempfile.mkdtemp(prefix="understudy-bench-")
    t_start = time.perf_counter()
    try:
        log(f"== cold start: {starts} fresh + {starts} restarts (default seed)")
        try:
            results["cold_start"] = cold_start(binary, tmp, starts)
        except BenchError as e:
            failed = True
            results["cold_start"] = {"error": str(e)}
            log(f"cold start failed: {e}")

        log(f"== load (wrk), with openssl speed ({openssl_seconds} s per operation, {nproc} processes) in every round")
        results["load"] = {}
        try:
            load_phase(binary, tmp, step_seconds, rounds, args.soak, 0.5 if args.quick else 1.0,
                       1 if args.quick else 2, results["load"], lambda: measured_openssl(openssl_seconds, nproc))
        except (BenchError, subprocess.SubprocessError) as e:
            failed = True
            results["load"]["error"] = str(e)
            log(f"load phase failed: {e}")
        results["openssl"] = openssl_summary(results["load"].pop("openssl_rounds", []))
    finally:
        if args.keep_tmp or failed:
            log(f"temporary folder kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    ossl = results.get("openssl", {})
    steps = get(results, "load", "steps") or {}
    ratios = results["ratios"] = {}
    for name, key, rate in (("token_rs256", "rs256_c16_over_openssl_rsa2048_sign", "rsa2048_sign_per_s"),
                            ("token_es256", "es256_c16_over_openssl_p256_sign", "ecdsap256_sign_per_s")):
        token_rps = [x["rps"] for x in get(steps, name, "c16", "rounds") or []]
        median_ratio, pairs = paired_ratios(token_rps, [r.get(rate) for r in ossl.get("rounds", [])])
        if median_ratio is not None:
            ratios[key] = median_ratio
            ratios[key + "_rounds"] = pairs
        rps = get(steps, name, "c16", "rps")
        if rps is not None and ossl.get(rate):
            ratios[key + "_of_medians"] = round(rps / ossl[rate], 3)
    results["cpu_per_token"] = cpu_per_token(steps, ossl)
    results["targets"] = evaluate(results)
    results["all_targets_pass"] = all(t["pass"] is True for t in results["targets"])
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    results["total_seconds"] = round(time.perf_counter() - t_start, 1)
    if args.quick:
        results["notes"].append("quick (smoke) run: 1 s steps are too short for numbers to compare")
    if results["machine"]["load_average_at_start"][0] > 0.5 * nproc:
        results["notes"].append(f"load average at start was {results['machine']['load_average_at_start'][0]:.2f} "
                                f"on {nproc} CPUs: something else was running")
    for name, step in steps.items():
        for key, st in step.items():
            if st["errors"]["total"]:
                results["notes"].append(f"{name} {key}: {st['errors']['http']} HTTP errors, "
                                        f"{st['errors']['socket']} socket errors")

    os.makedirs(args.results, exist_ok=True)
    path = os.path.join(args.results, now.strftime("%Y%m%dT%H%M%SZ") + ".json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    shutil.copyfile(path, os.path.join(args.results, "latest.json"))

    print_table(results)
    print(f"\nResults: {os.path.relpath(path, os.getcwd())} (and latest.json); {results['total_seconds']} s in all",
          flush=True)
    if failed:
        sys.exit(2)
    if args.check and not results["all_targets_pass"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
