"""bench/bench.py's arithmetic: how `openssl speed -mr` output is read and how the ratios are paired.

The benchmark itself is run by hand (bench/run.sh); these tests keep its report honest without running it.
"""

import importlib.util
import os

import pytest

BENCH_PY = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "bench.py")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("understudy_bench", BENCH_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The shape of `openssl speed -multi 2 -mr rsa2048 ecdsap256` (OpenSSL 3.0): children's lines are echoed
# after "Got: ", the parent's summed lines start the line.
SPEED_OUTPUT = """\
Forked child 0
Forked child 1
Got: +F2:0:2048:3861.5:126431.0 from 0
Got: +F4:0:256:28123.0:9211.0 from 0
Got: +F2:0:2048:3850.0:126000.0 from 1
Got: +F4:0:256:28000.0:9200.0 from 1
+H:512:1024:2048
+F2:0:2048:7711.50:252431.00
+F4:0:256:56123.00:18411.00
+F5:0:256:40000.00:0
"""


def test_openssl_summed_lines_are_read_and_echoed_child_lines_are_not(bench):
    rsa, ecdsa, parsed = bench.parse_openssl_mr(SPEED_OUTPUT)
    assert rsa == (7711.5, 252431.0)
    assert ecdsa == ("+F4", 56123.0, 18411.0)
    assert parsed[0].startswith("+F2:0:2048:7711.50")


def test_ratios_pair_each_round_with_the_openssl_run_after_it(bench):
    # Round 2 ran on a slow spell: both rates fell; the paired ratio does not.
    median, pairs = bench.paired_ratios([5400.0, 2700.0, 5300.0], [7700.0, 3900.0, 7600.0])
    assert pairs == [0.701, 0.692, 0.697]
    assert median == 0.697
    assert bench.paired_ratios([], []) == (None, [])
    # A round whose openssl rate is missing is left out rather than divided by zero.
    assert bench.paired_ratios([5000.0, 5000.0], [0, 7000.0]) == (0.714, [0.714])


def test_openssl_summary_reports_medians_and_every_round(bench):
    rounds = []
    for rsa, ec in ((7000.0, 50000.0), (3900.0, 30000.0), (7600.0, 56000.0)):
        rounds.append({"command": "openssl speed", "processes": 2, "summary_lines": [f"+F2:{rsa}"],
                       "ecdsap256_line": "+F4", "rsa2048_sign_per_s": rsa, "rsa2048_verify_per_s": 1.0,
                       "ecdsap256_sign_per_s": ec, "ecdsap256_verify_per_s": 2.0})
    summary = bench.openssl_summary(rounds)
    assert summary["rsa2048_sign_per_s"] == 7000.0
    assert summary["ecdsap256_sign_per_s"] == 50000.0
    assert [r["rsa2048_sign_per_s"] for r in summary["rounds"]] == [7000.0, 3900.0, 7600.0]
    assert summary["summary_lines"] == ["+F2:7600.0"]


def test_a_failed_openssl_round_is_reported_and_left_out_of_the_ratios(bench):
    good = {"command": "openssl speed", "processes": 2, "summary_lines": ["+F2"], "ecdsap256_line": "+F4",
            "rsa2048_sign_per_s": 7000.0, "rsa2048_verify_per_s": 1.0, "ecdsap256_sign_per_s": 50000.0,
            "ecdsap256_verify_per_s": 2.0}
    summary = bench.openssl_summary([good, {"error": "openssl was killed"}, dict(good, rsa2048_sign_per_s=8000.0)])
    assert summary["rsa2048_sign_per_s"] == 7500.0
    assert summary["rounds"][1] == {"error": "openssl was killed"}
    rates = [r.get("rsa2048_sign_per_s") for r in summary["rounds"]]
    assert bench.paired_ratios([5600.0, 9999.0, 5600.0], rates) == (0.75, [0.8, 0.7])
    failed = bench.openssl_summary([{"error": "no openssl"}])
    assert failed["error"] == "no openssl" and "rsa2048_sign_per_s" not in failed
    assert bench.openssl_summary([])["error"] == "not measured"


def test_cpu_per_request_splits_user_and_system_time(bench):
    assert bench.cpu_per_request((1.0, 0.5), (3.0, 0.75), 5000) == {"user": 400.0, "system": 50.0, "total": 450.0}
    assert bench.cpu_per_request(None, (3.0, 0.75), 5000) is None
    assert bench.cpu_per_request((1.0, 0.5), (3.0, 0.75), 0) is None


def test_median_reading_keeps_a_whole_reading(bench):
    readings = [{"user": 300.0, "system": 90.0, "total": 390.0}, None,
                {"user": 350.0, "system": 20.0, "total": 370.0}, {"user": 330.0, "system": 50.0, "total": 380.0}]
    # The median total is 380; its user and system come with it, so the parts still add up.
    assert bench.median_reading(readings) == {"user": 330.0, "system": 50.0, "total": 380.0}
    assert bench.median_reading(readings[:3]) == {"user": 350.0, "system": 20.0, "total": 370.0}  # lower middle
    assert bench.median_reading([None]) is None


def test_cpu_per_token_pairs_each_round_with_its_openssl_run(bench):
    def cpu(total):
        return {"user": total - 50.0, "system": 50.0, "total": total}
    steps = {"token_rs256": {"c16": {"rounds": [{"server_cpu_us_per_request": cpu(460.0)},
                                                {"server_cpu_us_per_request": cpu(400.0)},
                                                {"server_cpu_us_per_request": cpu(500.0)}]}},
             "token_es256": {"c1": {"rounds": [{"server_cpu_us_per_request": cpu(2.0)}]}}}
    # Two processes signing 6,400, 8,000 and 5,000 times a second in all: one signature takes one process
    # 312.5, 250 and 400 us in those rounds. The second openssl round failed in this run of the test.
    ossl = {"processes": 2, "rounds": [{"rsa2048_sign_per_s": 6400.0}, {"error": "killed"}, {"rsa2048_sign_per_s": 5000.0}]}
    budget = bench.cpu_per_token(steps, ossl)
    assert list(budget) == ["token_rs256"]
    rs = budget["token_rs256"]
    assert [r["rest_us"] for r in rs["rounds"]] == [147.5, 100.0]
    # The summary is one round, the lower middle of the rests, never a mix of two rounds' figures.
    assert (rs["server_us"], rs["openssl_sign_us"], rs["rest_us"]) == (cpu(500.0), 400.0, 100.0)
    ossl["rounds"][1] = {"rsa2048_sign_per_s": 8000.0}
    assert [r["rest_us"] for r in bench.cpu_per_token(steps, ossl)["token_rs256"]["rounds"]] == [147.5, 150.0, 100.0]
    assert bench.cpu_per_token(steps, {"error": "not measured"}) == {}
