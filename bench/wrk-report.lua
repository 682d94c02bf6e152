-- wrk script: sends the API token, and prints one JSON line with the figures the benchmark
-- reads (p50/p95/p99 in microseconds, requests per second, failed requests).
local token = os.getenv("CRM_BENCH_TOKEN")
if token then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Accept"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.status + e.timeout
  io.write(string.format(
    'RESULT {"p50":%d,"p95":%d,"p99":%d,"rps":%.1f,"requests":%d,"failed":%d}\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests / (summary.duration / 1e6), summary.requests, failed))
end
