-- wrk script for scripts/load.sh: sends the bearer token and cycles through the requests listed, one per
-- line, in the file named by $PATHS_FILE: a path (GET), or `METHOD PATH JSON-BODY` for a write.
local requests = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  if #line > 0 then
    local method, path, body = line:match("^(%u+) (%S+) (.*)$")
    if method then
      requests[#requests + 1] = { method = method, path = path, body = body }
    else
      requests[#requests + 1] = { method = "GET", path = line }
    end
  end
end
local i = 0
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/json"

request = function()
  i = i % #requests + 1
  local r = requests[i]
  return wrk.format(r.method, r.path, nil, r.body)
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors(connect,read,write,status,timeout)=%d,%d,%d,%d,%d p50=%.2fms p99=%.2fms max=%.2fms rps=%.1f\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6)))
end
