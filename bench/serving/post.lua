-- wrk script: POSTs the JSON body in the file named by WRK_BODY, and prints a JSON summary line
-- (requests/s, p50, p99, p99.9 and max in ms, errors) that run.sh collects.
local f = assert(io.open(os.getenv("WRK_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
-- WRK_HEADER_LENGTH: a KServe V2 binary-tensor body, whose first WRK_HEADER_LENGTH bytes are its JSON header.
local header_length = os.getenv("WRK_HEADER_LENGTH")
if header_length then
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["Inference-Header-Content-Length"] = header_length
else
  wrk.headers["Content-Type"] = "application/json"
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('WRK_JSON {"rps": %.1f, "p50_ms": %.4f, "p99_ms": %.4f, "p999_ms": %.4f, "max_ms": %.4f, "requests": %d, "errors": %d}\n',
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.max / 1000, summary.requests, errors))
end
