-- POST runs/log-batch with 1,000 metrics of one key (steps 0..999, as a training loop flushes them),
-- spread over the runs in RUN_IDS. Each request gets its own timestamp (new every round, through ROUND)
-- so no server sees a duplicate row; the body is a template with the timestamp substituted.
dofile(os.getenv("WRK_DIR") .. "/report.lua")
local runs = run_ids()
local n = 0
local headers = { ["Content-Type"] = "application/json" }
local parts = {}
for i = 0, 999 do
  parts[#parts + 1] = string.format('{"key":"a","value":%d.5,"timestamp":@T@,"step":%d}', i, i)
end
local metrics = table.concat(parts, ",")

request = function()
  n = n + 1
  local ts = tostring(1700000000000 + unique_base + n)
  local body = '{"run_id":"' .. runs[n % #runs + 1] .. '","metrics":[' .. string.gsub(metrics, "@T@", ts) .. "]}"
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-batch", headers, body)
end
