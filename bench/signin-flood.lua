-- wrk script for the sign-in flood: every request a wrong password for a different address
-- and email (a botnet's spray, which no throttle stops early), so every one is hashed.
local counter = 0
local thread_id = 0
local threads = {}

setup = function(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local n = id * 1000000 + counter
  local ip = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  local body = string.format("email=flood%d%%40example.com&password=wrong+password+%d", n, n)
  return wrk.format("POST", "/api/auth/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = ip,
    ["Accept"] = "application/json",
  }, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"p50":%d,"p99":%d,"rps":%.1f,"requests":%d,"non2xx":%d,"failed":%d}\n',
    latency:percentile(50), latency:percentile(99),
    summary.requests / (summary.duration / 1e6), summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout))
end
