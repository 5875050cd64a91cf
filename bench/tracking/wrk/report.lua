-- Shared by the workload scripts (loaded with dofile): after the run, one JSON line on stdout with the
-- completed requests, the duration, latency percentiles and every kind of failure, so peers.sh can
-- refuse a measurement that counted errors as throughput.
unique_base = tonumber(os.getenv("ROUND") or "0") * 100000000

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end

-- The benchmark's runs, one per connection's turn: RUN_IDS is a comma-separated list.
function run_ids()
  local ids = {}
  for id in string.gmatch(os.getenv("RUN_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
  assert(#ids > 0, "RUN_IDS is empty")
  return ids
end
