-- wrk script for scripts/load.sh: sends the bearer token and cycles through the request paths listed,
-- one per line, in the file named by $PATHS_FILE.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local i = 0
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d errors(connect,read,write,status,timeout)=%d,%d,%d,%d,%d p50=%.2fms p99=%.2fms rps=%.1f\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
