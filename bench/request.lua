-- wrk script for bench/bench.py: sends one fixed request, taken from the environment, on every
-- connection, and prints the run's numbers as one JSON line starting with "BENCH_RESULT ".
--   BENCH_METHOD         GET (default) or POST
--   BENCH_AUTHORIZATION  value of the Authorization header, if any
--   BENCH_BODY           form body (sent as application/x-www-form-urlencoded), if any
-- No response() function on purpose: defining one makes wrk hand every header and body to Lua, which
-- costs load-generator CPU on the same two cores as the server. wrk counts statuses > 399 itself.

local method = os.getenv("BENCH_METHOD") or "GET"
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
local body = os.getenv("BENCH_BODY") or ""

wrk.method = method
if authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

done = function(summary, latency, requests)
  local e = summary.errors
  local fields = {
    string.format('"duration_us":%.0f', summary.duration),
    string.format('"requests":%.0f', summary.requests),
    string.format('"bytes":%.0f', summary.bytes),
    string.format('"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f}',
      e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"latency_us":{"min":%.0f,"mean":%.1f,"stdev":%.1f,"max":%.0f,"p50":%.0f,"p75":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f}',
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)),
  }
  io.write("BENCH_RESULT {" .. table.concat(fields, ",") .. "}\n")
end
