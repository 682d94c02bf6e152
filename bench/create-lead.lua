-- wrk script: every request creates a lead (a new name and email each time), with the token.
local counter = 0
local thread_id = 0

setup = function(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

local token = os.getenv("CRM_BENCH_TOKEN")

request = function()
  counter = counter + 1
  local n = string.format("%d-%d-%d", os.time(), id, counter)
  local body = string.format('{"name":"Bench Lead %s","email":"bench-%s@writes.example","company":"Writes %s"}', n, n, n)
  return wrk.format("POST", "/api/crm/leads", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"p50":%d,"p95":%d,"p99":%d,"rps":%.1f,"requests":%d,"failed":%d}\n',
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.requests / (summary.duration / 1e6), summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
